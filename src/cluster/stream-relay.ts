/**
 * A media stream for another instance (`/twilio/media/<instance>`) that reached this one, because
 * the load balancer does not route by path: it is relayed, message for message in both directions,
 * to that instance, which checks the handshake signature and the stream token as if Twilio had
 * connected to it. Bounded: at most `maxPending` messages wait for the other side to open, which
 * must happen within `connectTimeoutMs`; when either side closes, so does the other.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../log/logger';
import type { Member } from './directory';
import { FORWARDED_BY } from './forward';

export interface RelayOptions {
  self: string;
  /** The instance a stream is for, if it is up. */
  member(id: string): Promise<Member | undefined>;
  logger: Logger;
  connectTimeoutMs?: number;
  maxPending?: number;
  onRelayed?: () => void;
  onFailed?: () => void;
}

export function createStreamRelay(opts: RelayOptions): (socket: WebSocket, instance: string, req: IncomingMessage) => void {
  const log = opts.logger.child({ component: 'stream-relay' });
  const maxPending = opts.maxPending ?? 256;
  return (socket, instance, req) => {
    const pending: { data: RawData; binary: boolean }[] = [];
    let upstream: WebSocket | undefined;
    let closed = false;
    const closeBoth = (code: number, reason: string): void => {
      if (closed) return;
      closed = true;
      const sendable = code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code < 5000);
      const c = sendable ? code : 1011;
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(c, reason.slice(0, 120));
      if (upstream && (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING)) {
        if (upstream.readyState === WebSocket.OPEN) upstream.close(c, reason.slice(0, 120));
        else upstream.terminate();
      }
    };
    const fail = (why: string): void => {
      opts.onFailed?.();
      log.warn({ event: 'cluster.stream_relay_failed', instance, reason: why }, 'could not relay a media stream to the instance serving it');
      closeBoth(1011, 'instance unavailable');
    };
    socket.on('message', (data, isBinary) => {
      if (upstream?.readyState === WebSocket.OPEN) return upstream.send(data, { binary: isBinary });
      if (pending.length >= maxPending) return fail('too many messages before the instance answered');
      pending.push({ data, binary: isBinary });
    });
    socket.on('close', (code, reason) => closeBoth(code, reason.toString()));
    socket.on('error', () => closeBoth(1011, 'error'));
    void opts.member(instance).then(
      (member) => {
        if (closed) return;
        if (!member) return fail('no such instance is up');
        const url = member.url.replace(/\/+$/, '').replace(/^http/, 'ws') + `/twilio/media/${instance}`;
        const headers: Record<string, string> = { [FORWARDED_BY]: opts.self };
        const sig = req.headers['x-twilio-signature'];
        if (typeof sig === 'string') headers['x-twilio-signature'] = sig;
        const up = new WebSocket(url, { headers, handshakeTimeout: opts.connectTimeoutMs ?? 5000, maxPayload: 64 * 1024 });
        upstream = up;
        up.on('open', () => {
          if (closed) return up.close();
          opts.onRelayed?.();
          log.debug({ event: 'cluster.stream_relayed', instance }, 'media stream relayed to the instance serving it');
          for (const m of pending.splice(0)) up.send(m.data, { binary: m.binary });
        });
        up.on('message', (data, isBinary) => {
          if (socket.readyState === WebSocket.OPEN) socket.send(data, { binary: isBinary });
        });
        up.on('close', (code, reason) => closeBoth(code, reason.toString()));
        up.on('error', (err) => (up.readyState === WebSocket.OPEN ? closeBoth(1011, 'error') : fail(err.message)));
      },
      (err: unknown) => fail(err instanceof Error ? err.message : String(err)),
    );
  };
}
