import { TwilioApiError, TwilioRestClient, rewriteTwilioUrl } from '../../src/twilio';
import { ACCOUNT, AUTH_TOKEN } from './helpers/edge';
import { captureLogger } from './helpers/logs';
import { callResource, startRestStub, twilioError, type RestStub } from './helpers/rest-stub';

const CALL = 'CA' + '2'.repeat(32);
let stub: RestStub;
let delays: number[];
let logs: ReturnType<typeof captureLogger>;

function client(apiUrl = stub.url): TwilioRestClient {
  return new TwilioRestClient({
    accountSid: ACCOUNT,
    authToken: AUTH_TOKEN,
    apiUrl,
    logger: logs.logger,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  });
}

beforeEach(async () => {
  stub = await startRestStub();
  delays = [];
  logs = captureLogger();
});
afterEach(() => stub.close());

const callsPath = `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`;

describe('TwilioRestClient', () => {
  it('places a call with inline TwiML and all status callback events, authenticated by the SDK', async () => {
    stub.replies.push({ status: 201, body: callResource(CALL, 'queued') });
    const call = await client().placeCall({
      to: '+15550002222',
      from: '+15550001111',
      twiml: '<Response><Pause length="1"/></Response>',
      statusCallback: 'https://tolk.example.com/twilio/status',
      timeoutSec: 30,
    });
    expect(call).toEqual({ sid: CALL, status: 'queued', to: '+15550002222', from: '+15550001111', direction: 'outbound-api', parentCallSid: null, endTime: null });
    const [req] = stub.requests;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(callsPath);
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from(`${ACCOUNT}:${AUTH_TOKEN}`).toString('base64'));
    expect(req.headers['user-agent']).toMatch(/^twilio-node\//);
    expect(req.form.get('To')).toBe('+15550002222');
    expect(req.form.get('From')).toBe('+15550001111');
    expect(req.form.get('Twiml')).toBe('<Response><Pause length="1"/></Response>');
    expect(req.form.get('Url')).toBeNull();
    expect(req.form.get('StatusCallback')).toBe('https://tolk.example.com/twilio/status');
    expect(req.form.get('StatusCallbackMethod')).toBe('POST');
    expect(req.form.getAll('StatusCallbackEvent')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(req.form.get('Timeout')).toBe('30');
  });

  it('places a call that fetches its TwiML from a URL', async () => {
    stub.replies.push({ status: 201, body: callResource(CALL, 'queued') });
    await client().placeCall({ to: '+1', from: '+2', url: 'https://tolk.example.com/twilio/voice?leg=agent', statusCallback: 'https://x/s' });
    expect(stub.requests[0].form.get('Url')).toBe('https://tolk.example.com/twilio/voice?leg=agent');
    expect(stub.requests[0].form.get('Method')).toBe('POST');
    await expect(client().placeCall({ to: '+1', from: '+2', statusCallback: 'https://x/s' })).rejects.toThrow(/twiml or url/);
  });

  it('hangs up, cancels and redirects live calls', async () => {
    stub.fallback = () => ({ status: 200, body: callResource(CALL, 'completed') });
    const c = client();
    await c.hangUp(CALL);
    await c.cancel(CALL);
    await c.redirect(CALL, { twiml: '<Response><Hangup/></Response>' });
    await c.redirect(CALL, { url: 'https://tolk.example.com/next' });
    const path = `/2010-04-01/Accounts/${ACCOUNT}/Calls/${CALL}.json`;
    expect(stub.requests.map((r) => [r.method, r.path])).toEqual(Array(4).fill(['POST', path]));
    expect(stub.requests.map((r) => Object.fromEntries(r.form))).toEqual([
      { Status: 'completed' },
      { Status: 'canceled' },
      { Twiml: '<Response><Hangup/></Response>' },
      { Url: 'https://tolk.example.com/next', Method: 'POST' },
    ]);
  });

  it('retries 429 and 5xx with bounded backoff, honouring Retry-After', async () => {
    stub.replies.push(
      { ...twilioError(429, 20429, 'Too Many Requests'), headers: { 'retry-after': '2' } },
      twilioError(503, 20503, 'Service unavailable'),
      { status: 200, body: callResource(CALL, 'in-progress') },
    );
    await expect(client().fetchCall(CALL)).resolves.toMatchObject({ status: 'in-progress' });
    expect(stub.requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBe(2000);
    expect(delays[1]).toBeGreaterThan(0);
    expect(delays[1]).toBeLessThanOrEqual(500);
    expect(logs.lines().filter((l) => l.event === 'twilio.rest.retry')).toHaveLength(2);
  });

  it('never retries a call creation after a 5xx (Twilio may have placed it), but does after a 429', async () => {
    stub.replies.push(twilioError(503, 20503, 'Service unavailable'));
    const err = (await client()
      .placeCall({ to: '+15550002222', from: '+15550001111', twiml: '<Response/>', statusCallback: 'https://x/s' })
      .catch((e: unknown) => e)) as TwilioApiError;
    expect(err).toMatchObject({ status: 503 });
    expect(stub.requests).toHaveLength(1);
    stub.replies.push(twilioError(429, 20429, 'Too Many Requests'), { status: 201, body: callResource(CALL, 'queued') });
    await expect(client().placeCall({ to: '+15550002222', from: '+15550001111', twiml: '<Response/>', statusCallback: 'https://x/s' })).resolves.toMatchObject({ sid: CALL });
    expect(stub.requests).toHaveLength(3);
  });

  it('gives up after the retry budget with a typed error', async () => {
    stub.fallback = () => twilioError(500, 20500, 'Internal Server Error');
    const err = (await client().hangUp(CALL).catch((e: unknown) => e)) as TwilioApiError;
    expect(err).toBeInstanceOf(TwilioApiError);
    expect(err).toMatchObject({ status: 500, code: 20500, message: 'Internal Server Error', retryable: true });
    expect(stub.requests).toHaveLength(4); // 1 + 3 retries
    expect(delays.every((d) => d <= 4000)).toBe(true);
  });

  it('does not retry 4xx and surfaces status, code, message and moreInfo', async () => {
    stub.replies.push(twilioError(400, 21211, "The 'To' number +1 is not a valid phone number."));
    const err = (await client()
      .placeCall({ to: '+1', from: '+2', twiml: '<Response/>', statusCallback: 'https://x/s' })
      .catch((e: unknown) => e)) as TwilioApiError;
    expect(err).toBeInstanceOf(TwilioApiError);
    expect(err).toMatchObject({
      status: 400,
      code: 21211,
      message: "The 'To' number +1 is not a valid phone number.",
      moreInfo: 'https://www.twilio.com/docs/errors/21211',
      retryable: false,
    });
    expect(stub.requests).toHaveLength(1);
    expect(delays).toHaveLength(0);
  });

  it('reports an unreachable API as a status-0 error after retrying', async () => {
    const url = stub.url;
    await stub.close();
    const err = (await client(url).fetchCall(CALL).catch((e: unknown) => e)) as TwilioApiError;
    expect(err).toBeInstanceOf(TwilioApiError);
    expect(err.status).toBe(0);
    expect(delays).toHaveLength(3);
    stub = await startRestStub();
  });

  it('points a number at tolk: looks it up by phone number, then updates Voice URL and status callback', async () => {
    const PN = 'PN' + '3'.repeat(32);
    stub.replies.push(
      { status: 200, body: { incoming_phone_numbers: [{ sid: PN, phone_number: '+15550001111' }], next_page_uri: null, page: 0, page_size: 2 } },
      {
        status: 200,
        body: {
          sid: PN,
          phone_number: '+15550001111',
          voice_url: 'https://tolk.example.com/twilio/voice',
          voice_method: 'POST',
          status_callback: 'https://tolk.example.com/twilio/status',
          status_callback_method: 'POST',
        },
      },
    );
    const n = await client().configureNumber('+15550001111', {
      voiceUrl: 'https://tolk.example.com/twilio/voice',
      statusCallback: 'https://tolk.example.com/twilio/status',
    });
    expect(n).toMatchObject({ sid: PN, voiceUrl: 'https://tolk.example.com/twilio/voice', voiceMethod: 'POST' });
    const [list, update] = stub.requests;
    expect([list.method, list.path, list.query.get('PhoneNumber')]).toEqual(['GET', `/2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers.json`, '+15550001111']);
    expect([update.method, update.path]).toEqual(['POST', `/2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers/${PN}.json`]);
    expect(Object.fromEntries(update.form)).toEqual({
      VoiceUrl: 'https://tolk.example.com/twilio/voice',
      VoiceMethod: 'POST',
      StatusCallback: 'https://tolk.example.com/twilio/status',
      StatusCallbackMethod: 'POST',
    });
  });

  it('says so when the number is not in the account', async () => {
    stub.replies.push({ status: 200, body: { incoming_phone_numbers: [], next_page_uri: null, page: 0, page_size: 2 } });
    await expect(client().configureNumber('+15559999999', { voiceUrl: 'https://a/v', statusCallback: 'https://a/s' })).rejects.toThrow(
      /\+15559999999 is not in this Twilio account/,
    );
  });

  it('never logs the auth token', async () => {
    stub.replies.push(twilioError(401, 20003, 'Authenticate'));
    await client().fetchCall(CALL).catch(() => undefined);
    expect(logs.text()).not.toContain(AUTH_TOKEN);
  });
});

describe('rewriteTwilioUrl', () => {
  it('moves any twilio.com URL onto TWILIO_API_URL, keeping path and query', () => {
    expect(rewriteTwilioUrl('https://api.twilio.com/2010-04-01/Accounts/AC1/Calls.json?x=1', 'http://127.0.0.1:4010')).toBe(
      'http://127.0.0.1:4010/2010-04-01/Accounts/AC1/Calls.json?x=1',
    );
    expect(rewriteTwilioUrl('https://api.sydney.au1.twilio.com/2010-04-01/A', 'https://emu.test/base/')).toBe('https://emu.test/base/2010-04-01/A');
    expect(rewriteTwilioUrl('https://api.twilio.com/x', undefined)).toBe('https://api.twilio.com/x');
    expect(rewriteTwilioUrl('https://example.com/x', 'http://h')).toBe('https://example.com/x');
  });
});
