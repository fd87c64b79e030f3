/**
 * tolk stops mid-call (killed, not shut down): every transcript line that was already final is in
 * the database when it comes back, and the operator can read it; the call, which nobody serves any
 * more, is closed as interrupted at the time Twilio reports it ended, and ends like any call: the
 * customer's webhook receives its record and transcript.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { freePort } from '../../src/emulators/free-port';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { spawnTolk, type TolkProcess } from '../helpers/tolk-process';
import { startReceiver, type Receiver } from '../webhooks/helpers';
import { ADMIN_TOKEN as ADMIN, AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, emulatorEnv, fixture, waitUntil } from './harness';

jest.setTimeout(90_000);

let twilio: TwilioEmulator | undefined;
let gemini: GeminiEmulator | undefined;
let tolk: TolkProcess | undefined;
let receiver: Receiver | undefined;
let dir = '';

afterEach(async () => {
  await tolk?.stop('SIGKILL');
  await receiver?.close();
  await twilio?.close();
  await gemini?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** tolk in `dir`, where its numbers file and database are. */
function startTolk(env: Record<string, string>): TolkProcess {
  return spawnTolk(env, { cwd: dir });
}

async function up(base: string): Promise<void> {
  await waitUntil(
    async () => {
      try {
        return (await fetch(`${base}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    20_000,
    'tolk to start',
  );
}

interface CallJson {
  id: string;
  state: string;
  outcome?: string;
  endReason?: string;
  endedAt?: string;
  legs: { role: string; callSid: string }[];
  transcript: { direction: string; source: { text: string } }[];
}

const api = async <T>(base: string, p: string): Promise<T> => (await (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as T;

describe('a tolk restart mid-call', () => {
  it('loses no transcript line that was already final, and closes the call it no longer serves as interrupted', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-restart-'));
    gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300 });
    twilio = await startTwilioEmulator({ sayAudio: 'silence' });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`);
    receiver = await startReceiver([200]);
    const env = {
      ...emulatorEnv({ port, publicUrl: base, twilio, gemini, logLevel: 'warn' }),
      TOLK_WEBHOOK_URL: receiver.url,
      TOLK_WEBHOOK_SECRET: 'whsec-restart-0123456789abcdef',
      TOLK_ALLOW_HTTP_WEBHOOKS: 'true',
      TOLK_ALLOW_PRIVATE_WEBHOOKS: 'true',
      TOLK_NUMBERS: path.join(dir, 'numbers.yaml'),
      TOLK_DB_PATH: path.join(dir, 'tolk.db'),
    };
    tolk = startTolk(env);
    await up(base);
    twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${base}/twilio/voice`, statusCallback: `${base}/twilio/status` });
    twilio.setCallee(AGENT_NUMBER, {});
    // Real time: the caller speaks once, then the call goes on in silence.
    await twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 0.5, hangupAfterSec: 60 } });

    let calls: { calls: { id: string }[] } = { calls: [] };
    await waitUntil(async () => {
      calls = await api<typeof calls>(base, '/api/calls?limit=1');
      if (calls.calls.length === 0) return false;
      const call = await api<CallJson>(base, `/api/calls/${calls.calls[0].id}`);
      return call.transcript.length > 0;
    }, 40_000, 'a final transcript line');
    const before = await api<CallJson>(base, `/api/calls/${calls.calls[0].id}`);
    expect(before.state).toBe('bridged');

    // tolk dies mid-call.
    await tolk.stop('SIGKILL');
    tolk = startTolk(env);
    await up(base);
    // The killed tolk's streams closed with it, so Twilio ended both legs; no callback reached tolk.
    const callerSid = before.legs.find((l) => l.role === 'caller')!.callSid;
    const agentSid = before.legs.find((l) => l.role === 'agent')!.callSid;
    await twilio.waitForStatus(callerSid, 'completed', 20_000);
    await twilio.waitForStatus(agentSid, 'completed', 20_000);
    let after = await api<CallJson>(base, `/api/calls/${before.id}`);
    await waitUntil(async () => (after = await api<CallJson>(base, `/api/calls/${before.id}`)).outcome !== undefined, 20_000, 'the call to be reconciled');
    expect(after.transcript).toEqual(before.transcript);
    expect(after.transcript[0]).toMatchObject({ direction: 'caller->agent', source: { text: expect.stringMatching(/^\[es speech/) } });
    expect(after).toMatchObject({ state: 'ended', outcome: 'interrupted' });
    expect(after.endReason).toMatch(/^tolk stopped serving the call while it was bridged; the phone network reports caller completed at .*, agent completed at /);
    // Ended when Twilio says the last leg ended (to the second, as Twilio reports times).
    const ends = await Promise.all([callerSid, agentSid].map(async (sid) => {
      const res = await fetch(`${twilio!.url}/2010-04-01/Accounts/${twilio!.accountSid}/Calls/${sid}.json`, { headers: { authorization: `Basic ${Buffer.from(`${twilio!.accountSid}:${twilio!.authToken}`).toString('base64')}` } });
      return Date.parse(((await res.json()) as { end_time: string }).end_time);
    }));
    expect(Date.parse(after.endedAt!)).toBe(Math.max(...ends));
    // The customer's server hears that the call ended, with its record and transcript.
    await waitUntil(() => receiver!.received.length > 0, 20_000, 'the webhook of the interrupted call');
    const hook = JSON.parse(receiver.received[0].body) as { event: string; callId: string; outcome: string; endedAt: string; call: CallJson };
    expect(hook).toMatchObject({ event: 'call.ended', callId: before.id, outcome: 'interrupted', endedAt: after.endedAt, call: { id: before.id, state: 'ended', outcome: 'interrupted' } });
    expect(hook.call.transcript).toEqual(before.transcript);
    expect(receiver.received).toHaveLength(1);
    // tolk serves no call now, and takes new ones.
    expect(await api<{ calls: unknown[] }>(base, '/api/calls?outcome=interrupted')).toMatchObject({ calls: [{ id: before.id }] });
  });
});
