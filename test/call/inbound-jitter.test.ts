/**
 * The other party's own voice through the call graph (endpoint, jitter buffer, voice link, mixer)
 * when the speaker's frames arrive with ±30 ms of network jitter: every 20 ms of speech reaches
 * the listener whole, in order, one per tick (no hole, no slip), at most 40 ms later than
 * without jitter; lateness is reported to the metrics.
 */
import { encodeMulaw } from '../../src/audio';
import { prng, SimulatedClock } from './fakes/simulated-clock';
import { twoPartyGraph } from './fakes/two-party-graph';

const SPEECH_FRAMES = 150;
/** Speech frame k: one loud mu-law code throughout, a different one for each frame, so the listener's frames say which they are. */
const speechCode = (k: number): number => (k < 75 ? k : 0x80 + k - 75);

/**
 * 2 s of a quiet line (a little noise, as a phone line has), 3 s of speech, 1 s of quiet, sent
 * every 20 ms from `phaseMs`, each frame `jitter()` ms late but never overtaking the one before.
 * Returns, per frame the listener got, the speech frame it carried (-1 for anything else).
 */
function call(phaseMs: number, jitter: () => number): { heard: number[]; underruns: number; lateFrames: number } {
  const clock = new SimulatedClock();
  const { graph, caller, agent, counts } = twoPartyGraph(clock);

  const noise = prng(99);
  const frames: Uint8Array[] = [];
  for (let k = 0; k < 100; k++) frames.push(encodeMulaw(Int16Array.from({ length: 160 }, () => Math.round(noise() * 40 - 20))));
  for (let k = 0; k < SPEECH_FRAMES; k++) frames.push(new Uint8Array(160).fill(speechCode(k)));
  for (let k = 0; k < 50; k++) frames.push(encodeMulaw(new Int16Array(160)));
  let last = -Infinity;
  const arrivals = frames.map((_, k) => (last = Math.max(last, 20 * k + phaseMs + jitter())));
  arrivals.forEach((at, k) => {
    clock.advanceTo(at);
    caller.say(frames[k]);
  });
  clock.advanceTo(last + 500);
  void graph.close();

  const codes = new Map<number, number>();
  for (let k = 0; k < SPEECH_FRAMES; k++) codes.set(speechCode(k), k);
  const heard = agent.sent.map((f) => (f.every((b) => b === f[0]) ? (codes.get(f[0]) ?? -1) : -1));
  return { heard, ...counts };
}

describe('the original voice under ±30 ms of network jitter', () => {
  it.each([
    [1, 3],
    [2, 9.5],
    [3, 17],
  ])('reaches the listener whole, in order, at most 40 ms later than without jitter (seed %p, phase %p ms)', (seed, phase) => {
    const rnd = prng(seed);
    const jittered = call(phase, () => rnd() * 60 - 30);
    const steady = call(phase, () => 0);
    const first = jittered.heard.indexOf(0);
    // Every frame of speech, one per tick, in order: no hole, no slip.
    const speech = Array.from({ length: SPEECH_FRAMES }, (_, k) => k);
    expect(jittered.heard.slice(first, first + SPEECH_FRAMES)).toEqual(speech);
    expect(steady.heard.slice(steady.heard.indexOf(0), steady.heard.indexOf(0) + SPEECH_FRAMES)).toEqual(speech);
    // Frames sent before the speech: as many more as ticks of delay were added (at most two).
    expect(first - steady.heard.indexOf(0)).toBeLessThanOrEqual(2);
    // The lateness it rode out is counted.
    expect(jittered.lateFrames + jittered.underruns).toBeGreaterThan(0);
  });
});
