/**
 * Rolling deploys whose move of a direct call goes wrong at the telephony (move-helpers.ts runs
 * two instances behind nginx): the stream handshakes to the instance taking the call fail (the
 * Twilio emulator's --refuse-streams), for every leg or for the first leg only. Either way both
 * parties stay on the line: after a short silence they hear each other's translations again, and
 * the record shows what happened to the move.
 */
import fs from 'node:fs';
import { readWav } from '../../src/audio';
import { AGENT_NUMBER, TOLK_NUMBER, fixture, keepWav, waitUntil } from './harness';
import { longestSilenceSec, soundSec, startMoveRig, type CallJson, type MoveRig } from './move-helpers';

jest.setTimeout(180_000);

let rig: MoveRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

interface Party {
  sid: string;
  name: string;
  clip: string;
  /** When (s after the leg was answered) the party began talking through the stop. */
  talkingFrom: number;
}

/**
 * A direct call interpreted on tolk-a, tolk-b ready, both parties talking (two sentences each)
 * when tolk-a gets SIGTERM, 1.5 s in.
 */
async function stopWhileTalking(r: MoveRig): Promise<{ caller: Party; agent: Party; before: CallJson }> {
  await r.start('tolk-a');
  r.twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${r.nginx.url}/twilio/voice`, statusCallback: `${r.nginx.url}/twilio/status` });
  const callerEs = fixture('caller-es.ulaw8k.wav');
  const agentEn = fixture('agent-en.ulaw8k.wav');
  r.twilio.setCallee(AGENT_NUMBER, { speech: agentEn, speakAfterSec: 3 });
  const callerSid = await r.twilio.dial({ from: '+34911000201', to: TOLK_NUMBER, party: { speech: callerEs, speakAfterSec: 3 } });
  await r.start('tolk-b');
  let before: CallJson | undefined;
  await waitUntil(
    async () => {
      before = await r.callOf(callerSid);
      return before?.instance === 'tolk-a' && new Set(before.transcript.map((l) => l.direction)).size === 2;
    },
    40_000,
    'the call to be interpreted on tolk-a both ways',
  );
  const agentSid = r.twilio.calls().find((c) => c.to === AGENT_NUMBER)!.sid;
  const parties = [
    { sid: callerSid, name: 'caller', clip: callerEs },
    { sid: agentSid, name: 'agent', clip: agentEn },
  ].map((p) => {
    r.twilio.say(p.sid, p.clip);
    r.twilio.say(p.sid, p.clip);
    const said = r.twilio.events().filter((e) => e.type === 'party.say' && e.callSid === p.sid);
    return { ...p, talkingFrom: (said[said.length - 1] as { atSec: number }).atSec };
  });
  await new Promise((res) => setTimeout(res, 1500));
  before = (await r.callOf(callerSid))!;
  r.tolks.get('tolk-a')!.child.kill('SIGTERM');
  await waitUntil(async () => !(await r.ready('tolk-a')), 2_000, 'tolk-a to turn away new calls');
  return { caller: parties[0], agent: parties[1], before };
}

/**
 * What `p` heard while both parties talked through the stop (from 1 s after they began, for 11 s)
 * has no silence longer than 3 s: the move, or its failure, cost them at most that.
 */
function expectShortSilence(r: MoveRig, p: Party, name: string): void {
  const heard = r.twilio.recording(p.sid).heard;
  keepWav(`${name}-${p.name}-heard.wav`, r.twilio.recording(p.sid).heardWav());
  expect(heard.length / 8000).toBeGreaterThan(p.talkingFrom + 12);
  const silence = longestSilenceSec(heard, p.talkingFrom + 1, p.talkingFrom + 12);
  expect({ party: p.name, silence: silence <= 3 ? 'at most 3 s' : `${silence} s` }).toEqual({ party: p.name, silence: 'at most 3 s' });
}

/** A fixture's samples. */
function decodeClip(file: string): Int16Array {
  return readWav(fs.readFileSync(file)).samples;
}

/** Seconds from when `sid` was answered to `at`. */
function secOnLeg(r: MoveRig, sid: string, at: string): number {
  return (new Date(at).getTime() - new Date(r.twilio.call(sid)!.dateCreated).getTime()) / 1000;
}

/**
 * After the move (or its failure) and what they said through it, each party says one more
 * sentence: the other hears it and its translation, and the transcript gains lines both ways,
 * written after `sinceMs` of the call.
 */
async function theyStillHearEachOther(r: MoveRig, parties: Party[], sinceMs: number): Promise<CallJson> {
  // Once both have finished what they were saying through the stop (two sentences, about 13.6 s)
  // and paused, so that the new sentence is an utterance of its own.
  for (const p of parties) await waitUntil(() => r.twilio.recording(p.sid).heard.length / 8000 > p.talkingFrom + 16, 30_000, `${p.name} to finish talking`);
  // Both begin now: where each party's recording stands is when the other began, on that recording
  // (the recordings started at different moments, and a leg's creation time has whole seconds only).
  const otherBeganAt = new Map(parties.map((p) => [p.sid, r.twilio.recording(p.sid).heard.length / 8000]));
  for (const p of parties) r.twilio.say(p.sid, p.clip);
  let call: CallJson | undefined;
  await waitUntil(
    async () => {
      call = await r.callOf(parties[0].sid);
      const late = (call?.transcript ?? []).filter((l) => l.startMs > sinceMs);
      return new Set(late.map((l) => l.direction)).size === 2;
    },
    30_000,
    'lines both ways after the move',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; since ${sinceMs} ms the transcript has ${JSON.stringify(call?.transcript.map((l) => [l.direction, l.startMs]))}`);
  });
  await new Promise((res) => setTimeout(res, 8_000));
  for (const [i, p] of parties.entries()) {
    const other = parties[1 - i];
    const from = otherBeganAt.get(p.sid)!;
    keepWav(`move-after-${p.name}-heard.wav`, r.twilio.recording(p.sid).heardWav());
    // The other's sentence and its translation reach this party: most of its sound.
    const said = soundSec(decodeClip(other.clip), 0, 60);
    const heard = soundSec(r.twilio.recording(p.sid).heard, from - 1, from + 12);
    expect({ party: p.name, heard: heard > 0.6 * said ? 'most of it' : `${heard} s of ${said} s` }).toEqual({ party: p.name, heard: 'most of it' });
  }
  return call!;
}

describe('a rolling deploy whose move of a direct call goes wrong at the telephony', () => {
  it("keeps the call on the stopping instance when no leg's stream reaches the other, and that instance exits once the call ends", async () => {
    rig = await startMoveRig({ twilio: { faults: { refuseStreams: [{ urlContains: '/twilio/media/tolk-b' }] } } });
    const r = rig;
    const { caller, agent, before } = await stopWhileTalking(r);
    const a = r.tolks.get('tolk-a')!;

    // The move fails, and the record says so; the call stays on tolk-a, both legs on the line.
    let failed: CallJson | undefined;
    await waitUntil(async () => (failed = await r.callOf(caller.sid))?.moves?.[0]?.failed !== undefined, 30_000, 'the failed move to be recorded');
    expect(failed).toMatchObject({ instance: 'tolk-a', moves: [{ from: 'tolk-a', to: 'tolk-b', failed: expect.stringMatching(/stream failed/) }] });
    expect(failed!.outcome).toBeUndefined();
    expect(failed!.moves).toHaveLength(1);
    for (const p of [caller, agent]) expect(r.twilio.call(p.sid)?.status).toBe('in-progress');
    expect(await Promise.race([a.exited.then(() => 'exited'), new Promise((res) => setTimeout(() => res('running'), 3_000))])).toBe('running');
    expect(a.stdout()).toMatch(/"event":"call\.move_returned"/);
    expect(r.tolks.get('tolk-b')!.stdout()).toMatch(/"event":"call\.move_given_back"/);

    const failedAtMs = new Date(failed!.moves![0].at).getTime();
    const startedMs = new Date(r.twilio.call(caller.sid)!.dateCreated).getTime();
    const after = await theyStillHearEachOther(r, [caller, agent], failedAtMs - startedMs + 2000);
    // While they talked through the stop, each heard at most a short silence as the call came back.
    for (const p of [caller, agent]) {
      const movedAtSec = secOnLeg(r, p.sid, failed!.moves![0].at);
      expect(movedAtSec).toBeGreaterThan(p.talkingFrom);
      expect(movedAtSec).toBeLessThan(p.talkingFrom + 10);
      expectShortSilence(r, p, 'move-refused');
    }
    // Every line from before the stop is kept.
    const key = (l: CallJson['transcript'][number]): string => `${l.direction} ${l.startMs} ${l.source.text}`;
    const kept = new Set(after.transcript.map(key));
    for (const l of before.transcript) expect(kept.has(key(l))).toBe(true);

    // The caller hangs up: the call ends completed on tolk-a, which then exits; nothing is left in the directory.
    r.twilio.hangup(caller.sid);
    expect(await Promise.race([a.exited, new Promise((res) => setTimeout(() => res('still running'), 20_000))])).toBe(0);
    const ended = (await r.callOf(caller.sid))!;
    expect(ended).toMatchObject({ state: 'ended', outcome: 'completed', instance: 'tolk-a' });
    expect(await r.directoryKeys(ended.id, [caller.sid, agent.sid])).toEqual([]);
    for (const p of [caller, agent]) expect(r.twilio.call(p.sid)?.status).toBe('completed');
    await waitUntil(() => r.gemini.stats().connectionsOpen === 0, 10_000, 'every translation session to close');
  });

  it("asks once more for the leg whose stream did not reach the other instance, and the call moves", async () => {
    rig = await startMoveRig({ twilio: { faults: { refuseStreams: [{ urlContains: '/twilio/media/tolk-b', count: 1 }] } } });
    const r = rig;
    const { caller, agent, before } = await stopWhileTalking(r);
    const a = r.tolks.get('tolk-a')!;

    // tolk-a exits once the call has moved; the record shows one move, which happened.
    expect(await Promise.race([a.exited, new Promise((res) => setTimeout(() => res('still running'), 30_000))])).toBe(0);
    const moved = (await r.callOf(caller.sid))!;
    expect(moved).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });
    expect(moved.moves![0].failed).toBeUndefined();
    expect(moved.outcome).toBeUndefined();
    expect(r.tolks.get('tolk-b')!.stdout()).toMatch(/"event":"call\.leg_repair"/);
    // Both legs stream to tolk-b now (the refused handshake opened no stream).
    for (const p of [caller, agent]) expect(r.twilio.call(p.sid)?.streams.map((s) => s.url.replace(/^.*\/twilio\/media\//, ''))).toEqual(['tolk-a', 'tolk-b']);

    const startedMs = new Date(r.twilio.call(caller.sid)!.dateCreated).getTime();
    const after = await theyStillHearEachOther(r, [caller, agent], new Date(moved.moves![0].at).getTime() - startedMs + 2000);
    for (const p of [caller, agent]) expectShortSilence(r, p, 'move-repaired');
    const key = (l: CallJson['transcript'][number]): string => `${l.direction} ${l.startMs} ${l.source.text}`;
    const kept = new Set(after.transcript.map(key));
    for (const l of before.transcript) expect(kept.has(key(l))).toBe(true);

    r.twilio.hangup(caller.sid);
    await waitUntil(async () => (await r.callOf(caller.sid))?.outcome !== undefined, 20_000, 'the call to end');
    expect(await r.callOf(caller.sid)).toMatchObject({ state: 'ended', outcome: 'completed', instance: 'tolk-b' });
  });
});
