// Telephone audio helpers for the emulator: 8 kHz, 20 ms frames of 160 samples, mu-law on the
// wire. Built directly on alawmulaw and wavefile.
import { readFileSync } from 'node:fs';
import { mulaw } from 'alawmulaw';
import { WaveFile } from 'wavefile';

export const SAMPLE_RATE = 8000;
export const FRAME_SAMPLES = 160;
export const MULAW_SILENCE = 0xff;

export const silentFrame = (): Int16Array => new Int16Array(FRAME_SAMPLES);

// Lookup tables filled from alawmulaw's own per-sample codec (same results, one array read per
// sample): the emulator's media path runs for hundreds of legs at once in the load benchmark.
const ENCODE = new Uint8Array(65536);
for (let v = -32768; v <= 32767; v++) ENCODE[v + 32768] = mulaw.encodeSample(v);
const DECODE = new Int16Array(256);
for (let c = 0; c < 256; c++) DECODE[c] = mulaw.decodeSample(c);

/** PCM16 to mu-law; into `out` when given (at least as long as `samples`). */
export function encodeMulaw(samples: Int16Array, out = new Uint8Array(samples.length)): Uint8Array {
  for (let i = 0; i < samples.length; i++) out[i] = ENCODE[samples[i] + 32768];
  return out.length === samples.length ? out : out.subarray(0, samples.length);
}
export function decodeMulaw(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = DECODE[bytes[i]];
  return out;
}

/** Adds `src * gain` into `dst` in place with clipping. */
export function mixInto(dst: Int16Array, src: Int16Array, gain = 1): void {
  for (let i = 0; i < dst.length && i < src.length; i++) {
    const v = dst[i] + src[i] * gain;
    dst[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
  }
}

export const dbToGain = (db: number): number => Math.pow(10, db / 20);

/** A sine frame; `startSample` keeps the phase continuous across frames. */
export function toneFrame(freqHz: number, amplitude: number, startSample: number): Int16Array {
  const out = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (startSample + i)) / SAMPLE_RATE));
  }
  return out;
}

/**
 * A synthetic voice: `sec` of syllables (four a second) on one pitch, 8 kHz. Test speakers speak
 * these so the Gemini emulator can tell their language by pitch (`--language-by-pitch`).
 */
export function toneVoice(sec: number, pitchHz: number): Int16Array {
  const out = new Int16Array(Math.round(sec * SAMPLE_RATE));
  for (let i = 0; i < out.length; i++) {
    const t = i / SAMPLE_RATE;
    const syllable = 0.55 + 0.45 * Math.sin(2 * Math.PI * 4 * t);
    out[i] = Math.round(6000 * syllable * Math.sin(2 * Math.PI * pitchHz * t));
  }
  return out;
}

/** Loads a WAV file (PCM of any depth/rate, or mu-law) as 8 kHz mono Int16 samples. */
export function loadWavAs8k(path: string): Int16Array {
  return wavBytesTo8k(readFileSync(path));
}

export function wavBytesTo8k(bytes: Uint8Array): Int16Array {
  const wav = new WaveFile(bytes);
  // Read before converting: fromMuLaw and fromALaw replace `fmt` and zero the one read here.
  const { audioFormat, sampleRate } = wav.fmt as { audioFormat: number; sampleRate: number };
  if (audioFormat === 7) wav.fromMuLaw();
  else if (audioFormat === 6) wav.fromALaw();
  if ((wav.bitDepth) !== '16') wav.toBitDepth('16');
  if (sampleRate !== SAMPLE_RATE) wav.toSampleRate(SAMPLE_RATE);
  const samples = wav.getSamples(false, Int16Array) as unknown;
  if (Array.isArray(samples)) return samples[0] as Int16Array; // multi-channel: first channel
  return samples as Int16Array;
}

/** 16-bit PCM mono WAV at 8 kHz. */
export function toWav(samples: Int16Array): Buffer {
  const wav = new WaveFile();
  wav.fromScratch(1, SAMPLE_RATE, '16', samples);
  return Buffer.from(wav.toBuffer());
}

/** Root-mean-square level of a span of samples (0 when empty). */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let acc = 0;
  for (const s of samples) acc += s * s;
  return Math.sqrt(acc / samples.length);
}
