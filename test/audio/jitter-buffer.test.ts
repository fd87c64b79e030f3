/**
 * The live voice under network jitter: 20 ms frames delivered with up to ±30 ms of jitter (in
 * order, as over TCP) and read one per 20 ms tick. After the silence at the start of a call, the
 * voice plays with no hole and no slip, and at most 40 ms later than without jitter.
 */
import { JitterBuffer } from '../../src/audio/jitter-buffer';

const FRAME = 160;

/** Deterministic uniform numbers in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Run {
  /** Per tick: the id of the frame heard (0 for silence or nothing). */
  heard: number[];
  buffer: JitterBuffer;
}

/**
 * Frames 0..n-1 (frame k carries the value `ids[k]` in every sample; 0 is silence) sent every
 * 20 ms from `phaseMs`, each delayed by `jitter(k)` ms but never overtaking the one before; the
 * clock reads at 20, 40, 60 ... ms.
 */
function simulate(ids: number[], phaseMs: number, jitter: (k: number) => number, buffer = new JitterBuffer()): Run {
  const arrivals: number[] = [];
  for (let k = 0; k < ids.length; k++) arrivals.push(Math.max(arrivals[k - 1] ?? -Infinity, 20 * k + phaseMs + jitter(k)));
  const heard: number[] = [];
  const frame = new Int16Array(FRAME);
  let next = 0;
  const lastTick = Math.ceil((arrivals[arrivals.length - 1] + 400) / 20);
  for (let t = 1; t <= lastTick; t++) {
    while (next < ids.length && arrivals[next] <= 20 * t) {
      buffer.push(new Int16Array(FRAME).fill(ids[next]), arrivals[next] / 20);
      next++;
    }
    frame.fill(0);
    const n = buffer.read(frame, t);
    heard.push(n === 0 ? 0 : frame[0]);
    if (n > 0) expect(frame.every((v) => v === frame[0])).toBe(true); // whole frames, never two halves
  }
  return { heard, buffer };
}

/** `silentFrames` of silence, then `speechFrames` of speech (ids 1000, 1001, ...), then 1 s of silence. */
function call(silentFrames: number, speechFrames: number): number[] {
  return [...Array<number>(silentFrames).fill(0), ...Array.from({ length: speechFrames }, (_, i) => 1000 + i), ...Array<number>(50).fill(0)];
}

/** Tick at which each speech id is heard. */
function ticksOf(heard: number[]): Map<number, number> {
  const at = new Map<number, number>();
  heard.forEach((id, t) => {
    if (id !== 0 && !at.has(id)) at.set(id, t);
  });
  return at;
}

describe('JitterBuffer options', () => {
  it.each([0, -1, Number.NaN])('refuses a give-back window of %p ms rather than looping', (ms) => {
    expect(() => new JitterBuffer({ shrinkAfterMs: ms })).toThrow(RangeError);
    expect(() => new JitterBuffer({ fastShrinkAfterMs: ms })).toThrow(RangeError);
  });
});

describe('JitterBuffer under ±30 ms of network jitter', () => {
  const phases = [0.5, 5, 10.1, 15, 19.9];
  const seeds = [1, 2, 3, 4, 5, 6];

  it.each(phases.flatMap((p) => seeds.map((s) => [p, s])))('plays 6 s of speech after 2 s of silence with no hole, no slip, at most 40 ms late (phase %p ms, seed %p)', (phase, seed) => {
    const ids = call(100, 300);
    const rnd = prng(seed);
    const jittered = simulate(ids, phase, () => rnd() * 60 - 30);
    const steady = simulate(ids, phase, () => 0);
    const at = ticksOf(jittered.heard);
    const base = ticksOf(steady.heard);
    // Every frame of speech heard, one per tick, in order: no hole, no slip.
    const first = at.get(1000)!;
    for (let i = 0; i < 300; i++) expect(at.get(1000 + i)).toBe(first + i);
    // No more than 40 ms (two frames) later than the same call without jitter.
    expect(first - base.get(1000)!).toBeLessThanOrEqual(2);
    expect(first - base.get(1000)!).toBeGreaterThanOrEqual(0);
  });

  it('adds nothing when there is no jitter', () => {
    const ids = call(50, 100);
    const run = simulate(ids, 7, () => 0);
    const at = ticksOf(run.heard);
    expect(at.get(1000)).toBe(50); // frame 50 arrives at 1007 ms and is read at the 1020 ms tick (index 50)
    expect(run.buffer.stats()).toMatchObject({ underruns: 0, shrinks: 0, droppedMs: 0 });
  });

  it('counts each late frame that found the buffer empty as one underrun', () => {
    // Frame 10 is 50 ms late (frames 11 and 12 queue behind it): a hole of two ticks, then two
    // frames more in hand.
    const run = simulate(call(0, 40), 5, (k) => (k === 10 ? 50 : 0));
    expect(run.buffer.stats().underruns).toBe(1);
    const at = ticksOf(run.heard);
    // Nothing is lost or skipped: every frame plays, the ones from the late one on two ticks later.
    for (let i = 0; i < 40; i++) expect(at.has(1000 + i)).toBe(true);
    expect(at.get(1010)! - at.get(1009)!).toBe(3);
    for (let i = 10; i < 40; i++) expect(at.get(1000 + i)).toBe(at.get(1010)! + i - 10);
  });

  it('gives the delay back in silence once the network has calmed down, never inside speech', () => {
    const rnd = prng(9);
    // 3 s of jittery silence, then 14 s of steady speech and silence alternating every 2 s.
    const ids = [...Array<number>(150).fill(0)];
    for (let block = 0; block < 7; block++) ids.push(...Array.from({ length: 100 }, (_, i) => (block % 2 ? 0 : 1000 + block * 100 + i)));
    const run = simulate(ids, 5, (k) => (k < 150 ? rnd() * 60 - 30 : 0), new JitterBuffer({ shrinkAfterMs: 2000 }));
    const steady = simulate(ids, 5, () => 0);
    const stats = run.buffer.stats();
    expect(stats.shrinks).toBeGreaterThan(0);
    // Each burst of speech plays whole and in order...
    const at = ticksOf(run.heard);
    for (const block of [0, 2, 4, 6]) {
      const first = at.get(1000 + block * 100)!;
      for (let i = 0; i < 100; i++) expect(at.get(1000 + block * 100 + i)).toBe(first + i);
    }
    // ...and the last one no later than without jitter.
    expect(at.get(1600)).toBe(ticksOf(steady.heard).get(1600));
  });

  it('gives the delay back in a pause, never in the quiet gap between two words (the voice would skip)', () => {
    const rnd = prng(9);
    // 3 s of jittery silence, then 6 s of steady speech whose words are 40 ms apart (two quiet
    // frames, ids 100..199: below the quiet level), then silence: the give-back comes due mid-speech.
    const speech: number[] = [];
    for (let i = 0; i < 300; i++) speech.push(i % 25 < 23 ? 1000 + i : 100 + (i % 100));
    const ids = [...Array<number>(150).fill(0), ...speech, ...Array<number>(100).fill(0)];
    const run = simulate(ids, 5, (k) => (k < 150 ? rnd() * 60 - 30 : 0), new JitterBuffer({ shrinkAfterMs: 2000 }));
    expect(run.buffer.stats().shrinks).toBeGreaterThan(0);
    // Every frame of the speech, the gaps between its words too, plays one per tick: nothing skipped.
    const at: number[] = [];
    run.heard.forEach((id, t) => {
      if (id !== 0) at.push(t);
    });
    expect(at).toHaveLength(300);
    for (let i = 1; i < 300; i++) expect(at[i] - at[i - 1]).toBe(1);
  });

  it("gives back within seconds what the stream's set-up cost (its first frames held back), before speech starts", () => {
    // Frames 2..4 wait 80 ms while the stream is set up, then come at once; after that the line has
    // ±10 ms of jitter. Speech starts at 6 s, before the slow give-back (10 s) could act.
    const rnd = prng(4);
    const ids = call(300, 100);
    const run = simulate(ids, 5, (k) => (k >= 2 && k <= 4 ? 80 - 20 * (k - 2) : rnd() * 20 - 10));
    const steady = simulate(ids, 5, () => 0);
    const at = ticksOf(run.heard);
    for (let i = 0; i < 100; i++) expect(at.get(1000 + i)).toBe(at.get(1000)! + i);
    // The delay the set-up cost is given back but for what the ±10 ms calls for (a frame).
    expect(at.get(1000)! - ticksOf(steady.heard).get(1000)!).toBeLessThanOrEqual(1);
    expect(run.buffer.stats().shrinks).toBeGreaterThan(0);
  });

  it('never holds more than maxDelayMs: after a stall the oldest audio is dropped and counted', () => {
    // The network stalls for a second, then everything arrives at once.
    const run = simulate(call(0, 150), 5, (k) => (k >= 50 && k < 100 ? 1000 - 20 * (k - 50) : 0), new JitterBuffer({ maxDelayMs: 200 }));
    const stats = run.buffer.stats();
    expect(stats.underruns).toBe(1);
    expect(stats.droppedMs).toBeGreaterThan(0);
    expect(stats.depthMs).toBe(0);
    // Right after the stall the buffer holds no more than 200 ms: the voice is at most 200 ms behind.
    const at = ticksOf(run.heard);
    expect(at.get(1149)! - at.get(1100)!).toBe(49);
    expect(at.get(1149)! - (149 + 1)).toBeLessThanOrEqual(10);
  });

  it('after a burst (a stall, then many frames at once) gives the extra delay back within seconds, without a late frame feeding on it', () => {
    // 2 s of quiet line, then a 300 ms stall of the network or the event loop at 2 s: frames 100..114
    // arrive together with frame 115. Then steady, 3 s quiet, then speech.
    const ids = [...Array<number>(250).fill(0), ...Array.from({ length: 100 }, (_, i) => 1000 + i), ...Array<number>(50).fill(0)];
    const run = simulate(ids, 5, (k) => (k >= 100 && k < 115 ? 20 * (115 - k) : 0));
    const steady = simulate(ids, 5, () => 0);
    const stats = run.buffer.stats();
    expect(stats.grows).toBe(0); // the frames it held never made the next one look late
    expect(stats.shrinks).toBeGreaterThan(10);
    const at = ticksOf(run.heard);
    for (let i = 0; i < 100; i++) expect(at.get(1000 + i)).toBe(at.get(1000)! + i);
    // By the time speech starts the stall's delay is given back, but for a frame or two.
    expect(at.get(1000)! - ticksOf(steady.heard).get(1000)!).toBeLessThanOrEqual(2);
  });
});

/**
 * A noisy line: a steady hum at -40 dBFS (a car, a call centre's hum: above the quiet level of a
 * clean line) all call long, and speech-like bursts over it at about -20 dBFS, 2 s of words 40 ms
 * apart, then a 1 s pause, again and again. Read sample by sample.
 */
describe('JitterBuffer on a noisy line', () => {
  const SECONDS = 70;
  const FRAMES = SECONDS * 50;
  const NOISE_RMS = 328; // -40 dBFS
  const noise = (n: number): number => 232 * Math.sin((2 * Math.PI * 50 * n) / 8000) + 232 * Math.sin((2 * Math.PI * 120 * n) / 8000 + 1);
  const voice = (n: number, pauses: boolean): number => {
    const inCycle = n % 24_000; // 3 s
    if (pauses && inCycle >= 16_000) return 0; // the pause
    const inWord = inCycle % 2_560; // 280 ms words, 40 ms apart
    if (inWord >= 2_240) return 0;
    const envelope = Math.sin((Math.PI * inWord) / 2_240);
    return envelope * (2000 * Math.sin((2 * Math.PI * 180 * n) / 8000) + 1200 * Math.sin((2 * Math.PI * 360 * n) / 8000));
  };
  const line = Int16Array.from({ length: FRAMES * FRAME }, (_, n) => Math.round(noise(n) + voice(n, true)));
  /** A voice that never pauses: words 40 ms apart all call long. */
  const talker = Int16Array.from({ length: FRAMES * FRAME }, (_, n) => Math.round(noise(n) + voice(n, false)));

  interface NoisyRun {
    /** Every sample heard (zeros for a tick that played nothing). */
    heard: Float64Array;
    /** Per tick: stats after it. */
    grows: number[];
    shrinks: number[];
    addedMs: number[];
  }

  /** Frames sent every 20 ms from 5 ms, those from 8 s to 12 s with ±50 ms of jitter; read every 20 ms. */
  function simulateNoisy(seed: number, source = line): NoisyRun {
    const rnd = prng(seed);
    const arrivals: number[] = [];
    for (let k = 0; k < FRAMES; k++) arrivals.push(Math.max(arrivals[k - 1] ?? -Infinity, 20 * k + 5 + (k >= 400 && k < 600 ? rnd() * 100 - 50 : 0)));
    const buffer = new JitterBuffer();
    const ticks = FRAMES + 10;
    const run: NoisyRun = { heard: new Float64Array(ticks * FRAME), grows: [], shrinks: [], addedMs: [] };
    const frame = new Int16Array(FRAME);
    let next = 0;
    for (let t = 0; t < ticks; t++) {
      while (next < FRAMES && arrivals[next] <= 20 * (t + 1)) {
        buffer.push(source.subarray(next * FRAME, (next + 1) * FRAME), arrivals[next] / 20);
        next++;
      }
      frame.fill(0);
      const n = buffer.read(frame, t + 1);
      if (n > 0) run.heard.set(frame, t * FRAME);
      const stats = buffer.stats();
      run.grows.push(stats.grows);
      run.shrinks.push(stats.shrinks);
      run.addedMs.push(stats.addedMs);
    }
    return run;
  }

  /** The largest step between two neighbouring samples heard in `[from, to)`. */
  function largestStep(heard: Float64Array, from: number, to: number): number {
    let step = 0;
    for (let i = Math.max(1, from); i < to; i++) step = Math.max(step, Math.abs(heard[i] - heard[i - 1]));
    return step;
  }

  function rms(heard: Float64Array, from: number, to: number): number {
    let sum = 0;
    for (let i = from; i < to; i++) sum += heard[i] * heard[i];
    return Math.sqrt(sum / (to - from));
  }

  /** The largest step of the hum alone: what the line itself does from one sample to the next. */
  let humStep = 0;
  for (let n = 1; n < 8000; n++) humStep = Math.max(humStep, Math.abs(Math.round(noise(n)) - Math.round(noise(n - 1))));

  it.each([1, 2, 3])('gives back the delay a burst of jitter added, within 45 s, though the line is never below the quiet level (seed %p)', (seed) => {
    const run = simulateNoisy(seed);
    // The burst added delay...
    expect(Math.max(...run.addedMs.slice(400, 700))).toBeGreaterThanOrEqual(20);
    // ...and 45 s after it ended the voice plays as early as it did before it.
    expect(run.addedMs[600 + 45 * 50]).toBe(0);
  });

  it.each([1, 2, 3])('gives the delay back in a pause, with no step in the hum where a frame was dropped (seed %p)', (seed) => {
    const run = simulateNoisy(seed);
    const at = run.shrinks.flatMap((s, t) => (t > 0 && s > run.shrinks[t - 1] ? [t] : []));
    expect(at.length).toBeGreaterThan(0);
    for (const t of at) {
      // The frame played at the give-back and the ones either side are the line's hum, no voice...
      expect(rms(run.heard, (t - 1) * FRAME, (t + 2) * FRAME)).toBeLessThan(1.5 * NOISE_RMS);
      // ...and it joins on without a step larger than the hum's own (a whole frame cut out of a
      // 50 Hz + 120 Hz hum would jump by hundreds).
      expect(largestStep(run.heard, t * FRAME - 1, (t + 1) * FRAME)).toBeLessThanOrEqual(2 * humStep);
    }
  });

  it.each([1, 2, 3])('gives the delay back when the voice never pauses, at its quietest moment, with no step there (seed %p)', (seed) => {
    const run = simulateNoisy(seed, talker);
    expect(Math.max(...run.addedMs.slice(400, 700))).toBeGreaterThanOrEqual(20);
    expect(run.addedMs[600 + 45 * 50]).toBe(0);
    const at = run.shrinks.flatMap((s, t) => (t > 0 && s > run.shrinks[t - 1] ? [t] : []));
    for (const t of at) {
      // Given back in the hum between two words, joined without a step.
      expect(rms(run.heard, t * FRAME, (t + 1) * FRAME)).toBeLessThan(1.5 * NOISE_RMS);
      expect(largestStep(run.heard, t * FRAME - 1, t * FRAME + 60)).toBeLessThanOrEqual(2 * humStep);
    }
  });

  it('takes a frame more in hand in the hum without a hole or a step in it', () => {
    let taken = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const run = simulateNoisy(seed);
      // Ticks taken once the line's noise is known (after 6 s), right after a frame of hum.
      const at = run.grows.flatMap((g, t) => (t > 300 && g > run.grows[t - 1] && rms(run.heard, (t - 1) * FRAME, t * FRAME) > 0.5 * NOISE_RMS && rms(run.heard, (t - 1) * FRAME, t * FRAME) < 1.5 * NOISE_RMS ? [t] : []));
      taken += at.length;
      for (const t of at) {
        // The tick taken plays the hum on, not 20 ms of digital silence...
        expect(rms(run.heard, t * FRAME, (t + 1) * FRAME)).toBeGreaterThan(0.5 * NOISE_RMS);
        // ...joined to the frames either side without a step.
        expect(largestStep(run.heard, t * FRAME - 1, (t + 1) * FRAME + 1)).toBeLessThanOrEqual(2 * humStep);
      }
    }
    expect(taken).toBeGreaterThan(0);
  });
});
