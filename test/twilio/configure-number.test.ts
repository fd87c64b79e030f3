import { runConfigureNumber } from '../../scripts/configure-number';
import { ACCOUNT, AUTH_TOKEN } from './helpers/edge';
import { numberConfiguredReplies, startRestStub, twilioError, type RestStub } from './helpers/rest-stub';

const PN = 'PN' + '4'.repeat(32);
let stub: RestStub;
let out: string;
let err: string;
const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };

beforeEach(async () => {
  stub = await startRestStub();
  out = '';
  err = '';
});
afterEach(() => stub.close());

const env = () => ({ PUBLIC_URL: 'https://tolk.example.com/', TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_API_URL: stub.url });

describe('scripts/configure-number', () => {
  it('prints help', async () => {
    await expect(runConfigureNumber(['--help'], {}, io)).resolves.toBe(0);
    expect(out).toContain('/twilio/voice');
    expect(out).toContain('TWILIO_API_URL');
  });

  it('refuses a missing or malformed number with exit 2, as tolk does a usage error', async () => {
    await expect(runConfigureNumber([], env(), io)).resolves.toBe(2);
    await expect(runConfigureNumber(['5551234'], env(), io)).resolves.toBe(2);
    expect(err).toContain('E.164');
  });

  it('names every missing Twilio variable with exit 2 (and does not need GEMINI_API_KEY)', async () => {
    await expect(runConfigureNumber(['+15551234567'], { PUBLIC_URL: 'https://x.example' }, io)).resolves.toBe(2);
    expect(err).toContain('TWILIO_ACCOUNT_SID is required');
    expect(err).toContain('TWILIO_AUTH_TOKEN is required');
    expect(err).not.toContain('GEMINI');
  });

  it("sets the number's Voice URL and status callback from PUBLIC_URL", async () => {
    stub.replies.push(...numberConfiguredReplies(PN));
    await expect(runConfigureNumber(['+15551234567'], env(), io)).resolves.toBe(0);
    expect(Object.fromEntries(stub.requests[1].form)).toMatchObject({
      VoiceUrl: 'https://tolk.example.com/twilio/voice',
      StatusCallback: 'https://tolk.example.com/twilio/status',
    });
    expect(out).toContain('Configured +15551234567');
  });

  it('exit 3, in one line without JSON log lines, when Twilio cannot be reached', async () => {
    const closed = await startRestStub();
    await closed.close();
    await expect(runConfigureNumber(['+15551234567'], { ...env(), TWILIO_API_URL: closed.url }, io)).resolves.toBe(3);
    expect(err).toBe(`configure-number: cannot reach Twilio at ${closed.url} (TWILIO_API_URL): ECONNREFUSED\n`);
  });

  it('reports a Twilio error clearly', async () => {
    stub.replies.push(twilioError(401, 20003, 'Authenticate'));
    await expect(runConfigureNumber(['+15551234567'], env(), io)).resolves.toBe(1);
    expect(err).toContain('Authenticate (HTTP 401, Twilio error 20003)');
    expect(err).not.toContain(AUTH_TOKEN);
    expect(err).toContain('Twilio did not accept the account: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    expect(err).not.toContain(ACCOUNT);
  });
});
