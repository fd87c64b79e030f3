/**
 * What the supervisor of TOLK_PROCESSES reads of a new connection before handing it on: enough of
 * its first request to tell a media stream's handshake (`GET /twilio/media/<instance>`, a WebSocket
 * upgrade), which goes to the process it names, from anything else, which goes in turn. Anything
 * else is told apart from the first bytes that differ from `GET /twilio/media/`; a handshake is
 * read to the end of its head, at most `limit` bytes.
 */
import { CLUSTER_INSTANCE_ID } from '../config/env';

export type HeadVerdict =
  /** Could still be a media stream's handshake: read on. */
  | { kind: 'more' }
  /** A media stream's handshake whose head is not over after `limit` bytes. */
  | { kind: 'too_large' }
  /** Not a media stream's handshake. */
  | { kind: 'other' }
  /** The handshake of a media stream for `instance`. */
  | { kind: 'stream'; instance: string };

const MEDIA_PREFIX = Buffer.from('GET /twilio/media/', 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const REQUEST_LINE = /^GET \/twilio\/media\/([^/?\s]+)(?:\?\S*)? HTTP\/1\.[01]$/;

/** Judges the bytes read so far of a connection's first request. */
export function classifyHead(head: Buffer, limit: number): HeadVerdict {
  const compared = Math.min(head.length, MEDIA_PREFIX.length);
  if (head.compare(MEDIA_PREFIX, 0, compared, 0, compared) !== 0) return { kind: 'other' };
  const end = head.indexOf(HEAD_END);
  if (end < 0) return head.length >= limit ? { kind: 'too_large' } : { kind: 'more' };
  if (end + HEAD_END.length > limit) return { kind: 'too_large' };
  const [requestLine, ...headers] = head.toString('latin1', 0, end).split('\r\n');
  const instance = REQUEST_LINE.exec(requestLine)?.[1];
  if (instance === undefined || !CLUSTER_INSTANCE_ID.test(instance) || !headers.some(upgradesToWebSocket)) return { kind: 'other' };
  return { kind: 'stream', instance: instance.toLowerCase() };
}

/** An `Upgrade` header naming the WebSocket protocol. */
function upgradesToWebSocket(header: string): boolean {
  const colon = header.indexOf(':');
  if (colon < 0 || header.slice(0, colon).trim().toLowerCase() !== 'upgrade') return false;
  return header
    .slice(colon + 1)
    .split(',')
    .some((token) => token.trim().toLowerCase() === 'websocket');
}
