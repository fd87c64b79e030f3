/**
 * Gemini Live in memory, for the frame path's instruction count (scripts/bench-instructions.ts):
 * what tolk's real SDK opens through `GeminiTranslatorConfig.openSocket` instead of a WebSocket.
 * It speaks the same messages as the load rig's Gemini side (scripts/rig/gemini-rig.ts): it answers
 * `setup` with `setupComplete`; for every 100 ms of audio received, `latencyTicks` clock ticks later,
 * it says 100 ms of the model's voice when the audio carried speech, and the transcripts once an
 * utterance has ended. Its frames are built once; it is driven by the harness's clock, not by timers,
 * so a run does the same work every time.
 */
import type { ClientSocket, ClientSocketHandlers, OpenClientSocket } from '../../src/translate/guarded-socket';
import { int16Base64, SPEECH_LEVEL, tonePcm24k } from '../rig/frames';

const CHUNK_SAMPLES_16K = 1600;
const VOICE = JSON.stringify({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: int16Base64(tonePcm24k(100, 0)) } }] } } });
const SETUP_COMPLETE = JSON.stringify({ setupComplete: {} });
const SAID: Record<string, { text: string; languageCode: string }> = {
  en: { text: 'Good morning, I would like some information.', languageCode: 'en' },
  es: { text: 'Buenos días, quisiera información.', languageCode: 'es' },
};
const DATA_AT = Buffer.from('"data":"', 'latin1');
const QUOTE = 0x22;

const B64 = (() => {
  const t = new Int8Array(128).fill(0);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

/** Little-endian 16-bit sample `k` of base64 PCM text (its bytes) starting at `start` (nothing else decoded). */
export function base64TextSampleAt(text: Uint8Array, start: number, k: number): number {
  const byte = (index: number): number => {
    const g = start + Math.floor(index / 3) * 4;
    const v = (B64[text[g]] << 18) | (B64[text[g + 1]] << 12) | (B64[text[g + 2]] << 6) | B64[text[g + 3]];
    return (v >> (16 - 8 * (index % 3))) & 0xff;
  };
  const v = byte(2 * k) | (byte(2 * k + 1) << 8);
  return v >= 0x8000 ? v - 0x10000 : v;
}

/** One Live session: what it has heard, and the frames it owes, by the tick they are due. */
class LiveSession implements ClientSocket {
  readyState = 0;
  setUp = false;
  inputMessages = 0;
  inputSamples = 0;
  outputFrames = 0;
  private transcripts: [string, string] = ['', ''];
  private blockSamples = 0;
  private blockSpeech = false;
  private speaking = false;
  private readonly due: { tick: number; frame: string }[] = [];

  constructor(
    private readonly live: InMemoryLive,
    private readonly on: ClientSocketHandlers,
  ) {
    queueMicrotask(() => {
      this.readyState = 1;
      on.open();
    });
  }

  /** Setup (the SDK's own message), as text; tolk's audio comes as bytes (`sendText`). */
  send(text: string): void {
    if (!this.setUp) {
      const setup = JSON.parse(text) as { setup?: { generationConfig?: { translationConfig?: { targetLanguageCode?: string } }; translationConfig?: { targetLanguageCode?: string } } };
      const target = setup.setup?.generationConfig?.translationConfig?.targetLanguageCode ?? setup.setup?.translationConfig?.targetLanguageCode ?? 'en';
      const heard = SAID[target === 'es' ? 'en' : 'es'];
      this.transcripts = [JSON.stringify({ serverContent: { inputTranscription: heard } }), JSON.stringify({ serverContent: { outputTranscription: SAID[target] ?? heard } })];
      this.setUp = true;
      queueMicrotask(() => this.on.message(SETUP_COMPLETE));
      return;
    }
    this.sendText(Buffer.from(text, 'utf8'));
  }

  sendText(text: Uint8Array): void {
    if (!this.setUp) return;
    const bytes = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
    const at = bytes.indexOf(DATA_AT) + DATA_AT.length;
    if (at < DATA_AT.length) return;
    const samples = Math.floor((((bytes.indexOf(QUOTE, at) - at) / 4) * 3) / 2);
    this.inputMessages++;
    this.inputSamples += samples;
    for (let k = 0; k < samples; k += 8) {
      if (Math.abs(base64TextSampleAt(text, at, k)) > SPEECH_LEVEL) {
        this.blockSpeech = true;
        break;
      }
    }
    this.blockSamples += samples;
    // The model answers each 100 ms it has heard, whatever the size of the messages it came in.
    while (this.blockSamples >= CHUNK_SAMPLES_16K) {
      this.blockSamples -= CHUNK_SAMPLES_16K;
      const tick = this.live.tick + this.live.latencyTicks;
      if (this.blockSpeech) {
        this.speaking = true;
        this.due.push({ tick, frame: VOICE });
      } else if (this.speaking) {
        this.speaking = false;
        this.due.push({ tick, frame: this.transcripts[0] }, { tick, frame: this.transcripts[1] });
      }
      this.blockSpeech = false;
    }
  }

  /** Delivers the frames due by `tick`. */
  deliver(tick: number): void {
    while (this.due.length > 0 && this.due[0].tick <= tick && this.readyState === 1) {
      const { frame } = this.due.shift()!;
      if (frame === VOICE) this.outputFrames++;
      this.on.message(frame);
    }
  }

  close(code = 1000): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    queueMicrotask(() => this.on.close({ code, reason: '' }));
  }

  terminate(): void {
    this.close(1006);
  }
}

export class InMemoryLive {
  readonly sessions: LiveSession[] = [];
  /** The harness's clock: frames said now are due `latencyTicks` later. */
  tick = 0;

  constructor(readonly latencyTicks: number) {}

  readonly open: OpenClientSocket = (_url, _headers, on) => {
    const s = new LiveSession(this, on);
    this.sessions.push(s);
    return s;
  };

  /** Every session's frames due now. */
  deliver(): void {
    for (const s of this.sessions) s.deliver(this.tick);
  }

  get setUp(): number {
    return this.sessions.filter((s) => s.setUp && s.readyState === 1).length;
  }
}
