/**
 * A call whose media Twilio delivers with ±30 ms of network jitter (frames sent every 20 ms, each
 * reaching tolk 0 to 60 ms later, in order, with the timestamp and sequence number it was sent
 * with): the other party hears the speaker's own voice and the translation intact, with no hole
 * and no slip inside speech, the voice's delay steady while they speak; /metrics reports the jitter buffer.
 */
import { hearScriptedExchange } from './scripted-exchange';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, expectUndamaged, fixture, keepWav, speechRunsHeard, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const JITTER = { faults: { jitterMs: 30, seed: 7 } };

describe('a call under ±30 ms of network jitter', () => {
  it("carries the caller's own voice to the agent intact, its delay steady while they speak", async () => {
    // Real time: jitter is the point. The model's translation would come after the call is over,
    // so what the agent hears is the caller's voice alone, at full volume.
    rig = await startRig({ speed: 1, pauseOnStall: true, twilio: JITTER, number: { originalVolume: 1 }, gemini: { mode: 'echo', lagMs: 60_000 } });
    rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    // The caller speaks well after the agent is on the line (a busy machine takes a while to
    // bridge): what is measured is the voice through the bridged call.
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 6, hangupAfterSec: 15 } });
    await waitUntil(() => rig.twilio.call(callerSid)?.status === 'completed', 30_000, 'the caller to hang up', rig.time?.now);
    const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');

    const agent = rig.twilio.recording(agentSid);
    keepWav('jitter-agent-heard.wav', agent.heardWav());
    // Every stretch of the caller's speech (as their microphone said it) is heard whole: every
    // 20 ms of it, in order, once.
    const runs = speechRunsHeard(agent.heard, rig.twilio.recording(callerSid).said);
    const closed = rig.logs.filter((l) => l.event === 'leg.closed') as { legId: string; inbound: { addedMs: number } }[];
    const caller = closed.find((l) => l.legId === 'caller');
    expect(runs.length).toBeGreaterThan(10);
    // (On failure, the jitter buffer's counts say whether a hole was a stall of this machine: underruns.)
    expectUndamaged({ caller: runs.filter((r) => r.snrDb < 30) }, { longestStallMs: rig.time?.longestStallMs, inbound: caller?.inbound });
    // The delay did not creep up while the caller spoke: at most 40 ms between the stretches.
    const lags = runs.map((r) => r.lag);
    expect(Math.max(...lags) - Math.min(...lags)).toBeLessThanOrEqual(320);

    // What the jitter buffer did is logged with the leg and counted. (Its delay bound, 40 ms under
    // ±30 ms, is asserted where no stall of this machine adds to it: test/call/inbound-jitter.test.ts.)
    expect(caller?.inbound).toEqual(expect.objectContaining({ underruns: expect.any(Number) as number, grows: expect.any(Number) as number, addedMs: expect.any(Number) as number }));
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_inbound_underruns_total \d+$/m);
    expect(metrics).toMatch(/^tolk_inbound_late_frames_total \d+$/m);
    expect(metrics).toMatch(/^tolk_inbound_jitter_delay_seconds_count [1-9]/m);
  });

  it('plays the translated speech to each party intact', async () => {
    const heard = await hearScriptedExchange({ twilio: JITTER }, 'jitter-intact', (r) => (rig = r));
    expectUndamaged({ agent: heard.agent.damaged, caller: heard.caller.damaged }, heard.seen);
    expect(heard.agent.stretches).toBeGreaterThan(15);
    expect(heard.caller.stretches).toBeGreaterThan(8);
  });
});
