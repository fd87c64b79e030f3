/**
 * WebSocket (RFC 6455) on a raw socket, for the load rig: what the `ws` package does per message
 * (a Writable stream for reading, a header buffer, an options object and a corked two-part write
 * for sending) costs the rig more than the frames themselves, and so does a Node stream's own work
 * on each read and write. Here a received message is handed over where it lies in the socket's read
 * buffer (unmasked in place; a client connection reads into one buffer shared by all, with no
 * readable stream in between: `connect`), and a frame the rig built beforehand (header included:
 * `frameHeader`) is written as it is, in one write(2) when nothing waits before it (`sendFrame`).
 * No extensions are offered or accepted (no compression); control frames are answered (ping with
 * pong, close with close); a frame that breaks the protocol closes the connection with 1002 and is
 * reported (`onProtocolError`).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
export const OPCODE_TEXT = 1;
const OPCODE_CONTINUATION = 0;
const OPCODE_BINARY = 2;
const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;
const OPCODE_PONG = 10;
/** Larger messages than this are refused (1009). */
const MAX_MESSAGE = 16 << 20;

export const acceptKey = (key: string): string => createHash('sha1').update(key + GUID).digest('base64');

/** Length of the header of a frame with `length` bytes of payload (`masked`: with its 4-byte key). */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes the header of a final frame (`opcode`, `length` bytes of payload) at `at` in `buf`; a
 * masked one (a client's) gets an all-zero key, so its payload goes unchanged. Returns where the
 * payload starts.
 */
export function frameHeader(buf: Buffer, at: number, opcode: number, length: number, masked: boolean): number {
  let o = at;
  buf[o++] = 0x80 | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) buf[o++] = maskBit | length;
  else if (length < 65536) {
    buf[o++] = maskBit | 126;
    buf.writeUInt16BE(length, o);
    o += 2;
  } else {
    buf[o++] = maskBit | 127;
    buf.writeUInt32BE(0, o);
    buf.writeUInt32BE(length, o + 4);
    o += 8;
  }
  if (masked) {
    buf.writeUInt32BE(0, o);
    o += 4;
  }
  return o;
}

/** A whole frame for `payload` (text unless `opcode` says otherwise). */
export function frame(payload: Buffer | string, masked: boolean, opcode = OPCODE_TEXT): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(headerLength(data.length, masked) + data.length);
  data.copy(out, frameHeader(out, 0, opcode, data.length, masked));
  return out;
}

export interface RawWsHandlers {
  /** A text or binary message: bytes `start` to `end` of `buf` (valid only during the call). */
  onMessage(buf: Buffer, start: number, end: number, text: boolean): void;
  onClose?(code: number): void;
  onProtocolError?(reason: string): void;
}

/** One WebSocket connection after its handshake: `client` masks what it sends (with a zero key). */
export class RawWs {
  /** Bytes of an incomplete frame, kept until the rest arrives. */
  private rest: Buffer | undefined;
  /** The parts of a fragmented message so far. */
  private fragments: Buffer[] = [];
  private fragmentsText = false;
  private closeSent = false;
  private closeReported = false;
  open = true;

  constructor(readonly socket: Duplex, readonly client: boolean, private readonly handlers: RawWsHandlers, head?: Buffer) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.open = false;
      this.reportClose(1006);
    });
    if (head && head.length > 0) this.receive(head);
  }

  /** Bytes written but not yet handed to the operating system. */
  get buffered(): number {
    return this.socket.writableLength;
  }

  /**
   * Writes a whole frame as it is (see `frameHeader`). With nothing waiting in the socket's stream,
   * the frame goes straight to the kernel in one write(2) on the socket's descriptor, without the
   * stream's per-write bookkeeping (most of what a write costs the rig); what the kernel does not
   * take (its buffer is full) is queued in the stream, and what follows goes behind it, in order.
   */
  sendFrame(f: Buffer): void {
    if (!this.open) return;
    const fd = this.socket.writableLength === 0 && this.socket.writable ? descriptorOf(this.socket) : -1;
    if (fd < 0) {
      this.socket.write(f);
      return;
    }
    let written = 0;
    try {
      written = fs.writeSync(fd, f);
    } catch {
      // EAGAIN (the kernel's buffer is full) or a connection going away: the stream takes it, and
      // reports what it finds.
    }
    if (written < f.length) this.socket.write(written === 0 ? f : f.subarray(written));
  }

  sendText(text: string): void {
    this.sendFrame(frame(text, this.client));
  }

  close(code = 1000, reason = ''): void {
    if (!this.open) return;
    this.sendClose(code, reason);
    this.open = false;
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 2000);
    t.unref();
  }

  private reportClose(code: number): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.handlers.onClose?.(code);
  }

  private sendClose(code: number, reason = ''): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const body = Buffer.allocUnsafe(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2, 'utf8');
    this.socket.write(frame(body, this.client, OPCODE_CLOSE));
  }

  private fail(reason: string, code = 1002): void {
    this.handlers.onProtocolError?.(reason);
    this.rest = undefined;
    if (this.open) this.close(code);
    this.socket.destroy();
  }

  /**
   * The first `size` bytes of `chunk`, read from the socket (`chunk` may be a buffer the next read
   * reuses: nothing of it is kept).
   */
  receive(chunk: Buffer, size = chunk.length): void {
    let buf = chunk;
    let length = size;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk.subarray(0, size)]);
      length = buf.length;
      this.rest = undefined;
    }
    let o = 0;
    while (o < length) {
      if (length - o < 2) break;
      const b0 = buf[o];
      const b1 = buf[o + 1];
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let h = o + 2;
      if (len === 126) {
        if (length - o < 4) break;
        len = buf.readUInt16BE(h);
        h += 2;
      } else if (len === 127) {
        if (length - o < 10) break;
        if (buf.readUInt32BE(h) !== 0) return this.fail('frame too large', 1009);
        len = buf.readUInt32BE(h + 4);
        h += 8;
      }
      const keyAt = h;
      if (masked) h += 4;
      if (length < h + len) {
        if (len > MAX_MESSAGE) return this.fail('frame too large', 1009);
        break;
      }
      const end = h + len;
      if (!this.frameOk(b0, masked)) return;
      if (masked) unmask(buf, h, end, keyAt);
      this.onFrame(b0 & 0x0f, (b0 & 0x80) !== 0, buf, h, end);
      if (!this.open && this.closeSent) return;
      o = end;
    }
    if (o < length) this.rest = Buffer.from(buf.subarray(o, length));
  }

  private frameOk(b0: number, masked: boolean): boolean {
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) this.fail('reserved bits set (no extension was agreed)');
    else if (masked === this.client) this.fail(this.client ? 'a server frame is masked' : 'a client frame is not masked');
    else if (opcode >= 8 && (b0 & 0x80) === 0) this.fail('a fragmented control frame');
    else if (![OPCODE_CONTINUATION, OPCODE_TEXT, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PING, OPCODE_PONG].includes(opcode)) this.fail(`unknown opcode ${opcode}`);
    else if (opcode === OPCODE_CONTINUATION && this.fragments.length === 0) this.fail('a continuation with nothing to continue');
    else if ((opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) && this.fragments.length > 0) this.fail('a new message inside a fragmented one');
    else return true;
    return false;
  }

  private onFrame(opcode: number, fin: boolean, buf: Buffer, start: number, end: number): void {
    if (opcode === OPCODE_TEXT || opcode === OPCODE_BINARY) {
      if (fin) this.handlers.onMessage(buf, start, end, opcode === OPCODE_TEXT);
      else {
        this.fragments.push(Buffer.from(buf.subarray(start, end)));
        this.fragmentsText = opcode === OPCODE_TEXT;
      }
    } else if (opcode === OPCODE_CONTINUATION) {
      this.fragments.push(Buffer.from(buf.subarray(start, end)));
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        this.handlers.onMessage(whole, 0, whole.length, this.fragmentsText);
      }
    } else if (opcode === OPCODE_PING) {
      if (this.open) this.socket.write(frame(Buffer.from(buf.subarray(start, end)), this.client, OPCODE_PONG));
    } else if (opcode === OPCODE_CLOSE) {
      const code = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
      this.sendClose(code === 1005 ? 1000 : code);
      this.open = false;
      this.socket.end();
      this.reportClose(code);
    }
  }
}

/**
 * The descriptor of a connected TCP socket (Node's handle keeps it on Unix), or -1. Read at each
 * write, never kept: a socket being destroyed drops its handle at once, before its descriptor's
 * number can be another connection's.
 */
function descriptorOf(socket: Duplex): number {
  const fd = (socket as Duplex & { _handle?: { fd?: unknown } | null })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/** XORs `buf[start, end)` with the 4-byte key at `keyAt`, in place. */
function unmask(buf: Buffer, start: number, end: number, keyAt: number): void {
  const k0 = buf[keyAt];
  const k1 = buf[keyAt + 1];
  const k2 = buf[keyAt + 2];
  const k3 = buf[keyAt + 3];
  if ((k0 | k1 | k2 | k3) === 0) return;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    buf[i] ^= k0;
    buf[i + 1] ^= k1;
    buf[i + 2] ^= k2;
    buf[i + 3] ^= k3;
  }
  const key = [k0, k1, k2, k3];
  for (let j = 0; i < end; i++, j++) buf[i] ^= key[j];
}

/**
 * What every client connection reads into: the socket hands each read to the rig as it lies in this
 * buffer (`net.connect`'s `onread`), with none of a readable stream's per-read work, and the next
 * read, of whichever connection, reuses it.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
/** The longest answer to an upgrade request taken. */
const MAX_HANDSHAKE = 16 * 1024;
const HEADERS_END = Buffer.from('\r\n\r\n', 'latin1');

/** Opens a WebSocket to `url` (ws://), with `headers` on the upgrade request. */
export function connect(url: string, headers: Record<string, string>, handlers: RawWsHandlers, timeoutMs = 10_000): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const u = new URL(url);
    const port = Number(u.port || 80);
    const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`];
    for (const [name, value] of Object.entries({ ...headers, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', Host: `${u.hostname}:${port}` })) {
      if (/[\r\n]/.test(name + value)) return reject(new Error(`header ${name} holds a line break`));
      lines.push(`${name}: ${value}`);
    }
    let ws: RawWs | undefined;
    let answer = Buffer.alloc(0);
    const failed = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const onHandshakeBytes = (chunk: Buffer): void => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf(HEADERS_END);
      if (end < 0) {
        if (answer.length > MAX_HANDSHAKE) failed(new Error('the server answered the upgrade with too long a head'));
        return;
      }
      const [status, ...fields] = answer.toString('latin1', 0, end).split('\r\n');
      const code = /^HTTP\/1\.1 (\d{3})/.exec(status)?.[1];
      if (code !== '101') return failed(new Error(`the server answered the upgrade with ${code ?? 'no status'}`));
      const got = new Map(fields.map((f) => [f.slice(0, f.indexOf(':')).trim().toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
      if (got.get('sec-websocket-accept') !== acceptKey(key) || got.has('sec-websocket-extensions')) return failed(new Error('the server answered the upgrade wrongly'));
      socket.setTimeout(0);
      ws = new RawWs(socket, true, handlers, answer.subarray(end + HEADERS_END.length));
      resolve(ws);
    };
    const socket = net.connect({
      host: u.hostname,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number): boolean => {
          if (ws) ws.receive(READ_BUFFER, n);
          else onHandshakeBytes(READ_BUFFER.subarray(0, n));
          return true;
        },
      },
    });
    socket.setTimeout(timeoutMs, () => failed(new Error('handshake timed out')));
    socket.on('error', (err) => {
      if (!ws) reject(err);
    });
    socket.on('close', () => {
      if (!ws) reject(new Error('the connection closed during the upgrade'));
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** Answers an HTTP upgrade request to a WebSocket (server side): the connection, or undefined when refused. */
export function accept(req: IncomingMessage, socket: Duplex, head: Buffer, handlers: RawWsHandlers): RawWs | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string' || req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
  (socket as Duplex & { setNoDelay?(v: boolean): void }).setNoDelay?.(true);
  return new RawWs(socket, false, handlers, head);
}
