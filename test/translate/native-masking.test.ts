// Every frame a client sends must be masked with a random key (RFC 6455 5.3): tolk is the client of
// the Live service, so each 100 ms chunk of each translation direction is masked before it leaves.
// ws does that in a JavaScript byte loop unless `bufferutil` is there (3.4 % of tolk's whole CPU
// at 200 calls); these tests fail if the native code stops loading or ws stops using it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import WebSocket from 'ws';

const load = createRequire(__filename);

type Mask = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void;

describe('WebSocket frame masking', () => {
  it('loads bufferutil as native code on this platform, from the package (nothing built at install)', () => {
    const bufferUtil = load('bufferutil') as { mask: Mask };
    expect(Function.prototype.toString.call(bufferUtil.mask)).toMatch(/\[native code\]/);
  });

  it('is what ws masks a chunk-sized frame with, and masks it right', () => {
    const wsBuffers = load(path.join(path.dirname(load.resolve('ws')), 'lib/buffer-util.js')) as { mask: Mask };
    // ws's own byte loop is the function named _mask; the native path is a wrapper around bufferutil.
    expect(wsBuffers.mask.name).not.toBe('_mask');
    const source = Buffer.from(Array.from({ length: 4268 }, (_, i) => (i * 7) & 0xff));
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const out = Buffer.alloc(source.length + 2);
    wsBuffers.mask(source, key, out, 2, source.length);
    for (let i = 0; i < source.length; i++) expect(out[i + 2]).toBe(source[i] ^ key[i & 3]);
  });

  it('carries a client text frame through a masked round trip intact', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const payload = JSON.stringify({ realtimeInput: { audio: { data: Buffer.alloc(3200, 0x5a).toString('base64') } } });
    const received = new Promise<string>((resolve) => {
      server.once('connection', (socket) => socket.once('message', (data: Buffer) => resolve(data.toString('utf8'))));
    });
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    await new Promise<void>((resolve, reject) => { client.once('open', resolve); client.once('error', reject); });
    client.send(payload);
    expect(await received).toBe(payload);
    client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
