import { createLogger, type Logger } from '../../src/log/logger';
import { GeminiTranslatorFactory, type GeminiTranslatorConfig } from '../../src/translate/gemini-translator';
import type { TranslationSession, TranslationSessionEvents } from '../../src/call/ports';

/** A logger that keeps its lines in memory (tests assert on events). */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  return { logger, lines };
}

/** 16 kHz speech stand-in: `toneMs` of a loud 220 Hz tone followed by `silenceMs` of silence. */
export function toneThenSilence(toneMs: number, silenceMs: number, amplitude = 8000): Int16Array {
  const tone = Math.round(toneMs * 16);
  const out = new Int16Array(tone + Math.round(silenceMs * 16));
  for (let i = 0; i < tone; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000));
  return out;
}

export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends `pcm` in 20 ms pieces, `factor` times faster than real time. */
export async function stream(t: TranslationSession, pcm: Int16Array, factor = 4): Promise<void> {
  const piece = 320;
  for (let i = 0; i < pcm.length; i += piece) {
    t.sendAudio(pcm.subarray(i, i + piece));
    if ((i / piece) % 5 === 4) await new Promise((r) => setTimeout(r, (100 / factor)));
  }
}

export function fastConfig(baseUrl: string, extra: Partial<GeminiTranslatorConfig> = {}): GeminiTranslatorConfig {
  return {
    apiKey: 'test-key',
    baseUrl,
    chunkMs: 100,
    setupTimeoutMs: 2000,
    backoff: { baseMs: 20, capMs: 100, jitter: 0.5 },
    maxRetries: 3,
    segmentPauseMs: 250,
    // These tests stop sending audio once the speaker is done (a phone line would go on with
    // silence): their utterances end on the wall clock, this long after the last answer.
    segmentStallMs: 500,
    handoverDrainMs: 500,
    // Every connection counts as stable, so a drop reconnects at once (the dedicated test below
    // sets a real threshold).
    stableAfterMs: 0,
    ...extra,
  };
}

export function factory(baseUrl: string, extra: Partial<GeminiTranslatorConfig> = {}): GeminiTranslatorFactory {
  return new GeminiTranslatorFactory(fastConfig(baseUrl, extra));
}

/** Collects every event a translator emits. */
export function record(t: TranslationSession) {
  const r = {
    audio: [] as Int16Array[],
    input: [] as Parameters<TranslationSessionEvents['inputTranscript']>[0][],
    output: [] as Parameters<TranslationSessionEvents['outputTranscript']>[0][],
    utterances: [] as Parameters<TranslationSessionEvents['utterance']>[0][],
    languages: [] as string[],
    states: [] as { s: string; kind?: string; reason?: string }[],
    handovers: [] as string[],
    audioSamples: () => r.audio.reduce((a, x) => a + x.length, 0),
  };
  t.on('audio', (a) => r.audio.push(a));
  t.on('inputTranscript', (p) => r.input.push(p));
  t.on('outputTranscript', (p) => r.output.push(p));
  t.on('utterance', (u) => r.utterances.push(u));
  t.on('language', (l) => r.languages.push(l));
  t.on('state', (s, d) => r.states.push({ s, kind: d?.kind, reason: d?.reason }));
  t.on('handover', (phase) => r.handovers.push(phase));
  return r;
}
