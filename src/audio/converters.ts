/**
 * Per-leg pipelines for the bridge. Each instance owns its resampler state: use one per leg and
 * direction, and `reset()` (or drop) it when the stream restarts.
 */
import { Downsampler24to8 } from './downsampler';
import { decodeMulaw, encodeMulaw } from './mulaw';
import { Upsampler8to16 } from './upsampler';

/** Twilio -> model: 8 kHz mu-law bytes -> 16 kHz PCM16. */
export class InboundConverter {
  readonly inputRate = 8000;
  readonly outputRate = 16000;
  private readonly upsampler = new Upsampler8to16();
  private decoded = new Int16Array(160);

  /** Algorithmic delay added by this conversion, in ms. */
  get delayMs(): number {
    return this.upsampler.delayMs;
  }

  outputLength(inputBytes: number): number {
    return this.upsampler.outputLength(inputBytes);
  }

  /** Converts the next mu-law chunk (any length). Writes into `out` when given. */
  process(mulawBytes: Uint8Array, out?: Int16Array): Int16Array {
    if (this.decoded.length < mulawBytes.length) this.decoded = new Int16Array(mulawBytes.length);
    const pcm8k = decodeMulaw(mulawBytes, this.decoded);
    return this.upsampler.process(pcm8k, out);
  }

  reset(): void {
    this.upsampler.reset();
  }
}

/** Model -> Twilio: 24 kHz PCM16 -> 8 kHz mu-law bytes. */
export class OutboundConverter {
  readonly inputRate = 24000;
  readonly outputRate = 8000;
  private readonly downsampler = new Downsampler24to8();
  private resampled = new Int16Array(160);

  get delayMs(): number {
    return this.downsampler.delayMs;
  }

  /** How many mu-law bytes the next `process` call returns for `inputSamples` samples. */
  outputLength(inputSamples: number): number {
    return this.downsampler.outputLength(inputSamples);
  }

  /** Converts the next 24 kHz chunk (any length, not necessarily a multiple of 3). */
  process(pcm24k: Int16Array, out?: Uint8Array): Uint8Array {
    const count = this.downsampler.outputLength(pcm24k.length);
    if (this.resampled.length < count) this.resampled = new Int16Array(count);
    const pcm8k = this.downsampler.process(pcm24k, this.resampled);
    return encodeMulaw(pcm8k, out);
  }

  reset(): void {
    this.downsampler.reset();
  }
}
