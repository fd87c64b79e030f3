// Test signals: sine tones, and measurements that say which tones a recording contains.

export const tone = (sec: number, freq: number, amp: number): Int16Array => {
  const out = new Int16Array(Math.round(sec * 8000));
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 8000));
  return out;
};

export const rmsOf = (s: Int16Array): number => Math.sqrt(s.reduce((a, v) => a + v * v, 0) / Math.max(1, s.length));

/** Amplitude of the `freq` Hz component of a span of 8 kHz samples (Goertzel). */
export function toneLevel(s: Int16Array, freq: number): number {
  const k = (2 * Math.PI * freq) / 8000;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of s) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / Math.max(1, s.length);
}

/** The tones among `freqs` present in `s` above `threshold`. */
export const tonesIn = (s: Int16Array, freqs: number[], threshold = 1000): number[] => freqs.filter((f) => toneLevel(s, f) > threshold);

/**
 * The tones among `freqs` loud in at least one 100 ms stretch of `s`. Unlike `tonesIn`, a tone's
 * presence does not fade as the recording grows longer around it.
 */
export function tonesAnywhereIn(s: Int16Array, freqs: number[], threshold = 1000): number[] {
  const win = 800;
  return freqs.filter((f) => {
    for (let at = 0; at + win <= s.length; at += win / 2) if (toneLevel(s.subarray(at, at + win), f) > threshold) return true;
    return false;
  });
}
