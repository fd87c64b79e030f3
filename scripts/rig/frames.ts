/**
 * The load rig's wire frames, built once and patched in place: the rig sends every 20 ms media
 * message of every leg and every Gemini server frame without building a string or a buffer for it.
 * Pure functions and small classes; the rig processes (twilio-rig.ts, gemini-rig.ts) do the I/O.
 */
import { decodeMulawSample, encodeMulaw } from '../../src/audio/mulaw';
import { frame, frameHeader, headerLength, OPCODE_TEXT } from './raw-ws';

export const FRAME_MS = 20;
export const FRAME_SAMPLES = 160;
/** Base64 length of one 20 ms mu-law frame (160 bytes). */
export const FRAME_B64 = 216;
/** A sample louder than this (of 32767) is speech, both where the rig speaks and where it listens to tolk's input. */
export const SPEECH_LEVEL = 1500;
/** What a listener hears louder than this is the translation (the rig's model speaks at TONE_LEVEL; the
 * other party's own voice, mixed underneath, stays far below). */
export const HEARD_LEVEL = 9000;
export const TONE_LEVEL = 16000;

/** The base64 text of every 20 ms frame of a mu-law timeline, back to back (FRAME_B64 bytes each). */
export function encodeTimeline(pcm: Int16Array): Buffer {
  const frames = Math.floor(pcm.length / FRAME_SAMPLES);
  const mulaw = encodeMulaw(pcm.subarray(0, frames * FRAME_SAMPLES));
  const out = Buffer.alloc(frames * FRAME_B64);
  for (let i = 0; i < frames; i++) out.write(Buffer.from(mulaw.buffer, mulaw.byteOffset + i * FRAME_SAMPLES, FRAME_SAMPLES).toString('base64'), i * FRAME_B64, 'latin1');
  return out;
}

/** Sample index of each utterance's onset: the first sample at or after each start louder than SPEECH_LEVEL. */
export function onsets(pcm: Int16Array, starts: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of starts) {
    for (let i = s; i < pcm.length; i++) {
      if (Math.abs(pcm[i]) > SPEECH_LEVEL) {
        out.push(i);
        break;
      }
    }
  }
  return out;
}

const digitsOf = (n: number): number => (n < 10 ? 1 : Math.floor(Math.log10(n)) + 1);

function writeDigits(buf: Buffer, end: number, n: number): void {
  let i = end;
  do {
    buf[--i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
}

/**
 * The `media` messages of one leg, as Twilio documents them (the counters as strings), each inside a
 * whole WebSocket frame as a client sends it (text, masked with an all-zero key: raw-ws.ts), in a
 * ring of buffers patched in place: a message costs one copy and a few digits. The ring lets a
 * socket keep a buffer it has not flushed yet while the next frames are written.
 */
export class MediaMessageWriter {
  private readonly head: Buffer;
  /** Each slot: the whole frame, and its payload (the message) as a view of the same bytes. */
  private ring: { frame: Buffer; message: Buffer }[] = [];
  private slot = 0;
  private widths = 0;

  constructor(streamSid: string, private readonly ringSize = 16) {
    this.head = Buffer.from(`{"event":"media","streamSid":"${streamSid}","media":{"track":"inbound","payload":"`, 'latin1');
  }

  private static readonly P1 = Buffer.from('","chunk":"', 'latin1');
  private static readonly P2 = Buffer.from('","timestamp":"', 'latin1');
  private static readonly P3 = Buffer.from('"},"sequenceNumber":"', 'latin1');
  private static readonly P4 = Buffer.from('"}', 'latin1');

  /** The WebSocket frame of message `chunk` (1-based) with sequence number `seq`, its payload FRAME_B64 bytes of `payloads` from `at`. */
  frame(payloads: Buffer, at: number, chunk: number, seq: number): Buffer {
    return this.write(payloads, at, chunk, seq).frame;
  }

  /** The same message without its frame (what a server reads). */
  message(payloads: Buffer, at: number, chunk: number, seq: number): Buffer {
    return this.write(payloads, at, chunk, seq).message;
  }

  private write(payloads: Buffer, at: number, chunk: number, seq: number): { frame: Buffer; message: Buffer } {
    const ts = (chunk - 1) * FRAME_MS;
    const dc = digitsOf(chunk);
    const dt = digitsOf(ts);
    const ds = digitsOf(seq);
    const widths = dc * 10_000 + dt * 100 + ds;
    const W = MediaMessageWriter;
    if (widths !== this.widths) {
      // Only when a counter gains a digit: a new ring sized for it.
      this.widths = widths;
      const len = this.head.length + FRAME_B64 + W.P1.length + dc + W.P2.length + dt + W.P3.length + ds + W.P4.length;
      const from = headerLength(len, true);
      this.ring = Array.from({ length: this.ringSize }, () => {
        const f = Buffer.alloc(from + len);
        frameHeader(f, 0, OPCODE_TEXT, len, true);
        const b = f.subarray(from);
        let o = this.head.copy(b, 0) + FRAME_B64;
        o += W.P1.copy(b, o) + dc;
        o += W.P2.copy(b, o) + dt;
        o += W.P3.copy(b, o) + ds;
        W.P4.copy(b, o);
        return { frame: f, message: b };
      });
    }
    const slot = this.ring[this.slot];
    this.slot = (this.slot + 1) % this.ringSize;
    const b = slot.message;
    let o = this.head.length;
    payloads.copy(b, o, at, at + FRAME_B64);
    o += FRAME_B64 + W.P1.length;
    writeDigits(b, o + dc, chunk);
    o += dc + W.P2.length;
    writeDigits(b, o + dt, ts);
    o += dt + W.P3.length;
    writeDigits(b, o + ds, seq);
    return slot;
  }
}

const B64_VALUES = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  t['='.charCodeAt(0)] = 0; // padding: the bits it stands for are not read
  return t;
})();

/** Byte `index` of the data whose base64 text starts at `start` in `buf` (no decoding of the rest). */
export function base64ByteAt(buf: Buffer, start: number, index: number): number {
  const group = start + Math.floor(index / 3) * 4;
  const v = (B64_VALUES[buf[group]] << 18) | (B64_VALUES[buf[group + 1]] << 12) | (B64_VALUES[buf[group + 2]] << 6) | B64_VALUES[buf[group + 3]];
  return (v >> (16 - 8 * (index % 3))) & 0xff;
}

/** Little-endian 16-bit sample `k` of base64 PCM text starting at `start`. */
export function base64SampleAt(buf: Buffer, start: number, k: number): number {
  const v = base64ByteAt(buf, start, 2 * k) | (base64ByteAt(buf, start, 2 * k + 1) << 8);
  return v >= 0x8000 ? v - 0x10000 : v;
}

const MULAW_LINEAR = Int16Array.from({ length: 256 }, (_, c) => decodeMulawSample(c));

/** Mu-law sample `k` of base64 text starting at `start`, as linear PCM16. */
export function mulawSampleAt(buf: Buffer, start: number, k: number): number {
  return MULAW_LINEAR[base64ByteAt(buf, start, k)];
}

/** Index of the first of `count` base64 mu-law samples (from `start`) louder than `level`, or -1. */
export function firstLoudMulaw(buf: Buffer, start: number, count: number, level: number): number {
  for (let k = 0; k < count; k++) if (Math.abs(MULAW_LINEAR[base64ByteAt(buf, start, k)]) > level) return k;
  return -1;
}

/**
 * Where speech starts in a chunk of base64 16-bit PCM: the index of its first sample louder than
 * SPEECH_LEVEL, or -1 for a silent chunk. Every `stride`-th sample is looked at, and the last; where
 * one is loud, each of the samples since the one looked at before it: a chunk is speech when a
 * sample looked at is loud, and its onset is exact.
 */
export function speechOnsetPcm(buf: Buffer, start: number, samples: number, stride = 8): number {
  let looked = -1;
  for (let k = 0; looked < samples - 1; k = Math.min(k + stride, samples - 1)) {
    if (Math.abs(base64SampleAt(buf, start, k)) > SPEECH_LEVEL) {
      for (let j = looked + 1; j < k; j++) if (Math.abs(base64SampleAt(buf, start, j)) > SPEECH_LEVEL) return j;
      return k;
    }
    looked = k;
  }
  return -1;
}

/** Offset just past `needle` in `buf` (from `from`), or -1. */
export function after(buf: Buffer, needle: Buffer, from = 0): number {
  const i = buf.indexOf(needle, from);
  return i < 0 ? -1 : i + needle.length;
}

/** `n` samples of the model's voice at 24 kHz: a steady tone the listener's side can time. */
export function toneSamples24k(n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(TONE_LEVEL * Math.sin((2 * Math.PI * 440 * i) / 24_000));
  return out;
}

/** `ms` of the model's voice at 24 kHz, silent for its first `silentMs`. */
export function tonePcm24k(ms: number, silentMs: number): Int16Array {
  const out = toneSamples24k((ms * 24_000) / 1000);
  out.fill(0, 0, Math.round((silentMs * 24_000) / 1000));
  return out;
}

export const int16Base64 = (pcm: Int16Array): string => Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');

/** A Live server frame (a whole WebSocket frame) carrying `pcm24k` as the model's voice. */
export const audioFrame = (pcm24k: Int16Array): Buffer =>
  frame(JSON.stringify({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: int16Base64(pcm24k) } }] } } }), false);

/**
 * The rig model's voice answering an audio message of `samples` (16 kHz), as long as it (at 24
 * kHz), as whole frames: a full one, a silent one, and one for each sample speech can start at in
 * the message, the voice starting on the 24 kHz sample where the speech started (no rounding to a
 * coarser step). Each frame is built once, when first asked for.
 */
export class ModelVoice {
  readonly full: Buffer;
  readonly silent: Buffer;
  private readonly starts: (Buffer | undefined)[];
  private readonly tone: Int16Array;

  constructor(samples: number) {
    this.tone = toneSamples24k(Math.round((samples * 3) / 2));
    this.full = audioFrame(this.tone);
    this.silent = audioFrame(new Int16Array(this.tone.length));
    this.starts = new Array<Buffer | undefined>(samples);
    this.starts[0] = this.full;
  }

  /** The voice from input sample `k` (output sample round(1.5 k)) on, silent before. */
  from(k: number): Buffer {
    let f = this.starts[k];
    if (!f) {
      const pcm = this.tone.slice();
      pcm.fill(0, 0, Math.round((k * 3) / 2));
      f = audioFrame(pcm);
      this.starts[k] = f;
    }
    return f;
  }
}
