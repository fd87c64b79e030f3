import request from 'supertest';
import twilio from 'twilio';
import { AUTH_TOKEN, CALL, ACCOUNT, PUBLIC_URL, sign, startEdge, type Edge } from './helpers/edge';
import { normalise, parseXml, type XmlElement } from './helpers/xml';

const voiceParams = { CallSid: CALL, AccountSid: ACCOUNT, From: '+15550001111', To: '+15550002222', CallStatus: 'ringing', Direction: 'inbound' };

let edge: Edge;
afterEach(async () => {
  await edge.close();
});

function post(path: string, params: Record<string, string>, signature?: string, host = 'internal:8080') {
  const req = request(edge.http.app).post(path).type('form').set('Host', host).send(params);
  return signature === undefined ? req : req.set('X-Twilio-Signature', signature);
}

const rejections = (e: Edge) => e.logs.lines().filter((l) => l.event === 'twilio.webhook.rejected');

describe('POST /twilio/voice', () => {
  it('answers a signed webhook with the caller stream TwiML carrying a valid token', async () => {
    edge = await startEdge({ listen: false });
    const res = await post('/twilio/voice', voiceParams, sign(`${PUBLIC_URL}/twilio/voice`, voiceParams));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    const doc = normalise(parseXml(res.text));
    const stream = (doc.children[0] as XmlElement).children[0] as XmlElement;
    expect(stream.attributes.url).toBe('wss://tolk.example.com/twilio/media');
    expect(stream.attributes).toMatchObject({ statusCallback: 'https://tolk.example.com/twilio/stream-status', statusCallbackMethod: 'POST' });
    const params = Object.fromEntries(stream.children.map((c) => [(c as XmlElement).attributes.name, (c as XmlElement).attributes.value]));
    expect(params.role).toBe('caller');
    await expect(edge.tokens.verify(params.token, CALL)).resolves.toMatchObject({ ok: true, role: 'caller' });
  });

  it('checks the signature against PUBLIC_URL, not the Host header a proxy rewrote', async () => {
    edge = await startEdge({ listen: false });
    const signedForHost = sign('http://internal:8080/twilio/voice', voiceParams);
    const res = await post('/twilio/voice', voiceParams, signedForHost);
    expect(res.status).toBe(403);
  });

  it('includes the query string in the signed URL and hands the query to the handler', async () => {
    const voice = jest.fn((_p: unknown, ctx: { query: Record<string, string> }) => Promise.resolve(`<Response><Say>${ctx.query.leg}</Say></Response>`));
    edge = await startEdge({ listen: false, handlers: { voice } });
    const url = `${PUBLIC_URL}/twilio/voice?leg=agent&bridge=b1`;
    const ok = await post('/twilio/voice?leg=agent&bridge=b1', voiceParams, sign(url, voiceParams));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('agent');
    expect(voice.mock.calls[0][1].query).toEqual({ leg: 'agent', bridge: 'b1' });
    const withoutQuery = await post('/twilio/voice?leg=agent&bridge=b1', voiceParams, sign(`${PUBLIC_URL}/twilio/voice`, voiceParams));
    expect(withoutQuery.status).toBe(403);
  });

  it.each([
    ['missing', undefined],
    ['forged', 'bm90IGEgc2lnbmF0dXJl'],
    ['signed with another token', twilio.getExpectedTwilioSignature('other-token-xxxxxxxxxxxx', `${PUBLIC_URL}/twilio/voice`, voiceParams)],
  ])('refuses a %s signature with 403, one log line, and no handler call', async (_label, signature) => {
    const voice = jest.fn(() => Promise.resolve('<Response/>'));
    edge = await startEdge({ listen: false, handlers: { voice } });
    const res = await post('/twilio/voice', voiceParams, signature);
    expect(res.status).toBe(403);
    expect(voice).not.toHaveBeenCalled();
    expect(rejections(edge)).toHaveLength(1);
    expect(edge.module.counters.get(signature ? 'webhook_signature_invalid' : 'webhook_signature_missing')).toBe(1);
  });

  it('refuses a tampered body even with a signature valid for the original', async () => {
    edge = await startEdge({ listen: false });
    const sig = sign(`${PUBLIC_URL}/twilio/voice`, voiceParams);
    const res = await post('/twilio/voice', { ...voiceParams, From: '+15559999999' }, sig);
    expect(res.status).toBe(403);
  });

  it('answers 400 to a signed webhook without a call SID', async () => {
    edge = await startEdge({ listen: false });
    const params = { AccountSid: ACCOUNT };
    const res = await post('/twilio/voice', params, sign(`${PUBLIC_URL}/twilio/voice`, params));
    expect(res.status).toBe(400);
  });

  it('refuses a request of another Twilio account with 403, even correctly signed', async () => {
    const voice = jest.fn(() => Promise.resolve('<Response/>'));
    edge = await startEdge({ listen: false, handlers: { voice } });
    const params = { ...voiceParams, AccountSid: 'AC' + '2'.repeat(32) };
    const res = await post('/twilio/voice', params, sign(`${PUBLIC_URL}/twilio/voice`, params));
    expect(res.status).toBe(403);
    expect(voice).not.toHaveBeenCalled();
    expect(edge.module.counters.get('webhook_wrong_account')).toBe(1);
    expect(rejections(edge)).toEqual([expect.objectContaining({ reason: 'wrong_account' })]);
  });

  it('answers a failing handler with TwiML that apologises and hangs up, never with a 500', async () => {
    edge = await startEdge({ listen: false, handlers: { voice: () => Promise.reject(new Error('database unreachable')) } });
    const res = await post('/twilio/voice', voiceParams, sign(`${PUBLIC_URL}/twilio/voice`, voiceParams));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<Say[^>]*>Sorry, .*<\/Say>.*<Hangup\/>/);
    expect(edge.module.counters.get('webhook_handler_error')).toBe(1);
  });

  it('answers 400 naming the parameter when a value is too long', async () => {
    edge = await startEdge({ listen: false });
    const params = { ...voiceParams, From: '+1'.padEnd(10_000, '5') };
    const res = await post('/twilio/voice', params, sign(`${PUBLIC_URL}/twilio/voice`, params));
    expect(res.status).toBe(400);
    expect(res.text).toContain('at most 256 characters');
  });

  it('never logs the auth token or the media token', async () => {
    edge = await startEdge({ listen: false });
    const res = await post('/twilio/voice', voiceParams, sign(`${PUBLIC_URL}/twilio/voice`, voiceParams));
    const token = /name="token" value="([^"]+)"/.exec(res.text)![1];
    await post('/twilio/voice', voiceParams, 'forged');
    const text = edge.logs.text();
    expect(text).toContain('twilio.voice');
    expect(text).not.toContain(AUTH_TOKEN);
    expect(text).not.toContain(token);
  });
});

describe('POST /twilio/status', () => {
  const statusParams = { CallSid: CALL, AccountSid: ACCOUNT, CallStatus: 'completed', CallDuration: '42', SequenceNumber: '3' };

  it('passes a signed status callback to the handler', async () => {
    const status = jest.fn();
    edge = await startEdge({ listen: false, handlers: { status } });
    const res = await post('/twilio/status', statusParams, sign(`${PUBLIC_URL}/twilio/status`, statusParams));
    expect(res.status).toBe(204);
    expect(status).toHaveBeenCalledWith(expect.objectContaining({ CallSid: CALL, CallStatus: 'completed', CallDuration: '42' }), { query: {} });
  });

  it('hands a status callback to the handler once, however often it is retried or replayed', async () => {
    const status = jest.fn();
    edge = await startEdge({ listen: false, handlers: { status } });
    const sig = sign(`${PUBLIC_URL}/twilio/status`, statusParams);
    for (let i = 0; i < 3; i++) expect((await post('/twilio/status', statusParams, sig).set('I-Twilio-Idempotency-Token', 'idem-1')).status).toBe(204);
    expect(status).toHaveBeenCalledTimes(1);
    expect(edge.module.counters.get('webhook_duplicate')).toBe(2);
    expect(edge.logs.lines().filter((l) => l.event === 'twilio.webhook.duplicate')).toEqual([
      expect.objectContaining({ callSid: CALL, idempotencyToken: 'idem-1' }),
      expect.objectContaining({ callSid: CALL, idempotencyToken: 'idem-1' }),
    ]);
    // The next event of the same call is a new callback.
    const next = { ...statusParams, SequenceNumber: '4' };
    expect((await post('/twilio/status', next, sign(`${PUBLIC_URL}/twilio/status`, next))).status).toBe(204);
    expect(status).toHaveBeenCalledTimes(2);
  });

  it('acknowledges a callback whose handler throws, logging and counting it', async () => {
    edge = await startEdge({ listen: false, handlers: { status: () => { throw new Error('boom'); } } });
    const res = await post('/twilio/status', statusParams, sign(`${PUBLIC_URL}/twilio/status`, statusParams));
    expect(res.status).toBe(204);
    expect(edge.module.counters.get('webhook_handler_error')).toBe(1);
  });

  it('refuses an unsigned status callback', async () => {
    const status = jest.fn();
    edge = await startEdge({ listen: false, handlers: { status } });
    const res = await post('/twilio/status', statusParams);
    expect(res.status).toBe(403);
    expect(status).not.toHaveBeenCalled();
  });

  it('works when PUBLIC_URL has a base path and a trailing slash', async () => {
    const status = jest.fn();
    edge = await startEdge({ listen: false, handlers: { status }, publicUrl: 'https://example.com/tolk/' });
    const res = await post('/twilio/status', statusParams, sign('https://example.com/tolk/twilio/status', statusParams));
    expect(res.status).toBe(204);
    expect(edge.module.streamUrl).toBe('wss://example.com/tolk/twilio/media');
  });
});

describe('POST /twilio/stream-status', () => {
  const STREAM = 'MZ' + 'd'.repeat(32);
  const STATUS_URL = `${PUBLIC_URL}/twilio/stream-status`;
  const started = { AccountSid: ACCOUNT, CallSid: CALL, StreamSid: STREAM, StreamName: STREAM, StreamEvent: 'stream-started', Timestamp: '2025-01-02T03:04:05.678Z' };
  const failed = { ...started, StreamEvent: 'stream-error', StreamError: 'handshake answered HTTP 404' };
  const statusLines = (e: Edge) => e.logs.lines().filter((l) => l.event === 'twilio.stream.status');

  it('answers 204 and logs one line per event, counting only stream errors', async () => {
    edge = await startEdge({ listen: false });
    const stopped = { ...started, StreamEvent: 'stream-stopped' };
    for (const params of [started, stopped, failed]) expect((await post('/twilio/stream-status', params, sign(STATUS_URL, params))).status).toBe(204);
    expect(statusLines(edge)).toEqual([
      expect.objectContaining({ level: 'info', callSid: CALL, streamSid: STREAM, streamEvent: 'stream-started' }),
      expect.objectContaining({ level: 'info', callSid: CALL, streamSid: STREAM, streamEvent: 'stream-stopped' }),
      expect.objectContaining({ level: 'warn', callSid: CALL, streamSid: STREAM, streamEvent: 'stream-error', error: 'handshake answered HTTP 404' }),
    ]);
    expect(statusLines(edge)[0]).not.toHaveProperty('error');
    expect(edge.module.counters.get('stream_error')).toBe(1);
    expect(edge.module.counters.snapshot().stream_error).toBe(1);
  });

  it.each([
    ['missing', undefined],
    ['forged', 'bm90IGEgc2lnbmF0dXJl'],
    ['signed for another URL', sign(`${PUBLIC_URL}/twilio/status`, failed)],
  ])('refuses a %s signature with 403 and logs and counts nothing but the refusal', async (_label, signature) => {
    edge = await startEdge({ listen: false });
    const res = await post('/twilio/stream-status', failed, signature);
    expect(res.status).toBe(403);
    expect(rejections(edge)).toEqual([expect.objectContaining({ path: '/twilio/stream-status' })]);
    expect(statusLines(edge)).toEqual([]);
    expect(edge.module.counters.get('stream_error')).toBe(0);
    expect(edge.module.counters.get(signature ? 'webhook_signature_invalid' : 'webhook_signature_missing')).toBe(1);
  });

  it('refuses a tampered body even with a signature valid for the original', async () => {
    edge = await startEdge({ listen: false });
    const res = await post('/twilio/stream-status', { ...started, StreamEvent: 'stream-error' }, sign(STATUS_URL, started));
    expect(res.status).toBe(403);
    expect(edge.module.counters.get('stream_error')).toBe(0);
  });

  it.each([
    ['without a stream SID', { AccountSid: ACCOUNT, CallSid: CALL, StreamEvent: 'stream-started' }],
    ['with a malformed stream SID', { ...started, StreamSid: 'MZ123' }],
    ['with a malformed call SID', { ...started, CallSid: 'CA-not-a-sid' }],
    ['without an account SID', { CallSid: CALL, StreamSid: STREAM, StreamEvent: 'stream-started' }],
    ['without a stream event', { AccountSid: ACCOUNT, CallSid: CALL, StreamSid: STREAM }],
    ['with an empty stream event', { ...failed, StreamEvent: '' }],
  ])('answers 400 to a signed callback %s', async (_label, params: Record<string, string>) => {
    edge = await startEdge({ listen: false });
    const res = await post('/twilio/stream-status', params, sign(STATUS_URL, params));
    expect(res.status).toBe(400);
    expect(edge.module.counters.get('webhook_bad_request')).toBe(1);
    expect(edge.module.counters.get('stream_error')).toBe(0);
    expect(statusLines(edge)).toEqual([]);
  });

  it('logs and counts a replayed stream error once', async () => {
    edge = await startEdge({ listen: false });
    for (let i = 0; i < 3; i++) expect((await post('/twilio/stream-status', failed, sign(STATUS_URL, failed))).status).toBe(204);
    expect(statusLines(edge)).toHaveLength(1);
    expect(edge.module.counters.get('stream_error')).toBe(1);
    expect(edge.module.counters.get('webhook_duplicate')).toBe(2);
  });

  it('checks the signature against PUBLIC_URL with its base path', async () => {
    edge = await startEdge({ listen: false, publicUrl: 'https://example.com/tolk/' });
    expect((await post('/twilio/stream-status', started, sign(STATUS_URL, started))).status).toBe(403);
    expect((await post('/twilio/stream-status', started, sign('https://example.com/tolk/twilio/stream-status', started))).status).toBe(204);
  });
});

describe('POST /twilio/conference', () => {
  const CONF = 'CF' + 'f'.repeat(32);
  const URL = `${PUBLIC_URL}/twilio/conference?call=c1`;
  const conference = (event: string, sequence?: string): Record<string, string> => ({
    AccountSid: ACCOUNT,
    ConferenceSid: CONF,
    StatusCallbackEvent: event,
    CallSid: CALL,
    ...(sequence !== undefined ? { SequenceNumber: sequence } : {}),
  });

  /** A replay store that takes `ms` to answer, and keeps what was claimed. */
  function slowStore(ms: number) {
    const claimed: string[] = [];
    return {
      claimed,
      claim: async (key: string): Promise<boolean> => {
        await new Promise((r) => setTimeout(r, ms));
        if (claimed.includes(key)) return false;
        claimed.push(key);
        return true;
      },
    };
  }

  it('claims no replay key for a numbered speech report, and times each event from its arrival, before the claim', async () => {
    const seen: { event: string; sinceArrivalMs: number }[] = [];
    const store = slowStore(150);
    edge = await startEdge({
      listen: false,
      webhookReplays: store,
      handlers: { conference: (p, ctx) => void seen.push({ event: p.StatusCallbackEvent, sinceArrivalMs: ctx.sinceArrivalMs?.() ?? -1 }) },
    });
    const send = (params: Record<string, string>) => post('/twilio/conference?call=c1', params, sign(URL, params));
    for (const params of [conference('participant-join', '1'), conference('participant-speech-start', '2'), conference('participant-speech-stop')])
      expect((await send(params)).status).toBe(204);
    // The join and the speech report with no number (which nothing could order) are claimed; the numbered one is not.
    expect(store.claimed).toEqual([`conference:${CONF}:participant-join:${CALL}:1`, `conference:${CONF}:participant-speech-stop:${CALL}:`]);
    expect(seen.map((s) => s.event)).toEqual(['participant-join', 'participant-speech-start', 'participant-speech-stop']);
    // The time a claimed event waited for its claim counts as time since it arrived.
    expect(seen[0].sinceArrivalMs).toBeGreaterThanOrEqual(140);
    expect(seen[1].sinceArrivalMs).toBeLessThan(140);
    // Handed over again, a numbered speech report reaches the handler (the call drops it by its number).
    expect((await send(conference('participant-speech-start', '2'))).status).toBe(204);
    expect(seen).toHaveLength(4);
  });
});

describe('POST /twilio/announce', () => {
  const CONF = 'CF' + 'f'.repeat(32);
  const params = { AccountSid: ACCOUNT, ConferenceSid: CONF, CallSid: CALL };
  const path = `/twilio/announce?${new URLSearchParams({ message: 'La interpretación no está disponible.', language: 'es-ES' }).toString()}`;

  it('answers a signed request with the words of its URL, said in its language (the participant stays in the conference)', async () => {
    edge = await startEdge({ listen: false });
    const res = await post(path, params, sign(`${PUBLIC_URL}${path}`, params));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    const doc = normalise(parseXml(res.text));
    expect(doc.children).toEqual([{ name: 'Say', attributes: { language: 'es-ES' }, children: ['La interpretación no está disponible.'] }]);
  });

  it("refuses an unsigned request, and another account's", async () => {
    edge = await startEdge({ listen: false });
    expect((await post(path, params)).status).toBe(403);
    const other = { ...params, AccountSid: 'AC' + '9'.repeat(32) };
    expect((await post(path, other, sign(`${PUBLIC_URL}${path}`, other))).status).toBe(403);
  });
});
