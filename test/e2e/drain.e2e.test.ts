/**
 * Shutting down without cutting calls (a deploy, SIGTERM): tolk answers /readyz 503 at once and
 * turns new callers away, while the calls in progress run on until their parties hang up. A call
 * still going when TOLK_DRAIN_TIMEOUT_MS passes is told why it ends (each party in their own
 * language) and then ended; asked again (a second signal), tolk ends the live calls at once.
 */
import { FilePromptLibrary } from '../../src/call/prompts';
import type { CallRecord } from '../../src/store/call-record';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, keepWav, loudFrames, speechRunsHeard, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * A rig whose calls carry the caller's own voice to the agent (no translation comes back in time),
 * at twice real time: what the parties hear of a notice is the point, so the machine must keep up.
 */
function drainingRig(drainMs: number): Promise<Rig> {
  return startRig({ speed: 2, env: { TOLK_DRAIN_TIMEOUT_MS: String(drainMs) }, number: { originalVolume: 1 }, gemini: { mode: 'echo', lagMs: 60_000 } });
}

async function bridgedCall(r: Rig, party: { speakAfterSec?: number; hangupAfterSec: number }): Promise<{ callerSid: string; agentSid: string }> {
  r.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
  const callerSid = await r.twilio.dial({
    from: CALLER_NUMBER,
    to: TOLK_NUMBER,
    party: { ...(party.speakAfterSec !== undefined ? { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: party.speakAfterSec } : {}), hangupAfterSec: party.hangupAfterSec },
  });
  await waitUntil(() => r.logs.some((l) => l.event === 'call.transition' && l.to === 'bridged'), 20_000, 'the call to be bridged');
  const agentSid = r.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
  return { callerSid, agentSid };
}

/** Starts stopping tolk; `done()` says whether it has finished. */
function stopTolk(r: Rig): { stopped: Promise<void>; done: () => boolean } {
  let finished = false;
  const stopped = r.tolk.stop().then(() => {
    finished = true;
  });
  return { stopped, done: () => finished };
}

/**
 * The share of the prompt's stretches of speech heard intact (in order, each within 100 ms of the
 * last): a frame a busy machine slips shifts what follows, which a whole-prompt match would count as noise.
 */
function intactShare(heard: Int16Array, prompt: Int16Array): number {
  const runs = speechRunsHeard(heard, prompt);
  return runs.filter((run) => run.snrDb > 20).length / Math.max(1, runs.length);
}

/** Whether the last `frames` 20 ms frames of `heard` are all quiet (nothing above -30 dBFS). */
function quietFor(heard: Int16Array, frames: number): boolean {
  return heard.length >= frames * 160 && loudFrames(heard.subarray(heard.length - frames * 160), -30).length === 0;
}

async function onlyRecord(r: Rig): Promise<CallRecord> {
  const { items } = await r.tolk.records.list({ limit: 10 });
  expect(items).toHaveLength(1);
  return items[0];
}

describe('shutting down with calls in progress', () => {
  it('keeps serving the live call until its parties hang up, while /readyz says 503 and new callers hear that all lines are busy', async () => {
    rig = await drainingRig(60_000);
    const r = rig;
    // The caller starts speaking only after tolk was told to stop.
    const { callerSid, agentSid } = await bridgedCall(r, { speakAfterSec: 4, hangupAfterSec: 11 });
    const agentHeardBefore = r.twilio.recording(agentSid).heard.length;
    const stop = stopTolk(r);
    expect((await fetch(`http://127.0.0.1:${r.tolk.address.port}/readyz`)).status).toBe(503);

    const late = await r.twilio.dial({ from: '+34910000002', to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await r.twilio.waitForStatus(late, 'completed', 10_000);
    const said = r.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === late && e.verb === 'Say');
    expect(said.map((e) => (e.type === 'twiml' ? String(e.detail.text) : ''))).toEqual([expect.stringMatching(/^Todas nuestras líneas están ocupadas/)]);
    expect(r.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(1);

    // The call goes on: the agent hears the caller speak, and tolk stops once the caller hangs up.
    expect(stop.done()).toBe(false);
    await r.twilio.waitForStatus(callerSid, 'completed', 30_000);
    await waitUntil(stop.done, 10_000, 'tolk to stop once its last call ended');
    const spoken = loudFrames(r.twilio.recording(callerSid).said, -30).length;
    expect(spoken).toBeGreaterThan(50);
    expect(loudFrames(r.twilio.recording(agentSid).heard.subarray(agentHeardBefore), -30).length).toBeGreaterThan(spoken * 0.5);
    expect(await onlyRecord(r)).toMatchObject({ state: 'ended', outcome: 'completed' });
    expect(r.logs.some((l) => l.event === 'calls.drain_ended')).toBe(false);
  });

  it('tells both parties in their own language why the call ends when it outlasts the drain timeout, then ends it as interrupted', async () => {
    rig = await drainingRig(1500);
    const r = rig;
    const { callerSid, agentSid } = await bridgedCall(r, { hangupAfterSec: 120 });
    const stop = stopTolk(r);
    await stop.stopped;

    await r.twilio.waitForStatus(callerSid, 'completed', 10_000);
    await r.twilio.waitForStatus(agentSid, 'completed', 10_000);
    const prompts = new FilePromptLibrary();
    const caller = r.twilio.recording(callerSid).heard;
    const agent = r.twilio.recording(agentSid).heard;
    keepWav('drain-caller-heard.wav', r.twilio.recording(callerSid).heardWav());
    // Each heard the whole notice in their own language, and not the other's.
    expect(intactShare(caller, prompts.get('serviceEnding', 'es')!)).toBeGreaterThan(0.8);
    expect(intactShare(agent, prompts.get('serviceEnding', 'en')!)).toBeGreaterThan(0.8);
    expect(intactShare(caller, prompts.get('serviceEnding', 'en')!)).toBeLessThan(0.2);
    const record = await onlyRecord(r);
    expect(record).toMatchObject({ state: 'ended', outcome: 'interrupted', endReason: expect.stringContaining('drain timeout') as string });
  });

  it('in a conference it created, each party hears the notice in their language through the interpreter, then the conference ends', async () => {
    rig = await startRig({ speed: 2, interpreterApp: true, env: { TOLK_DRAIN_TIMEOUT_MS: '1000' }, number: { mode: 'conference', interpretation: 'whisper' } });
    const r = rig;
    r.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
    const callerSid = await r.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 300 } });
    await waitUntil(() => r.logs.filter((l) => l.event === 'twilio.media.leg_started').length >= 2, 20_000, 'both whisper legs to connect');
    const agentSid = r.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
    await stopTolk(r).stopped;

    await waitUntil(() => r.twilio.calls().every((c) => c.status === 'completed'), 10_000, 'every leg to end');
    const prompts = new FilePromptLibrary();
    keepWav('drain-conference-agent-heard.wav', r.twilio.recording(agentSid).heardWav());
    expect(intactShare(r.twilio.recording(callerSid).heard, prompts.get('serviceEnding', 'es')!)).toBeGreaterThan(0.8);
    expect(intactShare(r.twilio.recording(agentSid).heard, prompts.get('serviceEnding', 'en')!)).toBeGreaterThan(0.8);
    expect(intactShare(r.twilio.recording(agentSid).heard, prompts.get('serviceEnding', 'es')!)).toBeLessThan(0.2);
    expect(await onlyRecord(r)).toMatchObject({ kind: 'conference', outcome: 'interrupted', endReason: expect.stringContaining('drain timeout') as string });
  });

  it('ends the live calls at once, without a notice, when asked again', async () => {
    rig = await drainingRig(60_000);
    const r = rig;
    const { callerSid, agentSid } = await bridgedCall(r, { hangupAfterSec: 120 });
    // The ringback tolk played while the agent rang stops at the bridge, but what Twilio already
    // held of it still plays out after: wait for the caller's line to fall quiet first.
    await waitUntil(() => quietFor(r.twilio.recording(callerSid).heard, 10), 10_000, "the caller's ringback to stop");
    const heardBefore = r.twilio.recording(callerSid).heard.length;
    const stop = stopTolk(r);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stop.done()).toBe(false);
    r.tolk.endCallsNow();
    await stop.stopped;
    await r.twilio.waitForStatus(callerSid, 'completed', 10_000);
    await r.twilio.waitForStatus(agentSid, 'completed', 10_000);
    // Nothing was said to the caller once tolk began stopping.
    expect(loudFrames(r.twilio.recording(callerSid).heard.subarray(heardBefore), -30)).toEqual([]);
    expect(await onlyRecord(r)).toMatchObject({ outcome: 'error', endReason: 'tolk shut down' });
  });

  it('stops a notice already playing when asked again, and ends the call at once', async () => {
    // Real time: the Spanish notice lasts about 8 s.
    rig = await startRig({ speed: 1, env: { TOLK_DRAIN_TIMEOUT_MS: '300' }, gemini: { mode: 'echo', lagMs: 60_000 } });
    const r = rig;
    const { callerSid } = await bridgedCall(r, { hangupAfterSec: 120 });
    const stop = stopTolk(r);
    await waitUntil(() => r.logs.some((l) => l.event === 'calls.drain_ended'), 5000, 'the drain timeout');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const asked = Date.now();
    r.tolk.endCallsNow();
    await stop.stopped;
    expect(Date.now() - asked).toBeLessThan(4000);
    await r.twilio.waitForStatus(callerSid, 'completed', 10_000);
    expect(await onlyRecord(r)).toMatchObject({ outcome: 'error', endReason: 'tolk shut down' });
  });
});

