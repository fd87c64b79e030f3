/**
 * Audio prompts played into a media stream (notices tolk speaks mid-call), loaded once from
 * twiml/prompts/<key>.<language>.wav (rendered by scripts/make-prompts.ts) as 8 kHz PCM16.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readWav, resampleBuffer } from '../audio';
import { PROMPTS_DIR } from '../config/paths';
import type { MessageKey } from './messages';

/** The messages that exist as stream prompts. */
export const STREAM_PROMPTS = ['translationUnavailable', 'serviceEnding'] as const satisfies readonly MessageKey[];
export type StreamPromptKey = (typeof STREAM_PROMPTS)[number];

export interface PromptLibrary {
  /** The prompt in `language` (its base language, else English), 8 kHz PCM16; undefined if none. */
  get(key: StreamPromptKey, language: string): Int16Array | undefined;
}

export class FilePromptLibrary implements PromptLibrary {
  private readonly cache = new Map<string, Int16Array | null>();

  constructor(private readonly dir: string = PROMPTS_DIR) {}

  get(key: StreamPromptKey, language: string): Int16Array | undefined {
    for (const lang of [language, language.split('-')[0].toLowerCase(), 'en']) {
      const found = this.load(`${key}.${lang}`);
      if (found) return found;
    }
    return undefined;
  }

  private load(name: string): Int16Array | undefined {
    if (!this.cache.has(name)) {
      const file = path.join(this.dir, `${name}.wav`);
      let samples: Int16Array | null = null;
      if (fs.existsSync(file)) {
        const wav = readWav(fs.readFileSync(file));
        samples = wav.sampleRate === 8000 ? wav.samples : resampleBuffer(wav.samples, wav.sampleRate, 8000);
      }
      this.cache.set(name, samples);
    }
    return this.cache.get(name) ?? undefined;
  }
}
