/**
 * The supervisor's read of a new connection (see request-head.ts), bounded: a head over
 * `limits.bytes`, a client that has not said enough to decide within `limits.deadlineMs`, or one
 * that closes or fails first, is closed. Once decided, the socket stops reading from the kernel, so
 * that what it has not read yet (a request's body) stays there for the process it is handed to.
 */
import type net from 'node:net';
import { classifyHead } from './request-head';

export interface HeadLimits {
  bytes: number;
  deadlineMs: number;
  /** Heads read at once, at most: a connection that comes when as many are being read is closed at once. */
  concurrent: number;
}

/**
 * A media stream's handshake from Twilio is well under 2 KB, and sent at once. A thousand heads
 * being read hold at most 8 MiB, and are far more connections than callers open in 10 s.
 */
export const HEAD_LIMITS: HeadLimits = { bytes: 8 * 1024, deadlineMs: 10_000, concurrent: 1000 };

export interface HeadRead {
  /** The bytes read, to be put back before the process's HTTP server reads the socket. */
  head: Buffer;
  /** The instance a media stream's handshake names. */
  instance?: string;
}

export type HeadRefusal = 'too_large' | 'too_slow' | 'closed';

export function readHead(socket: net.Socket, limits: HeadLimits, done: (read: HeadRead) => void, refused: (reason: HeadRefusal) => void): void {
  let head: Buffer = Buffer.alloc(0);
  let settled = false;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    return true;
  };
  const refuse = (reason: HeadRefusal): void => {
    if (!settle()) return;
    socket.destroy();
    refused(reason);
  };
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
    const verdict = classifyHead(head, limits.bytes);
    if (verdict.kind === 'more') return;
    if (verdict.kind === 'too_large') return refuse('too_large');
    settle();
    stopReading(socket);
    done(verdict.kind === 'stream' ? { head, instance: verdict.instance } : { head });
  };
  const onEnd = (): void => refuse('closed');
  const timer = setTimeout(() => refuse('too_slow'), limits.deadlineMs);
  socket.on('data', onData);
  socket.on('end', onEnd);
  // Until handed over: after that the socket has no handle here and emits nothing.
  socket.on('error', () => refuse('closed'));
  socket.resume();
}

/**
 * Stops a socket reading, the stream and its handle, before it is sent to another process: Node
 * closes the sent handle here only once the other process has acknowledged it, and what the handle
 * read until then would be lost. `pause()` stops only the stream (its handle reads on, into a
 * buffer that is not sent). Node exposes no other way to stop the handle; the handle's `reading`
 * flag is left as it is, so that the stream does not start it again.
 */
export function stopReading(socket: net.Socket): void {
  socket.pause();
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } | null })._handle;
  if (handle?.reading === true && typeof handle.readStop === 'function') handle.readStop();
}
