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

/** Parses one text frame. Never throws. */
export function parseInboundMessage(text: string): ParseResult {
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
  const n = s.length;
  if (n % 4 !== 0) return null;
  const buf = Buffer.from(s, 'base64');
  const padding = n === 0 || s.charCodeAt(n - 1) !== 61 ? 0 : s.charCodeAt(n - 2) === 61 ? 2 : 1;
  if (buf.byteLength !== (n / 4) * 3 - padding) return null;
  if (Buffer.byteLength(s, 'utf8') !== n || s.indexOf('-') !== -1 || s.indexOf('_') !== -1) return null;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
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
