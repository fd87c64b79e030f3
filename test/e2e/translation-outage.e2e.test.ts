/**
 * The translation service goes away mid-call and comes back having forgotten every session (its
 * old resumption handles are refused, as the real service refuses them): tolk finds it again and
 * translates again, through both emulators, in real time (the reconnect delay is what is tested).
 */
import { loadWavAs8k } from '../../src/emulators/twilio/audio';
import { startGeminiEmulator } from '../../src/emulators/gemini/server';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(90_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a translation service outage mid-call', () => {
  it('translates again within 2 s of the service coming back, though it refuses the old sessions', async () => {
    rig = await startRig({ speed: 1, gemini: { resumptionIntervalMs: 1000 } });
    // The caller speaks at 1 s and again at 21 s after answering; the agent listens.
    const clip = loadWavAs8k(fixture('caller-es.ulaw8k.wav'));
    const speech = new Int16Array(20 * 8000 + clip.length);
    speech.set(clip, 0);
    speech.set(clip, 20 * 8000);
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech, speakAfterSec: 1, hangupAfterSec: 34 } });
    await waitUntil(() => rig.logs.some((l) => l.event === 'call.transition' && l.to === 'bridged'), 10_000, 'the call to be bridged');
    await waitUntil(() => rig.gemini.stats().setups >= 2, 5000, 'both translation sessions');

    // 10 s into the call the service disappears, and comes back on its address 5 s later.
    await sleep(10_000);
    const { port } = rig.gemini;
    await rig.gemini.close();
    await sleep(5_000);
    rig.gemini = await startGeminiEmulator({ port, mode: 'echo', language: 'en=es,es=en', lagMs: 300 });
    const back = Date.now();
    await waitUntil(() => rig.gemini.stats().setups >= 2, 10_000, 'both directions to translate again');
    expect(Date.now() - back).toBeLessThanOrEqual(2000);
    // Each direction first tried to resume, was refused, and started afresh.
    expect(rig.logs.filter((l) => l.event === 'translate.resumption_refused').length).toBeGreaterThanOrEqual(2);

    await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');
    // The caller's second sentence was translated by the service that came back...
    expect(rig.gemini.stats().outputSamples).toBeGreaterThan(0);
    const [record] = (await rig.tolk.records.list({ limit: 1 })).items;
    const call = (await rig.tolk.records.get(record.id))!;
    const toAgent = call.transcript.filter((u) => u.direction === 'caller->agent');
    expect(toAgent.length).toBeGreaterThanOrEqual(2);
    expect(toAgent.at(-1)!.source.text).toMatch(/^\[es speech/);
    // ...and translation never gave up on the call.
    expect(rig.logs.filter((l) => l.event === 'call.translation_unavailable')).toEqual([]);
    expect(rig.logs.filter((l) => l.event === 'translate.failed')).toEqual([]);
  });
});
