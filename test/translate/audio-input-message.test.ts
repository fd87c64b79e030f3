import fc from 'fast-check';
import type * as GenAI from '@google/genai' with { 'resolution-mode': 'import' };
import { AUDIO_IN_MIME, audioInputMessage } from '../../src/translate/gemini-connection';
import { int16ToBase64 } from '../../src/audio/bytes';

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
        expect(audioInputMessage(pcm)).toBe(sdkMessage(pcm));
      }),
      { numRuns: 200 },
    );
  });

  it('carries the chunk intact', () => {
    const pcm = Int16Array.from({ length: 1600 }, (_, i) => Math.round(20000 * Math.sin(i / 5)));
    const m = JSON.parse(audioInputMessage(pcm)) as { realtimeInput: { audio: { data: string; mimeType: string } } };
    expect(m.realtimeInput.audio.mimeType).toBe('audio/pcm;rate=16000');
    const bytes = Buffer.from(m.realtimeInput.audio.data, 'base64');
    expect(Array.from(new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2))).toEqual(Array.from(pcm));
  });
});
