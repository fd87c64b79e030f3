/**
 * A leg that notes when tolk sent each frame, and the far end of it as Twilio plays it: what tolk
 * sent reaches its play-out buffer at once, and it plays one 20 ms frame on each of its own ticks,
 * which run `phaseMs` after tolk's and wander up to `wanderMs` either way (seeded).
 */
import { PlayoutBuffer } from '../../../src/emulators/twilio/playout';
import { FakeMediaLeg } from './fake-media-leg';
import { prng, type SimulatedClock } from './simulated-clock';

/** The agent's leg, noting when (simulated ms) each frame was sent. */
export class TimedLeg extends FakeMediaLeg {
  readonly sentAtMs: number[] = [];
  constructor(private readonly simulated: SimulatedClock) {
    super('CA' + 'b'.repeat(32), 'agent');
  }
  override send(samples: Int16Array): boolean {
    this.sentAtMs.push(this.simulated.nowMs);
    return super.send(samples);
  }
}

export interface FarEndClock {
  phaseMs: number;
  wanderMs: number;
  seed: number;
}

/**
 * Each frame the far end played until `untilMs`: the byte every sample of a whole, uniform frame
 * holds (the tests mark each frame with one code), or -1 for a frame that was partial, silent fill or
 * mixed.
 */
export function farEndHears(sent: readonly Uint8Array[], sentAtMs: readonly number[], untilMs: number, clock: FarEndClock): number[] {
  const rnd = prng(clock.seed);
  const playout = new PlayoutBuffer();
  const heard: number[] = [];
  let next = 0;
  for (let t = 1; t * 20 < untilMs; t++) {
    const tickAt = t * 20 + clock.phaseMs + (rnd() * 2 - 1) * clock.wanderMs;
    for (; next < sent.length && sentAtMs[next] <= tickAt; next++) playout.enqueue(sent[next]);
    const f = playout.nextFrame();
    heard.push(f.playedBytes === 160 && f.audio.every((b) => b === f.audio[0]) ? f.audio[0] : -1);
  }
  return heard;
}
