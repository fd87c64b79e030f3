/**
 * Whole-buffer sample-rate conversion with `wave-resampler`, for preparing prompts and fixtures
 * offline. Not for live audio: it is stateless, so per-frame use clicks at every frame edge (use
 * the streaming resamplers for calls).
 *
 * wave-resampler filters its input in place when downsampling, writes into the options object and
 * returns unrounded, unclamped floats; this wrapper copies the input, passes a fresh options object
 * and rounds/clamps the result.
 */
import { resample } from 'wave-resampler';
import { floatsToInt16 } from './pcm';
import { readWav, writeWav, type WavEncoding } from './wav';

export type ResampleMethod = 'point' | 'linear' | 'cubic' | 'sinc';

export interface ResampleOptions {
  /** Interpolation; default 'sinc' (best quality of wave-resampler's methods for offline use). */
  method?: ResampleMethod;
  /** Anti-alias / anti-image low-pass; default on. */
  lowpass?: boolean;
}

/** Converts a whole buffer from `fromRate` to `toRate`. The input is left untouched. */
export function resampleBuffer(
  samples: Int16Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Int16Array {
  if (!(fromRate > 0) || !(toRate > 0)) {
    throw new RangeError(`resampleBuffer: invalid rates ${fromRate} -> ${toRate}`);
  }
  if (fromRate === toRate) return Int16Array.from(samples);
  const input = Float64Array.from(samples);
  const details = { method: options.method ?? 'sinc', LPF: options.lowpass ?? true };
  const output = resample(input, fromRate, toRate, details);
  return floatsToInt16(output);
}

/** Re-encodes a WAV file (mono mu-law or PCM16) to another rate and/or encoding. */
export function convertWav(
  wavBytes: Uint8Array,
  target: { sampleRate: number; encoding: WavEncoding },
  options: ResampleOptions = {},
): Uint8Array {
  const source = readWav(wavBytes);
  const samples = resampleBuffer(source.samples, source.sampleRate, target.sampleRate, options);
  return writeWav({ sampleRate: target.sampleRate, samples, encoding: target.encoding });
}
