import fc from 'fast-check';
import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import { AUDIO_IN_MIME, audioInputMessage } from '../../src/translate/gemini-connection';
import { int16ToBase64 } from '../../src/audio/bytes';
import { GuardedSocket } from '../../src/translate/guarded-socket';
import { WebSocketServer } from 'ws';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Session } = require('@google/genai') as typeof GenAI;

/** What the SDK's own sendRealtimeInput writes for this chunk (the Gemini API, not Vertex AI). */
function sdkMessage(pcm: Int16Array): string {
  const sent: string[] = [];
  const conn = { send: (m: string) => sent.push(m), connect: () => undefined, close: () => undefined };
  const apiClient = { isVertexAI: () => false };
  const session = new Session(conn, apiClient as unknown as ConstructorParameters<typeof Session>[1]);
  session.sendRealtimeInput({ audio: { data: int16ToBase64(pcm), mimeType: AUDIO_IN_MIME } });
  expect(sent).toHaveLength(1);
  return sent[0];
}

describe('the audio input message', () => {
  it('is the text the SDK sends for the same chunk, whatever the samples', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 3200 }), (samples) => {
        const pcm = Int16Array.from(samples);
        expect(audioInputMessage(pcm).toString('utf8')).toBe(sdkMessage(pcm));
      }),
      { numRuns: 200 },
    );
  });

  it('carries the chunk intact', () => {
    const pcm = Int16Array.from({ length: 1600 }, (_, i) => Math.round(20000 * Math.sin(i / 5)));
    const m = JSON.parse(audioInputMessage(pcm).toString('utf8')) as { realtimeInput: { audio: { data: string; mimeType: string } } };
    expect(m.realtimeInput.audio.mimeType).toBe('audio/pcm;rate=16000');
    const bytes = Buffer.from(m.realtimeInput.audio.data, 'base64');
    expect(Array.from(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2))).toEqual(Array.from(pcm));
  });

  it('keeps each message as it was built while later ones are built, however many and however long', () => {
    const chunk = (seed: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 65536) - 32768);
    // Sizes up to past the slab the messages are cut from, so every kind of cut is met.
    const sizes = [1600, 640, 320, 1600, 12000, 30000, 1600, 7, 0, 1600];
    const built = Array.from({ length: 60 }, (_, k) => {
      const pcm = chunk(k, sizes[k % sizes.length]);
      return { pcm, message: audioInputMessage(pcm) };
    });
    for (const { pcm, message } of built) expect(message.toString('utf8')).toBe(sdkMessage(pcm));
  });

  it('goes out on the Live socket as one text frame holding that text, as the SDK sends it', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    const frames: { text: string; isBinary: boolean }[] = [];
    const arrived = new Promise<void>((resolve) => {
      server.once('connection', (peer) =>
        peer.on('message', (data: Buffer, isBinary: boolean) => {
          frames.push({ text: data.toString('utf8'), isBinary });
          if (frames.length === 2) resolve();
        }),
      );
    });
    let opened: () => void = () => undefined;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const socket = new GuardedSocket(`ws://127.0.0.1:${port}`, {}, { onopen: () => opened(), onerror: () => undefined, onmessage: () => undefined, onclose: () => undefined }, { onMalformedFrame: () => undefined });
    socket.connect();
    try {
      await open;
      const chunks = [Int16Array.from({ length: 1600 }, (_, i) => (i * 331) % 30000), Int16Array.from({ length: 320 }, (_, i) => -i)];
      for (const pcm of chunks) socket.sendText(audioInputMessage(pcm));
      await arrived;
      expect(frames).toEqual(chunks.map((pcm) => ({ text: sdkMessage(pcm), isBinary: false })));
    } finally {
      socket.terminate();
      await socket.whenClosed();
      for (const peer of server.clients) peer.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
