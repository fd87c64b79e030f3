/**
 * Script mode data. A script is JSON (paths relative to the script file):
 *
 *   { "utterances": [
 *       { "language": "es", "text": "Hola, quisiera saber el estado de mi pedido.",
 *         "translations": { "en": { "text": "Hello, I would like to know ...", "audio": "caller-es.to-en.pcm24k.wav" } } } ] }
 *
 * The Nth utterance detected on a connection answers with the Nth entry (cycling) among those with a
 * translation into the session's target language: `language`/`text` as the
 * input transcript, the translation for the session's target language (or the first one listed) as
 * output transcript and audio. Audio files are WAV, mono, PCM16 (resampled to 24 kHz if needed).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WaveFile } from 'wavefile';
import { resampleLinear } from './resample';

export interface ScriptTranslation {
  text: string;
  audio24k: Int16Array;
}

export interface ScriptEntry {
  language: string;
  text: string;
  translations: Map<string, ScriptTranslation>;
}

export interface Script {
  entries: ScriptEntry[];
}

interface RawScript {
  utterances?: { language?: unknown; text?: unknown; translations?: Record<string, { text?: unknown; audio?: unknown }> }[];
}

export function decodeWavTo24k(bytes: Uint8Array): Int16Array {
  const wav = new WaveFile(bytes);
  if (wav.bitDepth !== '16') wav.toBitDepth('16');
  const fmt = wav.fmt as { sampleRate: number; numChannels: number };
  const interleaved = wav.getSamples(true, Int16Array) as unknown as Int16Array;
  let mono = interleaved;
  if (fmt.numChannels > 1) {
    mono = new Int16Array(Math.floor(interleaved.length / fmt.numChannels));
    for (let i = 0; i < mono.length; i++) mono[i] = interleaved[i * fmt.numChannels];
  }
  return resampleLinear(mono, fmt.sampleRate, 24_000);
}

export async function loadScript(path: string): Promise<Script> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as RawScript;
  if (!Array.isArray(raw.utterances) || raw.utterances.length === 0) throw new Error(`${path}: "utterances" must be a non-empty array`);
  const base = dirname(resolve(path));
  const entries: ScriptEntry[] = [];
  for (const [i, u] of raw.utterances.entries()) {
    if (typeof u.language !== 'string' || typeof u.text !== 'string') throw new Error(`${path}: utterances[${i}] needs "language" and "text" strings`);
    const translations = new Map<string, ScriptTranslation>();
    for (const [lang, t] of Object.entries(u.translations ?? {})) {
      if (typeof t.text !== 'string' || typeof t.audio !== 'string') throw new Error(`${path}: utterances[${i}].translations.${lang} needs "text" and "audio"`);
      translations.set(lang, { text: t.text, audio24k: decodeWavTo24k(await readFile(resolve(base, t.audio))) });
    }
    if (translations.size === 0) throw new Error(`${path}: utterances[${i}] has no translations`);
    entries.push({ language: u.language, text: u.text, translations });
  }
  return { entries };
}
