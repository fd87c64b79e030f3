/**
 * What the emulated model "says" for one detected utterance: pure functions for the two modes.
 */
import type { DetectedUtterance } from './energy-detector';
import type { TranslateSetup } from './protocol';
import { resampleLinear } from './resample';
import type { Script } from './script';

export interface Reply {
  inputLanguage: string;
  inputText: string;
  outputLanguage: string;
  outputText: string;
  /** Translated speech at 24 kHz; undefined when the model stays silent. */
  audio24k: Int16Array | undefined;
}

export type Responder = (u: DetectedUtterance, setup: TranslateSetup, index: number) => Reply;

/** Echo mode: the input speech itself comes back at 24 kHz; transcripts state what was heard. */
export function echoResponder(sourceLanguage: string): Responder {
  return (u, setup) => {
    const seconds = (u.samples.length / 16_000).toFixed(1);
    const sameLanguage = sourceLanguage === setup.targetLanguageCode;
    const silent = sameLanguage && !setup.echoTargetLanguage;
    return {
      inputLanguage: sourceLanguage,
      inputText: `[${sourceLanguage} speech ${seconds} s]`,
      outputLanguage: setup.targetLanguageCode,
      outputText: silent ? '' : `[${setup.targetLanguageCode} translation of ${seconds} s]`,
      audio24k: silent ? undefined : resampleLinear(u.samples, 16_000, 24_000),
    };
  };
}

/** Script mode: utterance N answers with entry N (cycling). */
export function scriptResponder(script: Script): Responder {
  return (_u, setup, index) => {
    const entry = script.entries[index % script.entries.length];
    const exact = entry.translations.get(setup.targetLanguageCode);
    const [fallbackLang, fallback] = [...entry.translations.entries()][0];
    const t = exact ?? fallback;
    return {
      inputLanguage: entry.language,
      inputText: entry.text,
      outputLanguage: exact ? setup.targetLanguageCode : fallbackLang,
      outputText: t.text,
      audio24k: t.audio24k,
    };
  };
}
