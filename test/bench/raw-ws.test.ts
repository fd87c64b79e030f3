/**
 * The load rig's WebSocket on a raw socket speaks the protocol the `ws` package (tolk's, and the
 * Gemini SDK's) speaks: each side's messages arrive intact whatever their size and however the
 * bytes are split, control frames are answered, and a frame that breaks the protocol is reported.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { accept, connect, frame, RawWs } from '../../scripts/rig/raw-ws';

const SIZES = [0, 5, 125, 126, 300, 65_535, 65_536, 70_000];
const texts = SIZES.map((n) => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n));

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('RawWs against ws', () => {
  it('as a client: its messages reach a ws server intact, the echoes come back intact, pings are answered, a close is seen', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    closers.push(() => new Promise((r) => wss.close(() => r())));
    await new Promise((r) => wss.once('listening', r));
    const serverGot: string[] = [];
    let pongs = 0;
    const closed = new Promise<number>((resolve) =>
      wss.on('connection', (ws, req) => {
        expect(req.headers['x-test']).toBe('yes');
        ws.on('message', (d: Buffer) => {
          serverGot.push(d.toString('utf8'));
          ws.send(d.toString('utf8'));
        });
        ws.on('pong', () => pongs++);
        ws.ping(Buffer.from('hello'));
        ws.on('close', (code) => resolve(code));
      }),
    );
    const got: string[] = [];
    const raw = await connect(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/path?x=1`, { 'X-Test': 'yes' }, { onMessage: (b, s, e) => got.push(b.toString('utf8', s, e)) });
    for (const t of texts) raw.sendFrame(frame(t, true));
    raw.sendText('last');
    await until(() => got.length === texts.length + 1 && pongs === 1);
    expect(serverGot.map((t) => t.length)).toEqual([...SIZES, 4]);
    expect(serverGot.every((t, i) => t === [...texts, 'last'][i])).toBe(true);
    expect(got.every((t, i) => t === [...texts, 'last'][i])).toBe(true);
    expect(pongs).toBe(1);
    raw.close(1000);
    expect(await closed).toBe(1000);
  });

  it('as a server: a ws client\'s masked messages arrive intact, the frames it is sent arrive, and its close is seen', async () => {
    const got: string[] = [];
    let serverSide: RawWs | undefined;
    const closedCodes: number[] = [];
    const server = http.createServer();
    server.on('upgrade', (req, socket, head: Buffer) => {
      serverSide = accept(req, socket, head, { onMessage: (b, s, e) => got.push(b.toString('utf8', s, e)), onClose: (code) => closedCodes.push(code) });
      if (req.url === '/refused') serverSide?.close(1008, 'unknown endpoint');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Offered compression is declined: the client's frames come uncompressed.
    const client = new WebSocket(`${url}/ok`, { perMessageDeflate: true });
    const echoed: string[] = [];
    client.on('message', (d: Buffer) => echoed.push(d.toString('utf8')));
    await new Promise((r) => client.once('open', r));
    for (const t of texts) client.send(t);
    await until(() => got.length === texts.length);
    expect(got.map((t) => t.length)).toEqual(SIZES);
    expect(got.every((t, i) => t === texts[i])).toBe(true);
    for (const t of texts) serverSide?.sendFrame(frame(t, false));
    await until(() => echoed.length === texts.length);
    expect(echoed.map((t) => t.length)).toEqual(SIZES);
    expect(echoed.every((t, i) => t === texts[i])).toBe(true);
    client.close(1000);
    await until(() => closedCodes.length === 1);
    expect(closedCodes).toEqual([1000]);

    const refused = new WebSocket(`${url}/refused`);
    const [code, reason] = await new Promise<[number, string]>((r) => refused.on('close', (c, why: Buffer) => r([c, why.toString()])));
    expect([code, reason]).toEqual([1008, 'unknown endpoint']);
  });
});

describe('RawWs opening', () => {
  it('refuses a server that does not switch protocols, or whose upgrade answer is wrong, and one that closes', async () => {
    const server = http.createServer();
    server.on('upgrade', (req, socket) => {
      if (req.url === '/wrong') socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const none = { onMessage: () => undefined };
    // No upgrade listener: the request is answered as any other.
    const plain = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => plain.close(() => r())));
    await expect(connect(`ws://127.0.0.1:${(plain.address() as AddressInfo).port}/`, {}, none)).rejects.toThrow('the server answered the upgrade with 404');
    await expect(connect(`${url}/wrong`, {}, none)).rejects.toThrow('the server answered the upgrade wrongly');
    await expect(connect(`${url}/gone`, {}, none)).rejects.toThrow('the connection closed during the upgrade');
  });
});

describe('RawWs writing', () => {
  it('sends every frame whole and in order when the peer stops reading and the kernel takes only part of them', async () => {
    // A server that reads nothing for a while: the client's writes fill the kernel's buffers.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const ws = new RawWs(client, true, { onMessage: () => undefined });
    closers.push(() => Promise.resolve(void client.destroy()));
    await until(() => sockets.length === 1);
    // 300 frames of 60 kB: far more than the kernel holds for a peer that does not read.
    const payloads = Array.from({ length: 300 }, (_, i) => Buffer.alloc(60_000, i % 251));
    for (const p of payloads) ws.sendFrame(frame(p, true, 2));
    expect(ws.buffered).toBeGreaterThan(0); // some of it waits in the stream
    const received: Buffer[] = [];
    const all = Buffer.concat(payloads.map((p) => frame(p, true, 2)));
    sockets[0].on('data', (d: Buffer) => received.push(d));
    sockets[0].resume();
    await until(() => received.reduce((n, d) => n + d.length, 0) >= all.length);
    expect(Buffer.concat(received).equals(all)).toBe(true);
  });
});

/** A socket stand-in: what is pushed is read, what is written is kept. */
function fakeSocket(): { socket: Duplex; written: Buffer[] } {
  const written: Buffer[] = [];
  const socket = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, cb) => {
      written.push(chunk);
      cb();
    },
  });
  return { socket, written };
}

/** A client's frame of `payload` with a random masking key, as ws writes it. */
function maskedFrame(payload: Buffer, opcode: number, fin = true): Buffer {
  const unmasked = frame(payload, true, opcode);
  const keyAt = unmasked.length - payload.length - 4;
  const key = randomBytes(4);
  key.copy(unmasked, keyAt);
  for (let i = 0; i < payload.length; i++) unmasked[keyAt + 4 + i] ^= key[i % 4];
  if (!fin) unmasked[0] &= 0x7f;
  return unmasked;
}

describe('RawWs reading', () => {
  const stream = Buffer.concat([
    maskedFrame(Buffer.from(texts[4]), 1),
    maskedFrame(Buffer.from('ping!'), 9),
    maskedFrame(Buffer.from('frag'), 1, false),
    maskedFrame(Buffer.from('ment'), 0, false),
    maskedFrame(Buffer.from('ed'), 0),
    maskedFrame(Buffer.from(texts[7]), 1),
  ]);

  it.each([['in one read', stream.length], ['a byte at a time', 1], ['in 7-byte reads', 7]])('takes messages apart %s, reassembles fragments and answers pings', async (_what, size) => {
    const { socket, written } = fakeSocket();
    const got: string[] = [];
    serverOn(socket, written, (b, s, e) => got.push(b.toString('utf8', s, e)));
    // (A copy: a message is unmasked where it lies.)
    const bytes = Buffer.from(stream);
    for (let i = 0; i < bytes.length; i += size) socket.push(bytes.subarray(i, i + size));
    await until(() => got.length === 3);
    expect(got.map((t) => t.length)).toEqual([texts[4].length, 10, texts[7].length]);
    expect(got[0] === texts[4] && got[1] === 'fragmented' && got[2] === texts[7]).toBe(true);
    expect(written.map((w) => w.toString('latin1'))).toEqual([frame('ping!', false, 10).toString('latin1')]);
  });

  it('reports a frame that breaks the protocol and closes with 1002', async () => {
    const { socket, written } = fakeSocket();
    const errors: string[] = [];
    const bad = maskedFrame(Buffer.from('x'), 1);
    bad[0] |= 0x40; // RSV1: compression, never agreed
    serverOn(socket, written, () => undefined, (why) => errors.push(why));
    socket.push(bad);
    await until(() => errors.length === 1);
    expect(errors).toEqual(['reserved bits set (no extension was agreed)']);
    expect(written[0]?.toString('hex')).toBe('880203ea'); // close, 2 bytes: 1002
    // An unmasked frame from a client is refused too.
    const unmasked = fakeSocket();
    serverOn(unmasked.socket, unmasked.written, () => undefined, (why) => errors.push(why));
    unmasked.socket.push(frame('x', false));
    await until(() => errors.length === 2);
    expect(errors[1]).toBe('a client frame is not masked');
  });
});

/** A server side on a fake socket, its handshake answered (RFC 6455's example key) and taken off `written`. */
function serverOn(socket: Duplex, written: Buffer[], onMessage: (b: Buffer, s: number, e: number) => void, onProtocolError?: (why: string) => void): void {
  const req = { headers: { upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } } as unknown as http.IncomingMessage;
  expect(accept(req, socket, Buffer.alloc(0), { onMessage, onProtocolError })).toBeDefined();
  expect(written.splice(0).join('')).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n');
}
