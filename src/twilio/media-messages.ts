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

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 decoding (Node's decoder silently skips bad characters); null when invalid. */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (!BASE64.test(s)) return null;
  const buf = Buffer.from(s, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function outboundMedia(streamSid: string, mulaw: Uint8Array): string {
  const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
  return JSON.stringify({ event: 'media', streamSid, media: { payload } });
}

export function outboundMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function outboundClear(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
