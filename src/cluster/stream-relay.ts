/**
 * A media stream for another instance (`/twilio/media/<instance>`) that reached this one, because
 * the load balancer does not route by path: it is relayed, message for message in both directions,
 * to that instance, which checks the handshake signature and the stream token as if Twilio had
 * connected to it. Bounded: at most `maxPending` messages wait for the other side to open, which
 * must happen within `connectTimeoutMs`; when either side closes, so does the other.
 * A stopping instance waits for the streams it relays (`settled`): they are other instances' live
 * calls, and would be cut if it exited under them.
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

export interface StreamRelays {
  relay: (socket: WebSocket, instance: string, req: IncomingMessage) => void;
  /** How many streams are being relayed now. */
  open(): number;
  /** Resolves once no stream is relayed, or after `ms`, with how many still are. */
  settled(ms: number): Promise<number>;
  /** Closes every relayed stream now. */
  closeAll(): void;
}

export function createStreamRelay(opts: RelayOptions): StreamRelays {
  const log = opts.logger.child({ component: 'stream-relay' });
  const maxPending = opts.maxPending ?? 256;
  const closers = new Set<() => void>();
  const waiters = new Set<() => void>();
  const relay = (socket: WebSocket, instance: string, req: IncomingMessage): void => {
    const pending: { data: RawData; binary: boolean }[] = [];
    let upstream: WebSocket | undefined;
    let closed = false;
    const closeBoth = (code: number, reason: string): void => {
      if (closed) return;
      closed = true;
      closers.delete(closeOnStop);
      if (closers.size === 0) for (const w of [...waiters]) w();
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
    const closeOnStop = (): void => closeBoth(1001, 'instance stopping');
    closers.add(closeOnStop);
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
  return {
    relay,
    open: () => closers.size,
    settled(ms) {
      if (closers.size === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve(closers.size);
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
    closeAll() {
      for (const close of [...closers]) close();
    },
  };
}
