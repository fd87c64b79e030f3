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

/**
 * Which language echo mode claims to hear: one code for every session ("es"), or per target
 * language, "en=es,es=en" (a session translating into en hears es; into es hears en). A target
 * not in the list hears the first source named.
 */
export function heardLanguage(option: string): (targetLanguage: string) => string {
  const pairs = option
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => p.split('=').map((x) => x.trim()));
  if (pairs.length === 0 || pairs.some((p) => p.length > 2 || p.some((x) => !x))) {
    throw new Error(`invalid echo language "${option}": use a code (es) or target=source pairs (en=es,es=en)`);
  }
  if (pairs.length === 1 && pairs[0].length === 1) return () => pairs[0][0];
  const map = new Map(pairs.map((p) => [p[0], p[p.length - 1]]));
  const fallback = pairs[0][pairs[0].length - 1];
  return (target) => map.get(target) ?? fallback;
}

/** Echo mode: the input speech itself comes back at 24 kHz; transcripts state what was heard. */
export function echoResponder(languageOption: string): Responder {
  const heard = heardLanguage(languageOption);
  return (u, setup) => {
    const sourceLanguage = heard(setup.targetLanguageCode);
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

/**
 * Script mode: the Nth utterance a connection hears answers with the Nth entry (cycling) among
 * those that have a translation into the session's target language (all entries if none has),
 * so one script serves both directions of a call.
 */
export function scriptResponder(script: Script): Responder {
  return (_u, setup, index) => {
    const target = setup.targetLanguageCode;
    const forTarget = script.entries.filter((e) => e.translations.has(target));
    const pool = forTarget.length > 0 ? forTarget : script.entries;
    const entry = pool[index % pool.length];
    const exact = entry.translations.get(target);
    const [fallbackLang, fallback] = [...entry.translations.entries()][0];
    const t = exact ?? fallback;
    return {
      inputLanguage: entry.language,
      inputText: entry.text,
      outputLanguage: exact ? target : fallbackLang,
      outputText: t.text,
      audio24k: t.audio24k,
    };
  };
}
