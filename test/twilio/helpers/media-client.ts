import WebSocket from 'ws';
import { ACCOUNT, CALL, sign } from './edge';

export const STREAM_URL = 'wss://tolk.example.com/twilio/media';
export const STREAM = 'MZ' + 'd'.repeat(32);

export interface MediaClient {
  ws: WebSocket;
  received: Record<string, unknown>[];
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
  start(
    token: string | undefined,
    opts?: { callSid?: string; accountSid?: string; extra?: Record<string, string>; mediaFormat?: { encoding: string; sampleRate: number; channels: number } },
  ): void;
  media(seq: number, timestampMs: number, payload: Uint8Array | string): void;
}

/** `path` spells the media endpoint's path some other way (the signature stays the one Twilio makes). */
export async function connectMedia(port: number, opts: { signature?: string | null; path?: string } = {}): Promise<MediaClient> {
  const headers: Record<string, string> = {};
  const signature = opts.signature === undefined ? sign(STREAM_URL, {}) : opts.signature;
  if (signature !== null) headers['x-twilio-signature'] = signature;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/twilio/media'}`, { headers });
  const received: Record<string, unknown>[] = [];
  ws.on('message', (d: Buffer) => received.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const client: MediaClient = {
    ws,
    received,
    closed,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    start(token, o = {}) {
      client.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      const customParameters: Record<string, string> = { role: 'caller', ...o.extra };
      if (token !== undefined) customParameters.token = token;
      client.send({
        event: 'start',
        sequenceNumber: '1',
        streamSid: STREAM,
        start: {
          streamSid: STREAM,
          accountSid: o.accountSid ?? ACCOUNT,
          callSid: o.callSid ?? CALL,
          tracks: ['inbound'],
          mediaFormat: o.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters,
        },
      });
    },
    media(seq, timestampMs, payload) {
      client.send({
        event: 'media',
        sequenceNumber: String(seq),
        streamSid: STREAM,
        media: {
          track: 'inbound',
          chunk: String(seq - 1),
          timestamp: String(timestampMs),
          payload: typeof payload === 'string' ? payload : Buffer.from(payload).toString('base64'),
        },
      });
    },
  };
  return client;
}

export function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) return resolve();
      if (Date.now() - started > ms) return reject(new Error('condition not met in time'));
      setTimeout(tick, 5);
    };
    tick();
  });
}
