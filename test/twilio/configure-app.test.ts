/** `tolk twilio configure-app` against the Twilio emulator, through the real SDK. */
import { configureTwilioApp, describeConfiguredApp } from '../../src/cli/configure-number';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { createLogger } from '../../src/log/logger';

let emu: TwilioEmulator;
afterEach(async () => {
  await emu?.close();
});

const logger = createLogger({ level: 'silent' });

describe('configureTwilioApp', () => {
  it("creates the interpreter's TwiML App with PUBLIC_URL/twilio/interpreter, then updates the same app", async () => {
    emu = await startTwilioEmulator();
    const env = { PUBLIC_URL: 'https://tolk.example.com/', TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken, TWILIO_API_URL: emu.url };
    const first = await configureTwilioApp('tolk interpreter', env, logger);
    if (!first.ok) throw new Error(JSON.stringify(first));
    expect(first.app).toMatchObject({ friendlyName: 'tolk interpreter', voiceUrl: 'https://tolk.example.com/twilio/interpreter', voiceMethod: 'POST', created: true });
    expect(first.app.sid).toMatch(/^AP[0-9a-f]{32}$/);
    expect(describeConfiguredApp(first.app)).toContain(`TWILIO_TWIML_APP_SID=${first.app.sid}`);

    const again = await configureTwilioApp('tolk interpreter', { ...env, PUBLIC_URL: 'https://tolk2.example.com' }, logger);
    expect(again).toMatchObject({ ok: true, app: { sid: first.app.sid, voiceUrl: 'https://tolk2.example.com/twilio/interpreter', created: false } });
    expect(emu.applications()).toHaveLength(1);
  });

  it('names the missing Twilio variables', async () => {
    const out = await configureTwilioApp('tolk interpreter', { PUBLIC_URL: 'https://x.example' }, logger);
    expect(out).toMatchObject({ ok: false, kind: 'config' });
    expect(JSON.stringify(out)).toContain('TWILIO_ACCOUNT_SID is required');
  });
});
