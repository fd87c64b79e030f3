/**
 * A whole interpreted call through both emulators and the real SDKs: a Spanish-speaking caller
 * dials the tolk number, tolk dials the English-speaking agent, and each hears the other's speech
 * (echoed by the Gemini emulator) at the right time, on the right leg.
 */
import { readWav } from '../../src/audio';
import fs from 'node:fs';
import { hearScriptedExchange } from './scripted-exchange';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, expectUndamaged, fixture, keepWav, loudFrames, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

/** How many 20 ms frames of a recording are speech (above -30 dBFS). */
function speechFrames(file: string): number {
  return loudFrames(readWav(fs.readFileSync(fixture(file))).samples, -30).length;
}

describe('an interpreted call, end to end', () => {
  it('carries each party\'s speech to the other leg, in time and intact', async () => {
    rig = await startRig();
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 10 });
    const callerSid = await rig.twilio.dial({
      from: CALLER_NUMBER,
      to: TOLK_NUMBER,
      party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 24 },
    });
    await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid;
    expect(agentSid).toBeDefined();
    await rig.twilio.waitForStatus(agentSid!, 'completed', 10_000);

    const caller = rig.twilio.recording(callerSid);
    const agent = rig.twilio.recording(agentSid!);
    keepWav('call-caller-heard.wav', caller.heardWav());
    keepWav('call-agent-heard.wav', agent.heardWav());

    // The agent hears the caller's (echoed) speech loud, well above the -16 dB original under it.
    const agentLoud = loudFrames(agent.heard, -30);
    expect(agentLoud.length).toBeGreaterThan(0.8 * speechFrames('caller-es.ulaw8k.wav'));
    // ...and the caller hears the agent's.
    const callerLoud = loudFrames(caller.heard, -30);
    expect(callerLoud.length).toBeGreaterThan(0.8 * speechFrames('agent-en.ulaw8k.wav'));

    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');
    const records = await rig.tolk.records.list({ limit: 10 });
    expect(records.items).toHaveLength(1);
    expect(records.items[0].outcome).toBe('completed');
    // The operator's view: the call and its transcript over the admin API, and the metrics.
    const base = `http://127.0.0.1:${rig.tolk.address.port}`;
    const res = await fetch(`${base}/api/calls/${records.items[0].id}`, { headers: { authorization: 'Bearer admin-token-for-tests-0123456789' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outcome: string; legs: { role: string }[]; transcript: { direction: string; source: { languageCode: string }; translation: { languageCode: string } }[] };
    expect(body.outcome).toBe('completed');
    expect(body.legs.map((l) => l.role).sort()).toEqual(['agent', 'caller']);
    const toAgent = body.transcript.find((u) => u.direction === 'caller->agent');
    const toCaller = body.transcript.find((u) => u.direction === 'agent->caller');
    expect(toAgent).toMatchObject({ source: { languageCode: 'es' }, translation: { languageCode: 'en' } });
    expect(toCaller).toMatchObject({ source: { languageCode: 'en' }, translation: { languageCode: 'es' } });
    expect((await fetch(`${base}/api/calls/${records.items[0].id}`)).status).toBe(401);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_total\{outcome="completed"\} 1$/m);
    expect(metrics).toMatch(/^tolk_active_calls 0$/m);
    expect(metrics).toMatch(/^tolk_utterance_latency_seconds_count\{direction="caller->agent"\} [1-9]/m);
    expect(metrics).toMatch(/^tolk_utterance_lag_seconds_count\{direction="caller->agent"\} [1-9]/m);
  });

  it('plays the translated speech to the other party intact: no gap, no click, no distortion', async () => {
    // Real time: gaps are what this test looks for, and compressed time would multiply every
    // scheduling delay of a busy machine into emulated network jitter.
    // The model translates while the speaker talks, so the translation overlaps their voice: with
    // no original voice under it, what the listener hears is the translation alone, to compare.
    const heard = await hearScriptedExchange({}, 'intact', (r) => (rig = r));
    // Through resampling, mixing, G.711 and both emulators, only mu-law's own noise remains in
    // every stretch of speech.
    expectUndamaged({ agent: heard.agent.damaged, caller: heard.caller.damaged }, heard.seen);
    expect(heard.agent.stretches).toBeGreaterThan(15);
    expect(heard.caller.stretches).toBeGreaterThan(8);
  });
});
