/**
 * Gemini Live hears 16 kHz and speaks 24 kHz PCM16. A session asked for other rates converts
 * here, inside the adapter, so the rest of tolk works at whatever rate it chose (8 kHz for phone
 * calls). Each converter writes into one reused buffer: its result is valid until the next call.
 */
import { Downsampler24to8, Upsampler8to16, type StreamingResampler } from '../audio';

export const GEMINI_INPUT_RATE = 16_000;
export const GEMINI_OUTPUT_RATE = 24_000;

export class UnsupportedRateError extends Error {
  constructor(which: 'input' | 'output', rate: number, supported: readonly number[]) {
    super(`Gemini translator: ${which} rate ${rate} Hz is not supported (use ${supported.join(' or ')} Hz)`);
    this.name = 'UnsupportedRateError';
  }
}

/** Converts a stream from one rate to another, or passes it through when they are the same. */
export class RateConverter {
  private buffer = new Int16Array(0);

  constructor(private readonly resampler: StreamingResampler | undefined) {}

  /** Algorithmic delay it adds, ms. */
  get delayMs(): number {
    return this.resampler?.delayMs ?? 0;
  }

  convert(pcm: Int16Array): Int16Array {
    if (!this.resampler) return pcm;
    const n = this.resampler.outputLength(pcm.length);
    if (this.buffer.length < n) this.buffer = new Int16Array(Math.max(n, 2 * this.buffer.length));
    return this.resampler.process(pcm, this.buffer);
  }
}

/** What the session is given (at `rate`) as Gemini hears it. */
export function inputConverter(rate: number): RateConverter {
  if (rate === GEMINI_INPUT_RATE) return new RateConverter(undefined);
  if (rate === 8_000) return new RateConverter(new Upsampler8to16());
  throw new UnsupportedRateError('input', rate, [8_000, GEMINI_INPUT_RATE]);
}

/** What Gemini says, at the `rate` the session was asked for. */
export function outputConverter(rate: number): RateConverter {
  if (rate === GEMINI_OUTPUT_RATE) return new RateConverter(undefined);
  if (rate === 8_000) return new RateConverter(new Downsampler24to8());
  throw new UnsupportedRateError('output', rate, [8_000, GEMINI_OUTPUT_RATE]);
}
