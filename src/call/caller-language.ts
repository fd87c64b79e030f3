/**
 * Which language the caller speaks, decided in this order (pure logic):
 *  1. the language they chose in the number's menu;
 *  2. the language remembered from their last call to this number (unless turned off);
 *  3. with `callerLanguage: auto`, the language the translation service detects in their first
 *     speech (the agent's words are held meanwhile, then `defaultLanguage` if they stay silent);
 *  4. the number's configured `callerLanguage`.
 * During the call, a caller who consistently speaks another language is followed.
 */
import { AUTO_LANGUAGE, type NumberSettings } from '../config/numbers';
import { SUPPORTED_LANGUAGES } from '../translate/languages';
import type { LanguageMemory } from './ports';

export type LanguageSource = 'menu' | 'remembered' | 'auto' | 'configured' | 'detected' | 'default';

/** The caller's language as far as it is known when the call is answered. */
export interface InitialLanguage {
  /** Undefined: to be detected from the caller's speech. */
  language: string | undefined;
  source: LanguageSource;
}


/** Process-local memory, for a deployment without a database. Bounded (oldest forgotten first). */
export class InMemoryLanguageMemory implements LanguageMemory {
  private readonly entries = new Map<string, string>();

  constructor(private readonly max = 100_000) {}

  recall(number: string, caller: string): Promise<string | undefined> {
    return Promise.resolve(this.entries.get(`${number} ${caller}`));
  }

  remember(number: string, caller: string, language: string): Promise<void> {
    const key = `${number} ${caller}`;
    this.entries.delete(key);
    this.entries.set(key, language);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
    return Promise.resolve();
  }
}

const BY_LOWER = new Map(SUPPORTED_LANGUAGES.map((l) => [l.code.toLowerCase(), l.code]));

/** A detected code (`es`, `es-ES`, `ES`) as a supported target code, or undefined if none fits. */
export function toSupportedLanguage(code: string | undefined): string | undefined {
  if (!code) return undefined;
  const lower = code.toLowerCase();
  return BY_LOWER.get(lower) ?? BY_LOWER.get(lower.split('-')[0]);
}

export function initialCallerLanguage(settings: NumberSettings, opts: { chosen?: string; remembered?: string }): InitialLanguage {
  if (opts.chosen) return { language: opts.chosen, source: 'menu' };
  if (opts.remembered && settings.rememberLanguage !== false) return { language: opts.remembered, source: 'remembered' };
  if (settings.callerLanguage === AUTO_LANGUAGE) return { language: undefined, source: 'auto' };
  return { language: settings.callerLanguage, source: 'configured' };
}

/**
 * Whether a caller language from `source` is remembered for the caller's next call: one they chose
 * or were heard speaking, not one they were given (remembered, configured, default), and only
 * where the number remembers languages.
 */
export function shouldRemember(settings: NumberSettings, source: LanguageSource): boolean {
  if (settings.rememberLanguage === false) return false;
  return source !== 'remembered' && source !== 'configured' && source !== 'default';
}

/** The language to greet and answer in before the caller's language is known. */
export function provisionalLanguage(settings: NumberSettings, initial: InitialLanguage): string {
  return initial.language ?? settings.defaultLanguage ?? settings.agentLanguage;
}

/**
 * Follows a caller who switches language: the service's per-utterance language must differ from
 * the current one `needed` times in a row (a single misdetection changes nothing).
 */
export class LanguageSwitchDetector {
  private candidate: string | undefined;
  private votes = 0;

  constructor(private readonly needed = 2) {}

  /** Feeds one utterance's detected language; returns the new language when the switch is certain. */
  observe(current: string, detected: string | undefined): string | undefined {
    const lang = toSupportedLanguage(detected);
    if (!lang || sameLanguage(lang, current)) {
      this.candidate = undefined;
      this.votes = 0;
      return undefined;
    }
    if (lang !== this.candidate) {
      this.candidate = lang;
      this.votes = 0;
    }
    if (++this.votes < this.needed) return undefined;
    this.candidate = undefined;
    this.votes = 0;
    return lang;
  }
}

/** Same language, ignoring region (`es` and `es-ES`). */
export function sameLanguage(a: string, b: string): boolean {
  return a.split('-')[0].toLowerCase() === b.split('-')[0].toLowerCase();
}
