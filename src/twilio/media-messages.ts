/**
 * Media Streams WebSocket messages (Twilio's documented JSON): schemas for what Twilio sends and
 * builders for what tolk sends back. Numeric fields such as `sequenceNumber`, `chunk` and
 * `timestamp` are strings of digits on the wire.
 */
import { z } from 'zod';

const digits = z.string().regex(/^\d{1,15}$/, 'must be a string of digits');
const sid = z.string().min(1).max(64);

export const connectedMessage = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

export const startMessage = z.object({
  event: z.literal('start'),
  sequenceNumber: digits.optional(),
  streamSid: sid,
  start: z.object({
    streamSid: sid,
    accountSid: sid,
    callSid: sid,
    tracks: z.array(z.string()).default([]),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z
      .object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() })
      .optional(),
  }),
});

export const mediaMessage = z.object({
  event: z.literal('media'),
  sequenceNumber: digits.optional(),
  streamSid: sid,
  media: z.object({
    track: z.string().optional(),
    chunk: digits.optional(),
    timestamp: digits,
    payload: z.string(),
  }),
});

export const dtmfMessage = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: digits.optional(),
  streamSid: sid,
  dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9A-D*#wW]$/) }),
});

export const markMessage = z.object({
  event: z.literal('mark'),
  sequenceNumber: digits.optional(),
  streamSid: sid,
  mark: z.object({ name: z.string() }),
});

export const stopMessage = z.object({
  event: z.literal('stop'),
  sequenceNumber: digits.optional(),
  streamSid: sid,
  stop: z.object({ accountSid: sid.optional(), callSid: sid.optional() }).optional(),
});

const schemas = {
  connected: connectedMessage,
  start: startMessage,
  media: mediaMessage,
  dtmf: dtmfMessage,
  mark: markMessage,
  stop: stopMessage,
} as const;

export type InboundEvent = keyof typeof schemas;
export type ConnectedMessage = z.infer<typeof connectedMessage>;
export type StartMessage = z.infer<typeof startMessage>;
export type MediaMessage = z.infer<typeof mediaMessage>;
export type DtmfMessage = z.infer<typeof dtmfMessage>;
export type MarkMessage = z.infer<typeof markMessage>;
export type StopMessage = z.infer<typeof stopMessage>;
export type InboundMessage = ConnectedMessage | StartMessage | MediaMessage | DtmfMessage | MarkMessage | StopMessage;

export type ParseFailure = 'invalid_json' | 'unknown_event' | 'invalid_message';
export type ParseResult = { ok: true; message: InboundMessage } | { ok: false; reason: ParseFailure; detail: string };

/**
 * Parses one text frame. Never throws. `knownStreamSid`, what `plainStreamSid` returned for the
 * stream's id, lets the usual media message's id be read by one comparison (the result is the same
 * without it, its `streamSid` then a new string of the same characters).
 */
export function parseInboundMessage(text: string, knownStreamSid?: string): ParseResult {
  const scanned = scanMediaMessage(text, knownStreamSid);
  if (scanned) return { ok: true, message: scanned };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'invalid_message', detail: 'not a JSON object' };
  }
  const event = (raw as { event?: unknown }).event;
  // Fast path for the 50-a-second audio message: plain checks that accept exactly what the schema
  // accepts; anything they do not accept goes through the schema, which names the problem.
  if (event === 'media') {
    const media = asMediaMessage(raw);
    if (media) return { ok: true, message: media };
  }
  if (typeof event !== 'string' || !Object.hasOwn(schemas, event)) {
    return { ok: false, reason: 'unknown_event', detail: typeof event === 'string' ? event.slice(0, 32) : 'missing event' };
  }
  const parsed = schemas[event as InboundEvent].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: 'invalid_message', detail: `${event}: ${issue.path.join('.')} ${issue.message}` };
  }
  return { ok: true, message: parsed.data };
}

function isDigits(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 1 || v.length > 15) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const isSid = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 64;
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `mediaMessage` schema's checks written out (same result, no zod): the message with only the
 * schema's keys, or undefined when the schema must judge it.
 */
function asMediaMessage(raw: object): MediaMessage | undefined {
  const m = raw as Record<string, unknown>;
  const media = m.media;
  if (!isSid(m.streamSid) || !isPlainObject(media)) return undefined;
  const { sequenceNumber } = m;
  const { track, chunk, timestamp, payload } = media;
  if (sequenceNumber !== undefined && !isDigits(sequenceNumber)) return undefined;
  if (track !== undefined && typeof track !== 'string') return undefined;
  if (chunk !== undefined && !isDigits(chunk)) return undefined;
  if (!isDigits(timestamp) || typeof payload !== 'string') return undefined;
  const out: MediaMessage = {
    event: 'media',
    streamSid: m.streamSid,
    media: { timestamp: timestamp as string, payload },
  };
  if (sequenceNumber !== undefined) out.sequenceNumber = sequenceNumber as string;
  if (track !== undefined) out.media.track = track;
  if (chunk !== undefined) out.media.chunk = chunk as string;
  return out;
}

/** The standard base64 alphabet (A-Z a-z 0-9 + /), then at most two '='. */
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Standard, padded base64: whole quads of the alphabet, with at most two '=' at the very end. (One
 * regular expression, which V8 compiles to machine code, rather than a loop over the characters.)
 */
export function isStrictBase64(s: string): boolean {
  return s.length % 4 === 0 && BASE64_TEXT.test(s);
}

/**
 * Strict base64 decoding: the bytes of `s` when `isStrictBase64(s)`, else null.
 *
 * Node's decoder is lenient, so it decodes first and then proves the text was strict, with no pass
 * of its own over the characters. The decoder reads each character's low byte: the standard
 * alphabet and the URL-safe '-' and '_' are digits, '=' ends the data, anything else is skipped. A
 * text of whole quads ending in p '=' (p <= 2) decodes to 3 * length / 4 - p bytes exactly when
 * every character before those '=' was read as a digit (a skipped character, an earlier '=' or a
 * third '=' each leave fewer). Digits are then the standard alphabet when every character is ASCII
 * (so its low byte is itself: UTF-8 length equal to the length) and none is '-' or '_'.
 */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (s === scannedPayload && scannedBytes) {
    const bytes = scannedBytes;
    scannedPayload = scannedBytes = undefined;
    return bytes;
  }
  return decodeStrict(s);
}

/** decodeBase64Strict's check and decoding; `ascii`: `s` is known to be all ASCII. */
function decodeStrict(s: string, ascii = false): Uint8Array | null {
  const n = s.length;
  if (n % 4 !== 0) return null;
  const padding = n === 0 || s.charCodeAt(n - 1) !== 61 ? 0 : s.charCodeAt(n - 2) === 61 ? 2 : 1;
  const size = (n / 4) * 3 - padding;
  // Every byte is written when the text was strict; otherwise the buffer is dropped unread.
  const buf = Buffer.allocUnsafe(size);
  if (buf.write(s, 'base64') !== size) return null;
  if ((!ascii && Buffer.byteLength(s, 'utf8') !== n) || s.indexOf('-') !== -1 || s.indexOf('_') !== -1) return null;
  return new Uint8Array(buf.buffer, buf.byteOffset, size);
}

/**
 * The payload of the media message scanMediaMessage read last and its bytes, decoded while the scan
 * proved it strict: decodeBase64Strict hands them out once for that text instead of decoding it again.
 */
let scannedPayload: string | undefined;
let scannedBytes: Uint8Array | undefined;

const QUOTE = 0x22;

/** Whether `t` holds `lit` at `i` (one native comparison of the whole run). */
function holds(t: string, i: number, lit: string): boolean {
  return t.slice(i, i + lit.length) === lit;
}

/** The closing quote of the JSON string opening at `i` when it has no escape and no control character (else -1). */
function plainStringEnd(t: string, i: number, maxLength: number): number {
  if (t.charCodeAt(i) !== QUOTE) return -1;
  const end = t.indexOf('"', i + 1);
  if (end < 0 || end - i - 1 > maxLength) return -1;
  for (let k = i + 1; k < end; k++) {
    const c = t.charCodeAt(k);
    if (c < 0x20 || c === 0x5c) return -1;
  }
  return end;
}

/**
 * `sid` when scanMediaMessage reads it as it stands in a message (1 to 64 characters, none a quote,
 * a backslash or a control character): parseInboundMessage's `knownStreamSid`; else undefined.
 */
export function plainStreamSid(sid: string): string | undefined {
  return sid.length >= 1 && plainStringEnd(`"${sid}"`, 0, 64) === sid.length + 1 ? sid : undefined;
}

/** The closing quote of a JSON string of 1 to 15 ASCII digits opening at `i` (else -1). */
function digitsEnd(t: string, i: number): number {
  if (t.charCodeAt(i) !== QUOTE) return -1;
  let k = i + 1;
  for (let c = t.charCodeAt(k); c >= 0x30 && c <= 0x39; c = t.charCodeAt(++k));
  return t.charCodeAt(k) === QUOTE && k - i - 1 >= 1 && k - i - 1 <= 15 ? k : -1;
}

const enum Key { None, Event, StreamSid, SequenceNumber, Media, Track, Chunk, Timestamp, Payload }

/**
 * The usual media message read straight from its text, without JSON.parse (which costs about as
 * much as the rest of the frame's way in): compact JSON (no whitespace), all ASCII, an object of the
 * keys event ("media"), streamSid, sequenceNumber and media (track, chunk, timestamp, payload), each
 * at most once and in any order, every value a string without escapes, the fields as the schema
 * wants them and the payload strict base64 (decoded on the way, for decodeBase64Strict). Returns what
 * parseInboundMessage would for such a text; undefined for anything else (whitespace, another key,
 * an escape, a field the schema refuses...), which takes the general path.
 */
function scanMediaMessage(t: string, known: string | undefined): MediaMessage | undefined {
  if (t.charCodeAt(0) !== 0x7b || Buffer.byteLength(t, 'utf8') !== t.length) return undefined;
  let event = false;
  let streamSid: string | undefined;
  let sequenceNumber: string | undefined;
  let media = false;
  let inMedia = false;
  let track: string | undefined;
  let chunk: string | undefined;
  let timestamp: string | undefined;
  let payload: string | undefined;
  let bytes: Uint8Array | null = null;
  let i = 1;
  for (;;) {
    // `i` is at a key's opening quote; `v` will be at its value.
    let key = Key.None;
    let v = 0;
    switch (t.charCodeAt(i + 1)) {
      case 0x65: // e
        if (!inMedia && holds(t, i, '"event":')) { key = Key.Event; v = i + 8; }
        break;
      case 0x73: // s
        if (!inMedia && holds(t, i, '"streamSid":')) { key = Key.StreamSid; v = i + 12; }
        else if (!inMedia && holds(t, i, '"sequenceNumber":')) { key = Key.SequenceNumber; v = i + 17; }
        break;
      case 0x6d: // m
        if (!inMedia && holds(t, i, '"media":')) { key = Key.Media; v = i + 8; }
        break;
      case 0x74: // t
        if (inMedia && holds(t, i, '"track":')) { key = Key.Track; v = i + 8; }
        else if (inMedia && holds(t, i, '"timestamp":')) { key = Key.Timestamp; v = i + 12; }
        break;
      case 0x63: // c
        if (inMedia && holds(t, i, '"chunk":')) { key = Key.Chunk; v = i + 8; }
        break;
      case 0x70: // p
        if (inMedia && holds(t, i, '"payload":')) { key = Key.Payload; v = i + 10; }
        break;
    }
    // `end` will be at the value's closing quote.
    let end: number;
    switch (key) {
      case Key.Event:
        if (event || !holds(t, v, '"media"')) return undefined;
        event = true;
        end = v + 6;
        break;
      case Key.StreamSid:
        if (known !== undefined && t.charCodeAt(v) === QUOTE && t.charCodeAt(v + known.length + 1) === QUOTE && holds(t, v + 1, known)) {
          // The stream's own id (plain: see plainStreamSid): read without a scan, and the same string.
          end = v + known.length + 1;
          if (streamSid !== undefined) return undefined;
          streamSid = known;
          break;
        }
        end = plainStringEnd(t, v, 64);
        if (streamSid !== undefined || end <= v + 1) return undefined;
        streamSid = t.slice(v + 1, end);
        break;
      case Key.SequenceNumber:
        end = digitsEnd(t, v);
        if (sequenceNumber !== undefined || end < 0) return undefined;
        sequenceNumber = t.slice(v + 1, end);
        break;
      case Key.Chunk:
        end = digitsEnd(t, v);
        if (chunk !== undefined || end < 0) return undefined;
        chunk = t.slice(v + 1, end);
        break;
      case Key.Timestamp:
        end = digitsEnd(t, v);
        if (timestamp !== undefined || end < 0) return undefined;
        timestamp = t.slice(v + 1, end);
        break;
      case Key.Track:
        end = plainStringEnd(t, v, t.length);
        if (track !== undefined || end < 0) return undefined;
        track = t.slice(v + 1, end);
        break;
      case Key.Payload:
        // Strict base64 holds no quote, escape or control character: the first quote closes it.
        end = t.charCodeAt(v) === QUOTE ? t.indexOf('"', v + 1) : -1;
        if (payload !== undefined || end < 0) return undefined;
        payload = t.slice(v + 1, end);
        bytes = decodeStrict(payload, true);
        if (!bytes) return undefined;
        break;
      case Key.Media:
        if (media || t.charCodeAt(v) !== 0x7b) return undefined;
        media = inMedia = true;
        i = v + 1;
        continue;
      default:
        return undefined;
    }
    let c = t.charCodeAt(end + 1);
    i = end + 2;
    if (c === 0x7d && inMedia) {
      inMedia = false;
      c = t.charCodeAt(i++);
    }
    if (c === 0x2c) continue;
    if (c === 0x7d && !inMedia && i === t.length) break;
    return undefined;
  }
  if (!event || streamSid === undefined || timestamp === undefined || payload === undefined || !bytes) return undefined;
  const out: MediaMessage = { event: 'media', streamSid, media: { timestamp, payload } };
  if (sequenceNumber !== undefined) out.sequenceNumber = sequenceNumber;
  if (track !== undefined) out.media.track = track;
  if (chunk !== undefined) out.media.chunk = chunk;
  scannedPayload = payload;
  scannedBytes = bytes;
  return out;
}

/**
 * Builds outbound `media` messages for one stream: the JSON around the payload is made once, so a
 * frame costs one base64 string and one concatenation.
 */
export class OutboundMediaWriter {
  private readonly head: string;

  constructor(streamSid: string) {
    this.head = `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"`;
  }

  message(mulaw: Uint8Array): string {
    return `${this.head}${Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64')}"}}`;
  }
}


export function outboundMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function outboundClear(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
