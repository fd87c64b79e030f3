/**
 * A rolling deploy: two tolk instances behind Debian's nginx (as cluster.e2e runs them), and the
 * one serving two live calls, one direct and one conference, gets SIGTERM. Both calls move to the
 * other instance while their parties talk: nobody hears more than 2 s of silence around the move,
 * every transcript line from before the move is kept and the new instance adds the rest, the
 * records show the move, and the stopped instance exits once its calls have gone.
 */
import { loadWavAs8k } from '../../src/emulators/twilio/audio';
import { clusterFixture } from './cluster-helpers';
import { AGENT_NUMBER, INTERPRETER_APP_SID, TOLK_NUMBER, fixture, frameLevels, keepWav, waitUntil } from './harness';
import { stallFreeTime, type StallFreeTime } from './stall-free-time';

const CONFERENCE_NUMBER = '+15550003333';
const CONFERENCE_AGENT = '+15550004444';

jest.setTimeout(300_000);

interface Line {
  direction: string;
  source: { text: string };
  translation: { text: string };
  startMs: number;
}

interface CallJson {
  id: string;
  kind?: string;
  state: string;
  outcome?: string;
  instance?: string;
  moves?: { from: string; to: string; at: string }[];
  legs: { role: string; callSid: string }[];
  transcript: Line[];
}

let time: StallFreeTime | undefined;

afterEach(() => {
  time?.dispose();
});

const cluster = clusterFixture();

/** The longest run of frames quieter than -50 dBFS in `heard` between `fromSec` and `toSec`, in seconds. */
function longestSilenceSec(heard: Int16Array, fromSec: number, toSec: number): number {
  const levels = frameLevels(heard).slice(Math.max(0, Math.floor(fromSec * 50)), Math.floor(toSec * 50));
  let longest = 0;
  let run = 0;
  for (const l of levels) {
    run = l < -50 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest / 50;
}

describe('a rolling deploy of two tolk instances behind nginx', () => {
  it('moves the live calls of the instance told to stop to the other one, without silence or lost lines, and that instance exits', async () => {
    const { twilio, nginx, ports, tolks, start, callOf } = await cluster.start({
      name: 'move',
      gemini: { mode: 'echo', language: 'en=es,es=en', lagMs: 300 },
      numbers: `  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n` +
        `  - number: "${CONFERENCE_NUMBER}"\n    destination: "${CONFERENCE_AGENT}"\n    callerLanguage: es\n    agentLanguage: en\n    mode: conference\n    interpretation: whisper\n`,
    });
    // Only tolk-a is up when the calls come: it serves both.
    await start('tolk-a');
    for (const n of [TOLK_NUMBER, CONFERENCE_NUMBER]) twilio.addNumber({ phoneNumber: n, voiceUrl: `${nginx.url}/twilio/voice`, statusCallback: `${nginx.url}/twilio/status` });
    twilio.addApplication({ sid: INTERPRETER_APP_SID, friendlyName: 'tolk interpreter', voiceUrl: `${nginx.url}/twilio/interpreter` });
    // Decoded once: the emulated phones run in this process, and decoding a clip at each say held
    // their media back (on a busy machine for seconds, and tolk rightly lets go of a stream Twilio
    // stops feeding).
    const callerEs = loadWavAs8k(fixture('caller-es.ulaw8k.wav'));
    const agentEn = loadWavAs8k(fixture('agent-en.ulaw8k.wav'));
    // Each party says something 3 s in; the parties talk again around the move.
    twilio.setCallee(AGENT_NUMBER, { speech: agentEn, speakAfterSec: 3 });
    twilio.setCallee(CONFERENCE_AGENT, { speech: agentEn, speakAfterSec: 3 });
    const direct = await twilio.dial({ from: '+34911000201', to: TOLK_NUMBER, party: { speech: callerEs, speakAfterSec: 3 } });
    const conference = await twilio.dial({ from: '+34911000202', to: CONFERENCE_NUMBER, party: { speech: callerEs, speakAfterSec: 3 } });
    await start('tolk-b');

    // Both calls are interpreted on tolk-a, with transcript lines both ways.
    const before = new Map<string, CallJson>();
    await waitUntil(
      async () => {
        for (const sid of [direct, conference]) {
          const c = await callOf<CallJson>(sid);
          if (c) before.set(sid, c);
        }
        return [...before.values()].filter((c) => c.instance === 'tolk-a' && c.outcome === undefined && new Set(c.transcript.map((l) => l.direction)).size === 2).length === 2;
      },
      90_000,
      'both calls to be interpreted on tolk-a',
    );
    const directLegs = twilio.calls().filter((c) => c.to === AGENT_NUMBER || c.sid === direct);
    expect(directLegs).toHaveLength(2);
    for (const c of directLegs) expect(twilio.call(c.sid)?.streams).toHaveLength(1);
    const directAgent = directLegs.find((c) => c.sid !== direct)!.sid;
    const conferenceAgent = twilio.calls().find((c) => c.to === CONFERENCE_AGENT)!.sid;
    const parties = [
      { sid: direct, name: 'direct-caller', call: direct, clip: callerEs },
      { sid: directAgent, name: 'direct-agent', call: direct, clip: agentEn },
      { sid: conference, name: 'conference-caller', call: conference, clip: callerEs },
      { sid: conferenceAgent, name: 'conference-agent', call: conference, clip: agentEn },
    ];
    // Everyone talks now, two sentences each, without a pause: the move comes in the middle.
    const talkingFrom = new Map<string, number>();
    for (const p of parties) {
      twilio.say(p.sid, p.clip);
      twilio.say(p.sid, p.clip);
      const said = twilio.events().filter((e) => e.type === 'party.say' && e.callSid === p.sid);
      talkingFrom.set(p.sid, (said[said.length - 1] as { atSec: number }).atSec);
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const sid of [direct, conference]) before.set(sid, (await callOf<CallJson>(sid))!);

    // Where the move falls on each party's own timeline (that of its recording and of `talkingFrom`):
    // the moment its call's media first reaches tolk-b.
    const movedAtSec = new Map<string, number>();
    const directSids = new Set(directLegs.map((c) => c.sid));
    const stopWatching = twilio.onEvent((e) => {
      if (e.type !== 'stream.open' || !e.url.includes('/tolk-b')) return;
      const call = directSids.has(e.callSid ?? '') ? direct : conference;
      for (const p of parties) if (p.call === call && !movedAtSec.has(p.sid)) movedAtSec.set(p.sid, twilio.recording(p.sid).durationSec);
    });

    // The deploy stops tolk-a: it exits once its calls have moved, while they go on. How long that
    // takes is timed on this process's stall-free time: a busy machine that does not run the test
    // only delays when it sees the exit.
    time = stallFreeTime();
    const a = tolks.get('tolk-a')!;
    a.child.kill('SIGTERM');
    const signalledAt = time.now();
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${ports['tolk-a']}/readyz`).catch(() => undefined))?.status !== 200, 2_000, '/readyz to turn away', time.now);
    expect(await a.exitWithin(60_000)).toBe(0);
    const exitedAfterMs = time.now() - signalledAt;
    stopWatching();
    for (const sid of [direct, conference]) expect(twilio.call(sid)?.status).toBe('in-progress');
    const moved = await Promise.all([direct, conference].map(async (sid) => (await callOf<CallJson>(sid))!));
    for (const c of moved) {
      expect(c).toMatchObject({ instance: 'tolk-b', moves: [{ from: 'tolk-a', to: 'tolk-b' }] });
      expect(c.outcome).toBeUndefined();
    }
    expect(exitedAfterMs).toBeLessThan(30_000);

    // The directions of `call` (its caller's leg `sid`) with a line that began over 2 s after its move.
    const saidAfterMove = (call: CallJson, sid: string): string[] => {
      const movedAtMs = new Date(call.moves![0].at).getTime() - new Date(twilio.call(sid)!.dateCreated).getTime();
      return [...new Set(call.transcript.filter((l) => l.startMs > movedAtMs + 2000).map((l) => l.direction))];
    };
    // After the move each party says one more sentence, at least 6 s after the end of its earlier
    // talk on its own timeline (which runs behind while a busy machine holds this process back):
    // tolk-b's translation started with what was said before the move and runs that far behind
    // until a pause (in the conference, the room's, which the other party's talk shortens), so the
    // pause must outlast it and the 1.2 s that end a line for the new sentence to be a line of its own...
    await new Promise((r) => setTimeout(r, 14_000));
    for (const p of parties) {
      const talkEndSec = talkingFrom.get(p.sid)! + (2 * p.clip.length) / 8000;
      twilio.say(p.sid, p.clip, { inSec: Math.max(0, talkEndSec + 6 - twilio.recording(p.sid).durationSec) });
    }
    // ...and the callers hang up once tolk-b has written it both ways (the checks below say what is missing).
    await waitUntil(
      async () => {
        for (const sid of [direct, conference]) {
          const c = await callOf<CallJson>(sid);
          if (!c || saidAfterMove(c, sid).length < 2) return false;
        }
        return true;
      },
      60_000,
      'the lines said after the move',
    ).catch(() => undefined);
    for (const sid of [direct, conference]) twilio.hangup(sid);

    // The calls end on tolk-b.
    const after = new Map<string, CallJson>();
    await waitUntil(
      async () => {
        for (const sid of [direct, conference]) after.set(sid, (await callOf<CallJson>(sid))!);
        return [...after.values()].every((c) => c.outcome !== undefined);
      },
      60_000,
      'both calls to end',
    );
    for (const sid of [direct, conference]) {
      const call = after.get(sid)!;
      expect(call).toMatchObject({ state: 'ended', outcome: 'completed', instance: 'tolk-b' });
      // Every line written before the move is kept; lines spoken after it were added by tolk-b.
      const key = (l: Line): string => `${l.direction} ${l.startMs} ${l.source.text} ${l.translation.text}`;
      const kept = new Set(call.transcript.map(key));
      for (const l of before.get(sid)!.transcript) expect(kept.has(key(l))).toBe(true);
      const directions = [...new Set(call.transcript.map((l) => l.direction))];
      expect(directions.length).toBe(2);
      expect(saidAfterMove(call, sid).sort()).toEqual(directions.sort());
    }

    // Each party heard at most 2 s of silence around the move, while the other one talked.
    for (const p of parties) {
      const from = talkingFrom.get(p.sid)!;
      const movedAt = movedAtSec.get(p.sid);
      expect({ party: p.name, movedAt }).toEqual({ party: p.name, movedAt: expect.any(Number) });
      expect(movedAt).toBeGreaterThan(from);
      expect(movedAt).toBeLessThan(from + 10);
      keepWav(`move-${p.name}-heard.wav`, twilio.recording(p.sid).heardWav());
      const silence = longestSilenceSec(twilio.recording(p.sid).heard, from + 1, from + 12);
      expect({ party: p.name, silence: silence <= 2 }).toEqual({ party: p.name, silence: true });
    }
    // The direct call's legs each have a second stream, to tolk-b.
    for (const c of directLegs) expect(twilio.call(c.sid)?.streams.length).toBe(2);
  });
});
