/**
 * Pure logic that keeps a leg's inbound audio clock true: Twilio stamps every `media` message with
 * the milliseconds since stream start; where the stamps jump ahead of the audio received so far the
 * gap is filled with mu-law silence (0xFF), so 1 s of wall-clock call is 1 s of audio downstream.
 * Stamps are believed only as far as the wall clock agrees: the audio handed downstream never runs
 * more than `aheadLimitMs` ahead of the time the stream has lasted, whatever a peer claims.
 * Frames of any length are accepted. No I/O, no timers.
 */
import { performance } from 'node:perf_hooks';
import type { MediaFrame } from './media-leg';

/** mu-law encoding of a zero sample. */
export const MULAW_SILENCE = 0xff;
const BYTES_PER_MS = 8; // 8 kHz, one byte per sample

export interface MediaClockOptions {
  /** Jitter below this is ignored (no fill). Default 5 ms. */
  toleranceMs?: number;
  /** Longest silence inserted for one gap; beyond it the clock re-bases. Default 10 000 ms. */
  maxFillMs?: number;
  /** Size of each synthetic silence frame. Default 160 bytes (20 ms). */
  fillFrameBytes?: number;
  /** How far the audio may run ahead of the wall clock since the first frame. Default 2000 ms. */
  aheadLimitMs?: number;
  /** Monotonic milliseconds (tests). */
  now?: () => number;
}

export interface PlacedAudio {
  /** Synthetic silence first (if any), then the received payload. */
  frames: MediaFrame[];
  /** Milliseconds of silence inserted before the payload. */
  filledMs: number;
  /** Milliseconds of gap that were not filled (longer than maxFillMs, or ahead of the wall clock). */
  skippedMs: number;
}

export class MediaClock {
  private readonly toleranceBytes: number;
  private readonly maxFillBytes: number;
  private readonly fillFrameBytes: number;
  private readonly aheadLimitBytes: number;
  private readonly now: () => number;
  /** Wall-clock time of the first frame. */
  private startedAt: number | undefined;
  /** Bytes handed downstream so far (real and synthetic). */
  private positionBytes = 0;
  /** Twilio time (in bytes) that the clock deliberately did not fill after an over-long gap. */
  private skewBytes = 0;

  constructor(opts: MediaClockOptions = {}) {
    this.toleranceBytes = Math.round((opts.toleranceMs ?? 5) * BYTES_PER_MS);
    this.maxFillBytes = Math.round((opts.maxFillMs ?? 10_000) * BYTES_PER_MS);
    this.fillFrameBytes = Math.max(1, opts.fillFrameBytes ?? 160);
    this.aheadLimitBytes = Math.round((opts.aheadLimitMs ?? 2000) * BYTES_PER_MS);
    this.now = opts.now ?? (() => performance.now());
  }

  /** Milliseconds of audio handed downstream so far. */
  get positionMs(): number {
    return this.positionBytes / BYTES_PER_MS;
  }

  /** Places one received payload stamped `timestampMs` by Twilio. */
  place(timestampMs: number, payload: Uint8Array): PlacedAudio {
    const frames: MediaFrame[] = [];
    const now = this.now();
    this.startedAt ??= now;
    const gapBytes = Math.round(timestampMs * BYTES_PER_MS) - this.skewBytes - this.positionBytes;
    let fillBytes = 0;
    let skippedBytes = 0;
    if (gapBytes > this.toleranceBytes) {
      const wallBytes = Math.round((now - this.startedAt) * BYTES_PER_MS) + this.aheadLimitBytes - this.positionBytes;
      fillBytes = Math.max(0, Math.min(gapBytes, this.maxFillBytes, wallBytes));
      skippedBytes = gapBytes - fillBytes;
      this.skewBytes += skippedBytes;
      for (let done = 0; done < fillBytes; ) {
        const n = Math.min(this.fillFrameBytes, fillBytes - done);
        frames.push({ payload: silence(n), timestampMs: this.positionMs, synthetic: true });
        this.positionBytes += n;
        done += n;
      }
    }
    if (payload.length > 0) {
      frames.push({ payload, timestampMs: this.positionMs, synthetic: false });
      this.positionBytes += payload.length;
    }
    return { frames, filledMs: fillBytes / BYTES_PER_MS, skippedMs: skippedBytes / BYTES_PER_MS };
  }
}

export function silence(bytes: number): Uint8Array {
  return new Uint8Array(bytes).fill(MULAW_SILENCE);
}

/** What SequenceTracker says of a message's `sequenceNumber`. */
export type SequenceCheck = { readonly kind: 'ok' } | { readonly kind: 'duplicate' } | { readonly kind: 'jump' } | { readonly kind: 'gap'; readonly missing: number };

/** The answers that carry nothing else, shared (one per kind rather than one per message). */
const SEQUENCE_OK: SequenceCheck = Object.freeze({ kind: 'ok' });
const SEQUENCE_DUPLICATE: SequenceCheck = Object.freeze({ kind: 'duplicate' });
const SEQUENCE_JUMP: SequenceCheck = Object.freeze({ kind: 'jump' });

/**
 * Tracks a stream's `sequenceNumber` (it counts every message Twilio sends on the stream, not only
 * media, from 1). Duplicates and out-of-order messages are reported so they can be dropped; so is a
 * number that leaps more than `maxJump` ahead, which is not believed (the count does not move), so
 * one absurd number cannot make every later message look like a duplicate.
 */
export class SequenceTracker {
  private last: number | undefined;

  constructor(private readonly maxJump = 500) {}

  /** 'ok', 'duplicate' (not newer than one already seen), 'jump', or the number of missing messages. */
  observe(sequence: number): SequenceCheck {
    const last = this.last;
    if (last !== undefined && sequence <= last) return SEQUENCE_DUPLICATE;
    if (sequence - (last ?? 0) > this.maxJump) return SEQUENCE_JUMP;
    this.last = sequence;
    if (last !== undefined && sequence > last + 1) return { kind: 'gap', missing: sequence - last - 1 };
    return SEQUENCE_OK;
  }
}
