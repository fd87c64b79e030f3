/**
 * The interpreted call's other paths, end to end through both emulators: same language, a
 * speakerphone, either side hanging up, busy and no-answer, a translation service that fails
 * mid-call, and two calls at once.
 */
import fs from 'node:fs';
import { readWav } from '../../src/audio';
import type { EmulatorEvent } from '../../src/emulators/twilio/events';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, frameLevels, keepWav, loudFrames, startRig, waitUntil, type Rig } from './harness';

jest.setTimeout(60_000);

let rig: Rig;
afterEach(async () => {
  await rig?.close();
});

const speech = (file: string): Int16Array => readWav(fs.readFileSync(fixture(file))).samples;
const loudCount = (file: string): number => loudFrames(speech(file), -30).length;

/** Mean level in dBFS of the frames above `floorDb`. */
function speechLevel(pcm: Int16Array, floorDb = -45): number {
  const levels = frameLevels(pcm).filter((l) => l > floorDb);
  return levels.reduce((a, b) => a + b, 0) / Math.max(1, levels.length);
}

async function endOf(callerSid: string): Promise<{ agentSid: string }> {
  await rig.twilio.waitForStatus(callerSid, 'completed', 30_000);
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
  await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'tolk to end the call');
  return { agentSid };
}

async function onlyRecord() {
  const page = await rig.tolk.records.list({ limit: 10 });
  expect(page.items).toHaveLength(1);
  return page.items[0];
}

function statusTime(sid: string, status: string): number {
  const e = rig.twilio.events().find((ev: EmulatorEvent) => ev.type === 'call.status' && ev.callSid === sid && ev.status === status);
  if (!e) throw new Error(`no ${status} for ${sid}`);
  return e.t;
}

describe('interpreted call scenarios', () => {
  it('puts both parties through directly, at full volume, when they speak the same language', async () => {
    // Everyone actually speaks English, although the number expects a Spanish caller.
    rig = await startRig({ gemini: { language: 'en' } });
    rig.twilio.setCallee(AGENT_NUMBER, { speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 12 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-en.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 24 } });
    await endOf(callerSid);
    const heard = rig.twilio.recording(callerSid).heard;
    keepWav('same-language-caller-heard.wav', rig.twilio.recording(callerSid).heardWav());
    // The agent's words reach the caller at the level they were spoken (not at originalVolume).
    expect(Math.abs(speechLevel(heard) - speechLevel(speech('agent-en.ulaw8k.wav')))).toBeLessThan(3);
    expect(loudFrames(heard, -30).length).toBeGreaterThan(0.8 * loudCount('agent-en.ulaw8k.wav'));
    expect(rig.logs.some((l) => l.event === 'translate.language' && l.sameAsListener === true)).toBe(true);
  });

  it('does not loop a speakerphone\'s echo back to the caller', async () => {
    // Real time: the translation overlaps the caller's speech (the model streams), so the agent's
    // loudspeaker plays it while the echo canceller is still converging, and in compressed time the
    // two emulators' clocks jitter against each other by more than a network would.
    rig = await startRig({ speed: 1 });
    // The agent says nothing; their microphone hears their loudspeaker at -10 dB.
    rig.twilio.setCallee(AGENT_NUMBER, { speakerphoneGainDb: -10 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 14 } });
    const { agentSid } = await endOf(callerSid);
    const agent = rig.twilio.recording(agentSid);
    const caller = rig.twilio.recording(callerSid);
    keepWav('speakerphone-agent-heard.wav', agent.heardWav());
    keepWav('speakerphone-caller-heard.wav', caller.heardWav());
    // The agent heard the translation...
    expect(loudFrames(agent.heard, -30).length).toBeGreaterThan(0.8 * loudCount('caller-es.ulaw8k.wav'));
    // ...and the caller never heard their own words come back (only ringback at the start).
    const ringbackEnd = 3 * 50;
    expect(loudFrames(caller.heard.subarray(ringbackEnd * 160), -35)).toEqual([]);
  });

  it('still translates the agent speaking over the play-out on a speakerphone', async () => {
    rig = await startRig({ speed: 4 });
    rig.twilio.setCallee(AGENT_NUMBER, { speakerphoneGainDb: -10, speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 6 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 26 } });
    await endOf(callerSid);
    const caller = rig.twilio.recording(callerSid);
    keepWav('doubletalk-caller-heard.wav', caller.heardWav());
    expect(loudFrames(caller.heard, -30).length).toBeGreaterThan(0.8 * loudCount('agent-en.ulaw8k.wav'));
  });

  it('ends the caller\'s call within a second when the agent hangs up', async () => {
    rig = await startRig();
    rig.twilio.setCallee(AGENT_NUMBER, { hangupAfterSec: 3 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    const { agentSid } = await endOf(callerSid);
    expect(statusTime(callerSid, 'completed') - statusTime(agentSid, 'completed')).toBeLessThanOrEqual(1000);
    expect((await onlyRecord()).outcome).toBe('completed');
    expect(rig.gemini.stats().connectionsOpen).toBe(0);
  });

  it('ends the agent\'s call within a second when the caller hangs up', async () => {
    rig = await startRig();
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 4 } });
    const { agentSid } = await endOf(callerSid);
    await rig.twilio.waitForStatus(agentSid, 'completed', 5000);
    expect(statusTime(agentSid, 'completed') - statusTime(callerSid, 'completed')).toBeLessThanOrEqual(1000);
    expect(rig.gemini.stats().connectionsOpen).toBe(0);
  });

  it('hears from Twilio, through <Stream statusCallback>, that each leg\'s media stream started and stopped', async () => {
    rig = await startRig();
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 4 } });
    const { agentSid } = await endOf(callerSid);
    const lines = () => rig.logs.filter((l) => l.event === 'twilio.stream.status');
    // The emulator's stream-status requests that have had their answer.
    const answered = () => rig.twilio.events().filter((e) => e.type === 'webhook' && e.kind === 'stream-status' && (e.status !== undefined || e.error !== undefined));
    await waitUntil(() => answered().length >= 4, 10_000, 'both legs\' stream-stopped callbacks');
    for (const sid of [callerSid, agentSid]) {
      const streams = rig.twilio.call(sid)!.streams;
      expect(streams).toHaveLength(1);
      const leg = lines().filter((l) => l.callSid === sid);
      expect(leg.map((l) => [l.streamEvent, l.streamSid])).toEqual([
        ['stream-started', streams[0].streamSid],
        ['stream-stopped', streams[0].streamSid],
      ]);
    }
    // Every callback passed tolk's signature check: 204, nothing refused, no stream error counted.
    expect(answered().map((e) => (e.type === 'webhook' ? e.status : undefined))).toEqual([204, 204, 204, 204]);
    expect(rig.logs.some((l) => l.event === 'twilio.webhook.rejected')).toBe(false);
    expect(await rig.tolk.metrics.render()).toContain('tolk_twilio_edge_events{kind="stream_error"} 0');
  });

  it.each([
    ['busy', { kind: 'busy' as const }, /ocupada/],
    ['no-answer', { kind: 'no-answer' as const }, /no ha contestado/],
  ])('tells the caller, in Spanish, when the agent is %s, and ends cleanly', async (outcome, scenario, text) => {
    rig = await startRig();
    rig.twilio.setCallee(AGENT_NUMBER, { scenario });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 120 } });
    await endOf(callerSid);
    const said = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === callerSid && e.verb === 'Say');
    expect(said.map((e) => (e.type === 'twiml' ? String(e.detail.text) : ''))).toEqual(expect.arrayContaining([expect.stringMatching(text)]));
    expect(said.some((e) => e.type === 'twiml' && e.detail.language === 'es-ES')).toBe(true);
    expect((await onlyRecord()).outcome).toBe(outcome);
    expect(rig.gemini.stats().connectionsTotal).toBe(0);
  });

  it('goes on with the original voices and a spoken notice when translation fails for good', async () => {
    rig = await startRig({ gemini: { faults: { quotaAfterMs: 2000 } } });
    rig.twilio.setCallee(AGENT_NUMBER, { speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 10 });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 22 } });
    await endOf(callerSid);
    const heard = rig.twilio.recording(callerSid).heard;
    keepWav('failed-caller-heard.wav', rig.twilio.recording(callerSid).heardWav());
    // The notice (about 5 s of speech) and then the agent's own voice at full volume.
    expect(loudFrames(heard, -30).length).toBeGreaterThan(0.8 * loudCount('agent-en.ulaw8k.wav') + 100);
    expect(Math.abs(speechLevel(heard.subarray(10 * 8000)) - speechLevel(speech('agent-en.ulaw8k.wav')))).toBeLessThan(4);
    expect(rig.logs.filter((l) => l.event === 'call.translation_unavailable')).toHaveLength(2);
    expect((await onlyRecord()).outcome).toBe('completed');
  });

  it('tells a caller politely that an unknown number is not in service, and hangs up', async () => {
    rig = await startRig();
    rig.twilio.addNumber({ phoneNumber: '+15550007777', voiceUrl: `http://127.0.0.1:${rig.tolk.address.port}/twilio/voice` });
    const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: '+15550007777', party: { hangupAfterSec: 60 } });
    await rig.twilio.waitForStatus(callerSid, 'completed', 10_000);
    const said = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === callerSid && e.verb === 'Say');
    expect(said.map((e) => (e.type === 'twiml' ? String(e.detail.text) : ''))).toEqual([expect.stringMatching(/not in service/)]);
    expect(rig.tolk.calls.activeCalls).toBe(0);
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(0);
  });

  it('with TOLK_MAX_CALLS reached, tells the next caller that all lines are busy and keeps the call in progress', async () => {
    rig = await startRig({ env: { TOLK_MAX_CALLS: '1' } });
    const first = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await waitUntil(() => rig.tolk.calls.activeCalls === 1, 10_000, 'the first call');
    const second = await rig.twilio.dial({ from: '+34910000002', to: TOLK_NUMBER, party: { hangupAfterSec: 30 } });
    await rig.twilio.waitForStatus(second, 'completed', 10_000);
    const said = rig.twilio.events().filter((e) => e.type === 'twiml' && e.callSid === second && e.verb === 'Say');
    expect(said.map((e) => (e.type === 'twiml' ? String(e.detail.text) : ''))).toEqual([expect.stringMatching(/^Todas nuestras líneas están ocupadas/)]);
    expect(rig.twilio.call(first)?.status).toBe('in-progress');
    expect(rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER)).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${rig.tolk.address.port}/metrics`)).text();
    expect(metrics).toMatch(/^tolk_calls_total\{outcome="at_capacity"\} 1$/m);
  });

  it('keeps two concurrent calls apart', async () => {
    rig = await startRig();
    const other = '+15550009999';
    rig.twilio.setCallee(AGENT_NUMBER, {});
    const first = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 16 } });
    const second = await rig.twilio.dial({ from: other, to: TOLK_NUMBER, party: { hangupAfterSec: 16 } });
    await rig.twilio.waitForStatus(first, 'completed', 30_000);
    await rig.twilio.waitForStatus(second, 'completed', 30_000);
    await waitUntil(() => rig.tolk.calls.activeCalls === 0, 10_000, 'calls to end');
    const agents = rig.twilio.calls().filter((c) => c.to === AGENT_NUMBER);
    expect(agents).toHaveLength(2);
    const heard = agents.map((a) => loudFrames(rig.twilio.recording(a.sid).heard, -30).length).sort((a, b) => a - b);
    // One agent heard the first caller's speech; the other heard nothing loud at all.
    expect(heard[0]).toBe(0);
    expect(heard[1]).toBeGreaterThan(0.8 * loudCount('caller-es.ulaw8k.wav'));
    expect(loudFrames(rig.twilio.recording(second).heard.subarray(3 * 50 * 160), -35)).toEqual([]);
  });
});
