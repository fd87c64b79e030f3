// Media Streams messages exactly as Twilio documents them (numeric counters are strings), and the
// reader for what the server sends back: only media, mark and clear are accepted; anything else
// is an invalid message (Twilio warnings 31950 / 31951).

export interface StreamIdentity {
  accountSid: string;
  callSid: string;
  streamSid: string;
}

export const connectedMessage = () => ({ event: 'connected', protocol: 'Call', version: '1.0.0' });

export const startMessage = (id: StreamIdentity, seq: number, customParameters: Record<string, string>) => ({
  event: 'start',
  sequenceNumber: String(seq),
  start: {
    accountSid: id.accountSid,
    streamSid: id.streamSid,
    callSid: id.callSid,
    tracks: ['inbound'],
    customParameters,
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
  streamSid: id.streamSid,
});

export const mediaMessage = (id: StreamIdentity, seq: number, chunk: number, timestampMs: number, payload: string) => ({
  event: 'media',
  sequenceNumber: String(seq),
  media: { track: 'inbound', chunk: String(chunk), timestamp: String(timestampMs), payload },
  streamSid: id.streamSid,
});

export const markMessage = (id: StreamIdentity, seq: number, name: string) => ({
  event: 'mark',
  sequenceNumber: String(seq),
  streamSid: id.streamSid,
  mark: { name },
});

export const dtmfMessage = (id: StreamIdentity, seq: number, digit: string) => ({
  event: 'dtmf',
  streamSid: id.streamSid,
  sequenceNumber: String(seq),
  dtmf: { track: 'inbound_track', digit },
});

export const stopMessage = (id: StreamIdentity, seq: number) => ({
  event: 'stop',
  sequenceNumber: String(seq),
  stop: { accountSid: id.accountSid, callSid: id.callSid },
  streamSid: id.streamSid,
});

export type ServerMessage =
  | { event: 'media'; payload: Uint8Array }
  | { event: 'mark'; name: string }
  | { event: 'clear' };

export type ServerMessageResult = { ok: true; message: ServerMessage } | { ok: false; code: 31950 | 31951; reason: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads one WebSocket message from the server. */
export function readServerMessage(data: string | Buffer, isBinary: boolean, streamSid: string): ServerMessageResult {
  if (isBinary) return { ok: false, code: 31950, reason: 'binary frame' };
  let msg: unknown;
  try {
    msg = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return { ok: false, code: 31951, reason: 'not JSON' };
  }
  if (typeof msg !== 'object' || msg === null) return { ok: false, code: 31951, reason: 'not a JSON object' };
  const m = msg as Record<string, unknown>;
  if (m.streamSid !== streamSid) return { ok: false, code: 31951, reason: `streamSid ${String(m.streamSid)} does not match` };
  const body = (key: string): Record<string, unknown> | undefined =>
    typeof m[key] === 'object' && m[key] !== null ? (m[key] as Record<string, unknown>) : undefined;
  switch (m.event) {
    case 'media': {
      const payload = body('media')?.payload;
      if (typeof payload !== 'string' || !BASE64.test(payload) || payload.length % 4 !== 0)
        return { ok: false, code: 31951, reason: 'media.payload is not base64' };
      return { ok: true, message: { event: 'media', payload: new Uint8Array(Buffer.from(payload, 'base64')) } };
    }
    case 'mark': {
      const name = body('mark')?.name;
      if (typeof name !== 'string') return { ok: false, code: 31951, reason: 'mark.name missing' };
      return { ok: true, message: { event: 'mark', name } };
    }
    case 'clear':
      return { ok: true, message: { event: 'clear' } };
    default:
      return { ok: false, code: 31951, reason: `unsupported event ${String(m.event)}` };
  }
}
