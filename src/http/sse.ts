/**
 * A Server-Sent Events response: the event-stream headers, messages with an id and a name,
 * a comment line every `heartbeatMs` (so proxies keep the connection and the client notices a dead
 * one), and a bound on what waits to be sent: a client that reads slower than events come, and
 * lets more than `maxBufferedBytes` pile up, is dropped rather than allowed to grow tolk's memory
 * (its EventSource reconnects and resumes). Every message is one line of JSON.
 */
import type { Request, Response } from 'express';

export interface SseOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  /** The reconnection delay the client is told (ms). */
  retryMs: number;
  /** Checked at each heartbeat: false ends the stream (e.g. the console session ended). */
  stillAllowed?: () => boolean;
}

export type SseEnd = 'client-closed' | 'too-slow' | 'not-allowed' | 'server-closed';

export interface SseStream {
  /** False once the stream has ended (nothing more is written). */
  send(message: { id?: string; event?: string; data: unknown }): boolean;
  end(reason: SseEnd): void;
  readonly ended: boolean;
}

export function openSse(req: Request, res: Response, opts: SseOptions, onEnd: (reason: SseEnd) => void): SseStream {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    // nginx and similar proxies would otherwise hold the events back.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  let ended = false;

  const end = (reason: SseEnd): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    // A slow client's backlog is thrown away with its connection; others get a clean end.
    if (reason === 'too-slow') res.destroy();
    else res.end();
    onEnd(reason);
  };
  const write = (chunk: string): boolean => {
    if (ended) return false;
    res.write(chunk);
    if (res.writableLength > opts.maxBufferedBytes) {
      end('too-slow');
      return false;
    }
    return true;
  };
  const heartbeat = setInterval(() => {
    if (opts.stillAllowed && !opts.stillAllowed()) end('not-allowed');
    else write(': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();
  res.on('close', () => end('client-closed'));
  write(`retry: ${opts.retryMs}\n\n`);

  return {
    send(message) {
      let chunk = '';
      if (message.id !== undefined) chunk += `id: ${message.id}\n`;
      if (message.event !== undefined) chunk += `event: ${message.event}\n`;
      chunk += `data: ${JSON.stringify(message.data)}\n\n`;
      return write(chunk);
    },
    end,
    get ended() {
      return ended;
    },
  };
}
