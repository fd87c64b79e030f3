/**
 * At start-up tolk checks the interpreter's TwiML App (TWILIO_TWIML_APP_SID) with Twilio: an app
 * the account does not have, or one that sends its calls elsewhere, is named in the log with what
 * to do, instead of conference calls going on with nobody interpreting them.
 */
import { Writable } from 'node:stream';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { createLogger } from '../../src/log/logger';
import { TwilioRestClient } from '../../src/twilio/rest-client';
import { checkInterpreterApp } from '../../src/twilio/interpreter-app';
import { INTERPRETER_APP_SID, startRig, type Rig } from '../e2e/harness';

const PUBLIC_URL = 'https://tolk.example.com';
const APP_SID = 'AP' + 'b'.repeat(32);

function capture(): { logger: ReturnType<typeof createLogger>; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    }),
  });
  return { logger, logs };
}

const checks = (logs: Record<string, unknown>[]) => logs.filter((l) => typeof l.event === 'string' && l.event.startsWith('config.twiml_app'));

describe('checkInterpreterApp', () => {
  let emu: TwilioEmulator;
  afterEach(() => emu?.close());

  async function check(voiceUrl: string | undefined): Promise<Record<string, unknown>[]> {
    emu = await startTwilioEmulator(voiceUrl === undefined ? {} : { applications: [{ sid: APP_SID, friendlyName: 'tolk interpreter', voiceUrl }] });
    const { logger, logs } = capture();
    const rest = new TwilioRestClient({ accountSid: emu.accountSid, authToken: emu.authToken, apiUrl: emu.url, logger });
    await checkInterpreterApp(rest, APP_SID, PUBLIC_URL, logger);
    return checks(logs);
  }

  it('says an app the account does not have leaves conferences uninterpreted, and how to create it', async () => {
    const logged = await check(undefined);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'config.twiml_app_missing',
        msg: `TWILIO_TWIML_APP_SID=${APP_SID} is not a TwiML App of this Twilio account: conference calls will not be interpreted; run \`tolk twilio configure-app\` and set TWILIO_TWIML_APP_SID to the SID it prints, then restart tolk`,
      }),
    ]);
  });

  it("names where an app that sends its calls to another deployment's URL sends them", async () => {
    const logged = await check('https://old-tunnel.example.com/twilio/interpreter');
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', event: 'config.twiml_app_elsewhere', voiceUrl: 'https://old-tunnel.example.com/twilio/interpreter', expected: `${PUBLIC_URL}/twilio/interpreter` })]);
  });

  it("says nothing of an app whose Voice URL is this deployment's", async () => {
    expect(await check(`${PUBLIC_URL}/twilio/interpreter`)).toEqual([]);
  });
});

describe('tolk started with a TwiML App the Twilio account does not have', () => {
  let rig: Rig | undefined;
  afterEach(() => rig?.close());

  it('logs config.twiml_app_missing once it listens', async () => {
    // interpreterApp is off: the emulator has no app, but tolk is given one's SID.
    rig = await startRig({ env: { TWILIO_TWIML_APP_SID: INTERPRETER_APP_SID } });
    const logs = rig.logs;
    for (let i = 0; i < 100 && checks(logs).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(checks(logs)).toEqual([expect.objectContaining({ level: 'error', event: 'config.twiml_app_missing', appSid: INTERPRETER_APP_SID })]);
  });
});
