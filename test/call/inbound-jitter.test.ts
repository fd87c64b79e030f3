/**
 * The other party's own voice through the call graph (endpoint, jitter buffer, voice link, mixer)
 * when the speaker's frames arrive with ±30 ms of network jitter: every 20 ms of speech reaches
 * the listener whole, in order, one per tick (no hole, no slip), at most 40 ms later than
 * without jitter; lateness is reported to the metrics.
 */
import { Writable } from 'node:stream';
import { encodeMulaw } from '../../src/audio';
import { CallGraph } from '../../src/call/call-graph';
import type { FrameClock, TickListener } from '../../src/call/ports';
import type { PromptLibrary } from '../../src/call/prompts';
import { createLogger } from '../../src/log/logger';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { FakeTranslatorFactory } from './fakes/fake-translator';

/** A clock driven by simulated time (ms): ticks at 20, 40, 60 ...; its position is the time now. */
class SimulatedClock implements FrameClock {
  nowMs = 0;
  private frame = 0;
  private readonly listeners = new Set<TickListener>();
  get subscribers(): number {
    return this.listeners.size;
  }
  subscribe(l: TickListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  position(): number {
    return this.nowMs / 20;
  }
  /** Advances to `ms`, ticking on every 20 ms boundary passed. */
  advanceTo(ms: number): void {
    while ((this.frame + 1) * 20 <= ms) {
      this.frame++;
      this.nowMs = this.frame * 20;
      for (const l of [...this.listeners]) l(this.frame);
    }
    this.nowMs = ms;
  }
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

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
  const counts = { underruns: 0, lateFrames: 0 };
  const metrics = {
    observeFrameProcessing: () => undefined,
    observePlayoutDepth: () => undefined,
    playoutOverflow: () => undefined,
    inboundUnderrun: () => void counts.underruns++,
    inboundLateFrame: () => void counts.lateFrames++,
    observeInboundJitterDelay: () => undefined,
  };
  const prompts: PromptLibrary = { get: () => undefined };
  const logger = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  const graph = new CallGraph({ callId: 'c', clock, translators: new FakeTranslatorFactory(), prompts, metrics, publish: () => undefined, logger, elapsedMs: () => 0 });
  const caller = new FakeMediaLeg('CA' + 'a'.repeat(32), 'caller');
  const agent = new FakeMediaLeg('CA' + 'b'.repeat(32), 'agent');
  graph.addEndpoint({ id: 'caller', carries: ['caller'], reaches: ['caller'] }, caller);
  graph.addEndpoint({ id: 'agent', carries: ['agent'], reaches: ['agent'] }, agent);
  graph.link('caller', 'agent', 1);

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
