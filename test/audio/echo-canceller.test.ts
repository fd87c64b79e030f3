import { mulaw } from 'alawmulaw';
import { EchoCanceller, EchoCancellerOptions } from '../../src/audio/echo-canceller';
import { prng, speechLike } from './helpers/signals';

const RATE = 8000;
const FRAME = 160;
const ms = (x: number): number => Math.round((x * RATE) / 1000);



/** Echo: reference through a FIR `path` after `delay` samples (a number = delay per sample, for a jump). */
function echoOf(ref: Float64Array, path: number[], delayAt: (n: number) => number): Float64Array {
  const out = new Float64Array(ref.length);
  for (let n = 0; n < ref.length; n++) {
    const d = delayAt(n);
    let acc = 0;
    for (let k = 0; k < path.length; k++) {
      const j = n - d - k;
      if (j >= 0) acc += path[k] * ref[j];
    }
    out[n] = acc;
  }
  return out;
}

function toInt16(x: Float64Array): Int16Array {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i])));
  return out;
}

function sum(...parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts[0].length);
  for (const p of parts) for (let i = 0; i < out.length; i++) out[i] += p[i];
  return out;
}

/** Runs a whole call leg frame by frame: reference frame sent, then the microphone frame received. */
function run(ref: Int16Array, mic: Int16Array, ec = new EchoCanceller(), copy = true): { out: Int16Array; ec: EchoCanceller } {
  const out = new Int16Array(mic.length);
  for (let p = 0; p + FRAME <= mic.length; p += FRAME) {
    ec.playedReference(ref.subarray(p, p + FRAME));
    const cleaned = ec.processMic(mic.subarray(p, p + FRAME));
    if (copy) out.set(cleaned, p);
  }
  return { out, ec };
}

function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e;
}

const dB = (a: number, b: number): number => 10 * Math.log10(a / b);

function correlation(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = from; i < to; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

function diff(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] - b[i];
  return out;
}

/** Mu-law round trip, as on the phone line. */
function lineCodec(x: Int16Array): Int16Array {
  return mulaw.decode(mulaw.encode(x));
}

const SECOND = RATE;
const MINUS_10_DB = 0.316;

describe('EchoCanceller', () => {
  it('takes silent reference frames a block at a time with exactly the per-sample result', () => {
    // Speech in bursts with long silences, as a leg hears; the echo path makes the canceller work.
    const ref = toInt16(speechLike(6 * SECOND, 7));
    for (let i = 2 * SECOND; i < 4 * SECOND; i++) ref[i] = 0; // two seconds of nothing played
    const mic = toInt16(sum(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(120)), speechLike(6 * SECOND, 8, 3000)));
    const whole = new EchoCanceller();
    const pieces = new EchoCanceller(); // pieces of 7 and 9 samples never start a block with a whole block: per sample
    const a = new Int16Array(mic.length);
    const b = new Int16Array(mic.length);
    for (let p = 0; p + FRAME <= mic.length; p += FRAME) {
      const frame = ref.subarray(p, p + FRAME);
      whole.playedReference(frame);
      for (let k = 0; k < FRAME; k += 16) {
        pieces.playedReference(frame.subarray(k, k + 7));
        pieces.playedReference(frame.subarray(k + 7, k + 16));
      }
      a.set(whole.processMic(mic.subarray(p, p + FRAME)), p);
      b.set(pieces.processMic(mic.subarray(p, p + FRAME)), p);
    }
    expect(energy(ref, 2 * SECOND, 4 * SECOND)).toBe(0);
    expect(dB(energy(mic, SECOND), energy(a, SECOND))).toBeGreaterThan(3); // it did cancel something
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(whole.stats()).toEqual(pieces.stats());
  });

  describe('pure echo (speakerphone hears its loudspeaker at -10 dB)', () => {
    it.each([
      [60, 'SIMD'],
      [180, 'SIMD'],
      [60, 'plain JavaScript'],
      [180, 'plain JavaScript'],
    ])('removes the echo at %i ms delay by >= 25 dB after the first second (%s filters)', (delayMs, filters) => {
      const ref = toInt16(speechLike(4 * SECOND, 1));
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(delayMs)));
      const { out, ec } = run(ref, mic, new EchoCanceller({ simd: filters === 'SIMD' }));
      const from = 1 * SECOND;
      expect(dB(energy(mic, from), energy(out, from))).toBeGreaterThanOrEqual(25);
      const st = ec.stats();
      expect(st.estimatedDelayMs).not.toBeNull();
      expect(Math.abs((st.estimatedDelayMs ?? 0) - delayMs)).toBeLessThanOrEqual(2);
      expect(st.erleDb).toBeGreaterThanOrEqual(20); // the linear filter alone, not only the suppressor
    });

    it.each(['SIMD', 'plain JavaScript'])('cancels a non-flat echo path with the linear filter alone (suppressor off, %s filters)', (filters) => {
      const ref = toInt16(speechLike(4 * SECOND, 2));
      const path = [0.05, 0.22, -0.14, 0.09, -0.04];
      const mic = toInt16(echoOf(Float64Array.from(ref), path, () => ms(95)));
      const { out } = run(ref, mic, new EchoCanceller({ residualSuppression: false, simd: filters === 'SIMD' }));
      const from = 1.5 * SECOND;
      expect(dB(energy(mic, from), energy(out, from))).toBeGreaterThanOrEqual(20);
      // a plain delay+gain model cannot do this: best single-tap subtraction leaves much more
      const single = echoOf(Float64Array.from(ref), [0.22], () => ms(95) + 1);
      expect(dB(energy(mic, from), energy(diff(mic, single), from))).toBeLessThan(6);
    });

    it('works through the mu-law line codec on both directions', () => {
      const ref = lineCodec(toInt16(speechLike(4 * SECOND, 3)));
      const mic = lineCodec(toInt16(echoOf(Float64Array.from(ref), [0.1, MINUS_10_DB, 0.05], () => ms(120))));
      const { out } = run(ref, mic);
      expect(dB(energy(mic, SECOND), energy(out, SECOND))).toBeGreaterThanOrEqual(25);
    });
  });

  describe('double talk', () => {
    it.each([
      ['similar level', 1.0],
      ['6 dB lower', 0.5],
    ])('keeps near-end speech at %s over the echo while still removing the echo', (_label, nearGain) => {
      const len = 6 * SECOND;
      const refF = speechLike(len, 4);
      const ref = toInt16(refF);
      const echo = echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(100));
      // near end starts talking after 1.5 s of play-out, at the echo's level (or lower)
      const near = speechLike(len, 99, 12000 * MINUS_10_DB * nearGain);
      for (let i = 0; i < 1.5 * SECOND; i++) near[i] = 0;
      const mic = toInt16(sum(echo, near));
      const { out, ec } = run(ref, mic);
      const from = 2 * SECOND;
      expect(correlation(out, near, from, len)).toBeGreaterThan(0.9);
      expect(Math.abs(dB(energy(out, from), energy(near, from)))).toBeLessThan(3);
      // what remains besides the near-end speech is well below the echo
      expect(dB(energy(echo, from), energy(diff(out, near), from))).toBeGreaterThanOrEqual(12);
      expect(ec.stats().doubleTalk || ec.stats().suppressedFrames > 0).toBe(true);
    });

    it('keeps near-end speech when the party has no echo at all (headset)', () => {
      const len = 5 * SECOND;
      const ref = toInt16(speechLike(len, 5));
      const nearF = speechLike(len, 6, 6000);
      const mic = toInt16(nearF);
      const { out } = run(ref, mic);
      const from = 1 * SECOND;
      expect(correlation(out, mic, from, len)).toBeGreaterThan(0.97);
      expect(Math.abs(dB(energy(out, from), energy(mic, from)))).toBeLessThan(1);
    });
  });

  describe('bypass', () => {
    it('returns the microphone frame bit-exact while nothing is played', () => {
      const mic = toInt16(speechLike(2 * SECOND, 7));
      const silence = new Int16Array(2 * SECOND);
      const { out, ec } = run(silence, mic);
      expect(out).toEqual(mic);
      expect(ec.stats().bypassedFrames).toBe((2 * SECOND) / FRAME);
    });

    it('goes back to bit-exact pass-through once the echo tail of the play-out is over', () => {
      const len = 5 * SECOND;
      const refF = speechLike(len, 8);
      for (let i = 2 * SECOND; i < len; i++) refF[i] = 0;
      const ref = toInt16(refF);
      const near = speechLike(len, 9, 5000);
      for (let i = 0; i < 2.5 * SECOND; i++) near[i] = 0;
      const mic = toInt16(sum(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(150)), near));
      const { out } = run(ref, mic);
      const from = 2.5 * SECOND; // 2 s play-out end + 150 ms delay + filter span, frame-aligned
      expect(Array.from(out.subarray(from))).toEqual(Array.from(mic.subarray(from)));
    });

    it('returns the input frame itself without an out buffer, and fills `out` when given', () => {
      const ec = new EchoCanceller();
      const frame = new Int16Array(FRAME).fill(123);
      ec.playedReference(new Int16Array(FRAME));
      expect(ec.processMic(frame)).toBe(frame);
      const out = new Int16Array(FRAME);
      ec.playedReference(new Int16Array(FRAME));
      expect(ec.processMic(frame, out)).toBe(out);
      expect(out).toEqual(frame);
      expect(() => ec.processMic(frame, new Int16Array(10))).toThrow(RangeError);
    });
  });

  describe('echo path changes', () => {
    it('re-converges within 2 s after the delay jumps from 60 to 180 ms', () => {
      const len = 7 * SECOND;
      const ref = toInt16(speechLike(len, 10));
      const jumpAt = 3 * SECOND;
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], (n) => (n < jumpAt ? ms(60) : ms(180))));
      const { out, ec } = run(ref, mic);
      const from = jumpAt + 2 * SECOND;
      expect(dB(energy(mic, from), energy(out, from))).toBeGreaterThanOrEqual(25);
      expect(Math.abs((ec.stats().estimatedDelayMs ?? 0) - 180)).toBeLessThanOrEqual(2);
      // and before the jump it was already converged at 60 ms
      expect(dB(energy(mic, SECOND, jumpAt), energy(out, SECOND, jumpAt))).toBeGreaterThanOrEqual(25);
    });

    it('follows a slowly drifting delay (one sample per second, 125 ppm)', () => {
      const len = 6 * SECOND;
      const ref = toInt16(speechLike(len, 11));
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], (n) => ms(80) + Math.floor(n / SECOND)));
      const { out } = run(ref, mic);
      expect(dB(energy(mic, SECOND), energy(out, SECOND))).toBeGreaterThanOrEqual(25);
    });
  });

  describe('cheap paths when there is no echo to cancel', () => {
    it('outputs silence for a silent microphone and still cancels at once when the echo returns', () => {
      const len = 6 * SECOND;
      const ref = toInt16(speechLike(len, 16));
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(60)));
      mic.fill(0, 2 * SECOND, 4 * SECOND); // the party mutes while the play-out goes on
      const { out, ec } = run(ref, mic);
      expect(out.subarray(2 * SECOND, 4 * SECOND).every((v) => v === 0)).toBe(true);
      // what the filter learned before the mute still holds right after it
      expect(dB(energy(mic, 4 * SECOND, 4.5 * SECOND), energy(out, 4 * SECOND, 4.5 * SECOND))).toBeGreaterThanOrEqual(25);
      expect(Math.abs((ec.stats().estimatedDelayMs ?? 0) - 60)).toBeLessThanOrEqual(2);
    });
  });

  describe('robustness', () => {
    it('survives full-scale clipping without NaN or blow-up, then still cancels', () => {
      const len = 6 * SECOND;
      const rnd = prng(12);
      const ref = new Int16Array(len);
      const mic = new Int16Array(len);
      for (let i = 0; i < 2 * SECOND; i++) {
        ref[i] = rnd() < 0.5 ? -32768 : 32767;
        mic[i] = rnd() < 0.5 ? -32768 : 32767; // clipped, uncorrelated garbage
      }
      const tail = toInt16(speechLike(len - 2 * SECOND, 13));
      ref.set(tail, 2 * SECOND);
      const echo = toInt16(echoOf(Float64Array.from(ref), [3], () => ms(60))); // clips hard
      for (let i = 2 * SECOND; i < 3 * SECOND; i++) mic[i] = echo[i];
      const clean = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(60)));
      for (let i = 3 * SECOND; i < len; i++) mic[i] = clean[i];
      const { out, ec } = run(ref, mic);
      const st = ec.stats();
      for (const v of Object.values(st)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
      expect(out.every((v) => v >= -32768 && v <= 32767)).toBe(true);
      expect(dB(energy(mic, 5 * SECOND), energy(out, 5 * SECOND))).toBeGreaterThanOrEqual(25);
    });

    it('handles frames of odd sizes and a reference that runs a few frames ahead', () => {
      const len = 4 * SECOND;
      const ref = toInt16(speechLike(len, 14));
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(140)));
      const ec = new EchoCanceller();
      const out = new Int16Array(len);
      const lead = 3 * FRAME;
      ec.playedReference(ref.subarray(0, lead));
      let p = 0;
      const sizes = [160, 80, 240, 160, 100, 220];
      for (let f = 0; p < len; f++) {
        const n = Math.min(sizes[f % sizes.length], len - p);
        ec.playedReference(ref.subarray(lead + p, Math.min(len, lead + p + n)));
        out.set(ec.processMic(mic.subarray(p, p + n)), p);
        p += n;
      }
      expect(dB(energy(mic, SECOND), energy(out, SECOND))).toBeGreaterThanOrEqual(25);
    });

    it('reset() forgets the learned delay', () => {
      const ref = toInt16(speechLike(2 * SECOND, 15));
      const mic = toInt16(echoOf(Float64Array.from(ref), [MINUS_10_DB], () => ms(60)));
      const { ec } = run(ref, mic);
      expect(ec.stats().estimatedDelayMs).not.toBeNull();
      ec.reset();
      expect(ec.stats()).toEqual({
        estimatedDelayMs: null,
        erleDb: 0,
        doubleTalk: false,
        suppressedFrames: 0,
        bypassedFrames: 0,
        delayChanges: 0,
      });
    });

    it('rejects nonsensical options', () => {
      const bad: EchoCancellerOptions[] = [{ filterTaps: 3 }, { stepSize: 0 }, { maxDelayMs: -1 }];
      for (const o of bad) expect(() => new EchoCanceller(o)).toThrow(RangeError);
    });
  });
});
