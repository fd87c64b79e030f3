import { bestPeriod } from '../../src/audio/concealment';
import { FRAME_SAMPLES } from '../../src/audio/frame';
import { SpeechPlayout, type SpeechPlayoutOptions } from '../../src/audio/speech-playout';

/** A voiced sound at 8 kHz: five harmonics of `period` samples, as a steady vowel has. */
const vowel = (n: number, period: number, amp = 6000, from = 0): Int16Array =>
  Int16Array.from({ length: n }, (_, j) => {
    const i = from + j;
    let v = 0;
    for (let k = 1; k <= 5; k++) v += (amp / k) * Math.sin((2 * Math.PI * k * i) / period + k);
    return Math.round(v);
  });

const rms = (pcm: ArrayLike<number>): number => {
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i] * pcm[i];
  return Math.sqrt(sum / Math.max(1, pcm.length));
};
const maxStep = (pcm: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 1; i < pcm.length; i++) m = Math.max(m, Math.abs(pcm[i] - pcm[i - 1]));
  return m;
};

const PERIOD = 64; // 125 Hz
const CHUNK = 800; // 100 ms

/**
 * An utterance of `chunks` 100 ms pieces of one long vowel, paced from 0 ms, piece k arriving
 * `lateMs(k)` after its time, read every 20 ms as a frame sent anyway (a live voice under it).
 * Returns every frame read from the first that played, and the play-out's stats.
 */
function play(chunks: number, lateMs: (k: number) => number, opts: SpeechPlayoutOptions = {}, source = (k: number) => vowel(CHUNK, PERIOD, 6000, k * CHUNK)) {
  const clock = { ms: 0 };
  // No start wait: the utterance plays from its first piece, so a late piece starves it.
  const playout = new SpeechPlayout({ nowMs: () => clock.ms, initialJitterMs: 0, cushionWaitMs: 0, ...opts });
  const arrivals = Array.from({ length: chunks }, (_, k) => ({ at: 100 * k + lateMs(k), k })).sort((a, b) => a.at - b.at);
  const frames: Float32Array[] = [];
  let started = false;
  for (let t = 0; t <= 100 * chunks + 500; t += 20) {
    clock.ms = t;
    while (arrivals.length > 0 && arrivals[0].at <= t) playout.push(source(arrivals.shift()!.k));
    const mix = new Float32Array(FRAME_SAMPLES);
    if (playout.mixInto(mix, 0, 1) > 0) started = true;
    if (started) frames.push(mix);
  }
  const out = new Float32Array(frames.length * FRAME_SAMPLES);
  frames.forEach((f, i) => out.set(f, i * FRAME_SAMPLES));
  return { frames, out, stats: playout.stats() };
}

/** Frames inside the utterance (before its last sound) with next to nothing in them: holes heard. */
const holes = (frames: Float32Array[]): number => {
  const last = frames.map((f) => rms(f) > 100).lastIndexOf(true);
  return frames.slice(0, last).filter((f) => rms(f) < 100).length;
};

describe('concealment of translated speech that runs dry', () => {
  it('finds the pitch period of a voiced sound', () => {
    expect(bestPeriod(vowel(240, 64))).toBe(64);
    expect(bestPeriod(vowel(240, 50))).toBe(50);
    expect(bestPeriod(vowel(240, 100))).toBe(100);
  });

  it('carries a vowel over a piece 30 ms late with no hole and no click, and resumes it whole', () => {
    const late = (k: number) => (k === 4 ? 30 : 0);
    const { frames, out, stats } = play(8, late);
    expect(stats).toMatchObject({ underruns: 0, concealments: 1 });
    expect(stats.concealedMs).toBeGreaterThanOrEqual(20);
    expect(stats.concealedMs).toBeLessThanOrEqual(40);
    expect(holes(frames)).toBe(0);
    // Every frame of the utterance near the vowel's level (the made-up ones fade after their
    // first 20 ms), and no step between samples beyond the vowel's own steepest.
    const level = rms(vowel(CHUNK, PERIOD));
    const voiced = frames.slice(0, 40 + stats.concealedMs / 20);
    for (const f of voiced) expect(rms(f)).toBeGreaterThan(0.7 * level);
    expect(maxStep(out)).toBeLessThanOrEqual(1.1 * maxStep(vowel(8 * CHUNK, PERIOD)));
    // Every real sample is played, in order, after the made-up ones: the utterance's last 100 ms is
    // the vowel's last 100 ms.
    const delay = (stats.concealedMs * 8) | 0;
    const tail = out.subarray(7 * CHUNK + delay, 8 * CHUNK + delay);
    expect(Array.from(tail, Math.round)).toEqual(Array.from(vowel(CHUNK, PERIOD, 6000, 7 * CHUNK)));

    // Without it, the same late piece cuts a hole into the vowel.
    const bare = play(8, late, { concealMaxMs: 0 });
    expect(bare.stats).toMatchObject({ underruns: 1, concealments: 0 });
    expect(holes(bare.frames)).toBeGreaterThan(0);
  });

  it('fades out within its limit when nothing comes: a piece later than that resumes after a gap', () => {
    const { frames, stats } = play(8, (k) => (k === 4 ? 200 : 0));
    expect(stats).toMatchObject({ underruns: 1, concealments: 0 });
    // The four pieces, then 80 ms made up, fading (its last frame quieter than its first), then silence.
    const made = frames.slice(20, 24).map(rms);
    expect(made[3]).toBeLessThan(0.5 * made[0]);
    expect(rms(frames[24])).toBe(0);
    expect(holes(frames)).toBeGreaterThan(0);
  });

  it('makes nothing up while the listener still has audio in hand: it waits for the rest of the piece', () => {
    const clock = { ms: 0 };
    const playout = new SpeechPlayout({ nowMs: () => clock.ms, initialJitterMs: 0, cushionWaitMs: 0 });
    const mix = new Float32Array(FRAME_SAMPLES);
    const read = (hold: boolean): number => {
      clock.ms += 20;
      return playout.mixInto(mix.fill(0), 0, 1, hold);
    };
    playout.push(vowel(CHUNK, PERIOD));
    for (let i = 0; i < 5; i++) expect(read(false)).toBe(FRAME_SAMPLES);
    // Run dry in a frame sent anyway: carried over.
    expect(read(false)).toBe(FRAME_SAMPLES);
    // Half a frame comes while the listener has that frame in hand: nothing is made up or mixed.
    playout.push(vowel(FRAME_SAMPLES / 2, PERIOD, 6000, CHUNK));
    expect(read(true)).toBe(0);
    expect(rms(mix)).toBe(0);
    // The rest comes: the voice resumes with a whole frame of it.
    playout.push(vowel(FRAME_SAMPLES / 2, PERIOD, 6000, CHUNK + FRAME_SAMPLES / 2));
    expect(read(true)).toBe(FRAME_SAMPLES);
    expect(playout.stats()).toMatchObject({ concealments: 1, concealedMs: 20, underruns: 0 });
  });

  it('carries speech that had gone quiet over as silence, making up no sound', () => {
    // Each piece ends in 20 ms of near silence, as a pause between words does.
    const wordThenPause = (k: number) => {
      const pcm = vowel(CHUNK, PERIOD, 6000, k * CHUNK);
      pcm.fill(3, CHUNK - FRAME_SAMPLES);
      return pcm;
    };
    const { frames, stats } = play(6, (k) => (k === 3 ? 40 : 0), {}, wordThenPause);
    expect(stats).toMatchObject({ underruns: 0, concealments: 1 });
    // Frame 14 is the pause, the frames after it the stretch carried over: silent as well.
    expect(stats.concealedMs).toBe(40);
    for (const f of frames.slice(14, 15 + stats.concealedMs / 20)) expect(rms(f)).toBeLessThan(10);
    expect(rms(frames[15 + stats.concealedMs / 20])).toBeGreaterThan(1000);
  });
});
