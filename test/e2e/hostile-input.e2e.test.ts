/**
 * Hostile input at tolk's doors while a call is in progress, through both emulators in real time:
 * the call must not hear it. The call's translated speech is compared with what the (scripted)
 * translation service sent, so a single frame lost or late shows up as a gap.
 */
import fs from 'node:fs';
import { Downsampler24to8, readWav } from '../../src/audio';
import { RealFrameClock } from '../../src/call/frame-clock';
import { loadScript } from '../../src/emulators/gemini/script';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, keepWav, matchSnrDb, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(90_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const ADMIN = { authorization: 'Bearer admin-token-for-tests-0123456789', 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const expected = (file: string): Int16Array => new Downsampler24to8().process(readWav(fs.readFileSync(fixture(file))).samples);

/** A call in real time whose caller says one scripted sentence; resolves once it is bridged. */
async function callInProgress(): Promise<{ callerSid: string; skipped: () => number }> {
  const script = await loadScript(require.resolve('../../scripts/demo-es-en.json'));
  let skipped = 0;
  rig = await startRig({
    speed: 1,
    gemini: { mode: 'script', script, detector: { pauseMs: 1200, maxUtteranceMs: 15_000 } },
    overrides: { clock: new RealFrameClock({ onSkip: (n) => (skipped += n) }) },
  });
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 18 } });
  await waitUntil(() => rig.logs.some((l) => l.event === 'call.transition' && l.to === 'bridged'), 10_000, 'the call to be bridged');
  return { callerSid, skipped: () => skipped };
}

/** What the agent heard of the caller's translated sentence, against what the service sent. */
async function agentHeardIntact(callerSid: string, name: string): Promise<number> {
  await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
  await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
  const heard = rig.twilio.recording(agentSid);
  keepWav(name, heard.heardWav());
  return matchSnrDb(heard.heard, expected('caller-es.to-en.pcm24k.wav')).snrDb;
}

describe('hostile input during a call', () => {
  it('ten 95 KB language codes sent to the admin API cost the call in progress nothing', async () => {
    const { callerSid, skipped } = await callInProgress();
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    const body = JSON.stringify({ destination: '+15550002222', callerLanguage: 'x'.repeat(95_000), agentLanguage: 'en' });
    const statuses: number[] = [];
    // One every 700 ms from 3 s after the call was bridged, while the translation plays.
    await sleep(3000);
    for (let i = 0; i < 10; i++) {
      statuses.push((await fetch(`${base}/api/numbers/+15550009999`, { method: 'PUT', headers: ADMIN, body })).status);
      await sleep(700);
    }
    expect(statuses).toEqual(Array(10).fill(400));
    expect(await agentHeardIntact(callerSid, 'hostile-admin-agent-heard.wav')).toBeGreaterThan(30);
    expect(skipped()).toBe(0);
  });
});
