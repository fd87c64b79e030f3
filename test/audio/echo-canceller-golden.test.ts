/**
 * The echo canceller's exact output on fixed scenarios, as SHA-256 digests, for each of its two
 * computations of the linear filters (plain JavaScript in f64, the WebAssembly SIMD kernel in f32
 * taps; both are deterministic on any machine): a change to how it computes (a faster loop, code
 * moved between functions) must leave every output sample and every statistic bit-identical. The
 * scenarios drive every stage: the start-up gate, delay locking and moves, both filters through
 * convergence, double talk, a path jump, clipping, a silent microphone, silent references, odd
 * frame sizes and the suppressor switched off.
 */
import { createHash } from 'node:crypto';
import { EchoCanceller, type EchoCancellerOptions } from '../../src/audio/echo-canceller';
import { prng } from './helpers/signals';

const RATE = 8000;

/** Bursts of coloured noise and a tone, `gapEvery` samples on, then as long off. */
function bursts(samples: number, seed: number, peak: number, gapEvery: number): Float64Array {
  const rnd = prng(seed);
  const out = new Float64Array(samples);
  let lp = 0;
  for (let n = 0; n < samples; n++) {
    if (Math.floor(n / gapEvery) % 2 === 1) continue;
    lp += 0.4 * (rnd() * 2 - 1 - lp);
    out[n] = peak * (0.7 * lp + 0.3 * Math.sin((2 * Math.PI * (180 + 40 * (seed % 5)) * n) / RATE));
  }
  return out;
}

function clampRound(x: number): number {
  return Math.max(-32768, Math.min(32767, Math.round(x)));
}

interface Scenario {
  ref: Int16Array;
  mic: Int16Array;
}

/** A speakerphone leg: echo through a 3-tap path at 60 ms, then 150 ms; near-end talk, clipping and a muted stretch. */
function speakerphone(seconds: number): Scenario {
  const n = seconds * RATE;
  const far = bursts(n, 11, 14000, 3100);
  const near = bursts(n, 12, 5000, 4700);
  const ref = new Int16Array(n);
  const mic = new Int16Array(n);
  for (let i = 0; i < n; i++) ref[i] = clampRound(far[i]);
  const path = [0.3, -0.12, 0.05];
  for (let i = 0; i < n; i++) {
    const delay = i < n / 2 ? 480 : 1200;
    let echo = 0;
    for (let k = 0; k < path.length; k++) if (i - delay - k >= 0) echo += path[k] * ref[i - delay - k];
    const t = i / RATE;
    const talk = t > 3 && t < 5 ? near[i] : t > 9 && t < 10 ? near[i] * 0.3 : 0;
    let v = echo + talk;
    if (t > 6 && t < 6.5) v *= 40; // clipped
    if (t > 7 && t < 7.6) v = 0; // muted microphone
    mic[i] = clampRound(v);
  }
  return { ref, mic };
}

function digest(s: Scenario, frameSizes: number[], options?: EchoCancellerOptions): string {
  const ec = new EchoCanceller(options);
  const hash = createHash('sha256');
  let p = 0;
  for (let f = 0; p < s.mic.length; f++) {
    const size = Math.min(frameSizes[f % frameSizes.length], s.mic.length - p);
    ec.playedReference(s.ref.subarray(p, p + size));
    const out = ec.processMic(s.mic.subarray(p, p + size));
    hash.update(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
    if (f % 50 === 49) hash.update(JSON.stringify(ec.stats()));
    p += size;
  }
  hash.update(JSON.stringify(ec.stats()));
  return hash.digest('hex').slice(0, 16);
}

describe('EchoCanceller exact output', () => {
  const s = speakerphone(12);

  const GOLDEN: { name: string; frames: number[]; options?: EchoCancellerOptions; plain: string; simd: string }[] = [
    { name: 'on 20 ms frames', frames: [160], plain: '5320a113cb89a2b3', simd: '7cc72c0fc44380b2' },
    { name: 'on odd frame sizes', frames: [80, 240, 123, 197], plain: 'e980a617944daa90', simd: 'd45ba3e8af36f3d6' },
    {
      name: 'with the suppressor off and a short filter',
      frames: [160],
      options: { residualSuppression: false, filterTaps: 32, stepSize: 0.3 },
      plain: '9b9ee20686c44a11',
      simd: 'c9faea3158d03c41',
    },
  ];

  it.each(GOLDEN)('is unchanged $name', ({ frames, options, plain, simd }) => {
    expect(new EchoCanceller({ ...options, simd: false }).usesSimd).toBe(false);
    expect(new EchoCanceller(options).usesSimd).toBe(true);
    expect({ plain: digest(s, frames, { ...options, simd: false }), simd: digest(s, frames, options) }).toEqual({ plain, simd });
  });

  it('gives the same audio on the SIMD kernel as in plain JavaScript, to within one step', () => {
    const outputs = [true, false].map((simd) => {
      const ec = new EchoCanceller({ simd });
      const out = new Int16Array(s.mic.length);
      for (let p = 0; p + 160 <= s.mic.length; p += 160) {
        ec.playedReference(s.ref.subarray(p, p + 160));
        out.set(ec.processMic(s.mic.subarray(p, p + 160)), p);
      }
      return out;
    });
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < s.mic.length; i++) {
      const d = Math.abs(outputs[0][i] - outputs[1][i]);
      worst = Math.max(worst, d);
      if (d > 0) differ++;
    }
    // f32 taps against f64 ones: a rounding apart on a handful of samples in 12 s.
    expect(worst).toBeLessThanOrEqual(1);
    expect(differ).toBeLessThan(s.mic.length / 1000);
  });

  it('keeps to plain JavaScript where the kernel does not fit: a filter length not a multiple of 8', () => {
    expect(new EchoCanceller({ filterTaps: 20 }).usesSimd).toBe(false);
    expect(new EchoCanceller({ filterTaps: 24 }).usesSimd).toBe(true);
  });

  it('drives the linear canceller (the scenarios are not all bypass)', () => {
    const ec = new EchoCanceller();
    for (let p = 0; p + 160 <= s.mic.length; p += 160) {
      ec.playedReference(s.ref.subarray(p, p + 160));
      ec.processMic(s.mic.subarray(p, p + 160));
    }
    const st = ec.stats();
    expect(st.estimatedDelayMs).not.toBeNull();
    expect(st.delayChanges).toBeGreaterThanOrEqual(2);
    expect(st.suppressedFrames).toBeGreaterThan(50);
  });
});
