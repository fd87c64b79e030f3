/**
 * The caller's language during one call: what is known at answer time, the menu's answer, the
 * translation service's first report (with a default when the caller stays silent), a caller who
 * switches language mid-call, and remembering it for their next call. The decisions themselves are
 * pure (caller-language.ts); this class keeps the call's state, the timer and the log lines, and
 * tells its call what to do through `CallerLanguageEffects`.
 */
import type { NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import { LanguageSwitchDetector, provisionalLanguage, shouldRemember, toSupportedLanguage, type InitialLanguage, type LanguageSource } from './caller-language';
import type { LanguageMemory } from './ports';

/** What a change of the caller's language asks of the call. */
export interface CallerLanguageEffects {
  /** The caller's language became known or changed: the call record's legs are to show it. */
  recordLanguage(): void;
  /** The agent's words are to be translated into `language` from now on. */
  translateAgentInto(language: string): void;
}

export interface CallerLanguageTrackerOptions {
  settings: NumberSettings;
  /** The caller's number (languages are remembered per caller); empty when unknown. */
  from: string;
  /** The caller's language as known at answer time. */
  initial: InitialLanguage;
  /** The call's logger. */
  logger: Logger;
  effects: CallerLanguageEffects;
  /** Remembered caller languages; none: nothing is remembered. */
  memory?: LanguageMemory;
  /** With callerLanguage auto: how long the agent's words are held for the caller's first speech (default 10 s). */
  autoDetectTimeoutMs?: number;
}

export class CallerLanguageTracker {
  /** Undefined while it is being detected (callerLanguage auto). */
  private languageValue: string | undefined;
  private sourceValue: LanguageSource;
  private readonly languageSwitch = new LanguageSwitchDetector();
  private autoDetectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: CallerLanguageTrackerOptions) {
    this.languageValue = opts.initial.language;
    this.sourceValue = opts.initial.source;
  }

  /** The caller's language, or undefined while it is being detected. */
  get current(): string | undefined {
    return this.languageValue;
  }

  /** Where the current language came from. */
  get source(): LanguageSource {
    return this.sourceValue;
  }

  /** The caller's language, or the one to speak to them in until it is known. */
  get currentOrProvisional(): string {
    return this.languageValue ?? this.fallback;
  }

  /** The caller chose their language in the number's menu. */
  choose(language: string): void {
    this.set(language, 'menu');
  }

  /**
   * The legs are joined. A caller language not known yet is detected from the caller's first
   * speech, or is the number's default if they have not spoken in time.
   */
  legsJoined(): void {
    if (this.languageValue !== undefined || this.stopped) return;
    this.autoDetectTimer = setTimeout(() => {
      this.autoDetectTimer = undefined;
      if (this.languageValue === undefined) this.set(this.fallback, 'default');
    }, this.opts.autoDetectTimeoutMs ?? 10_000);
  }

  /** The translation service reported the language the caller speaks: the first report settles a language being detected. */
  reported(code: string): void {
    if (this.languageValue !== undefined) return;
    const detected = toSupportedLanguage(code);
    if (detected) this.set(detected, 'detected');
  }

  /** One final utterance of the caller, in the language the service heard: a consistent switch is followed. */
  heard(code: string | undefined): void {
    if (this.languageValue === undefined) return;
    const switched = this.languageSwitch.observe(this.languageValue, code);
    if (switched) this.set(switched, 'detected');
  }

  /** The call has ended: nothing changes any more. */
  stop(): void {
    this.stopped = true;
    if (this.autoDetectTimer) clearTimeout(this.autoDetectTimer);
    this.autoDetectTimer = undefined;
  }

  private get fallback(): string {
    return provisionalLanguage(this.opts.settings, { language: undefined, source: 'auto' });
  }

  /**
   * The caller's language became known (detected, chosen, or the default after silence) or changed:
   * the agent's words are translated into it from now on, and it is remembered for their next call.
   */
  private set(language: string, source: LanguageSource): void {
    if (this.stopped) return;
    if (this.languageValue === language) {
      // Chosen in the menu, the language the call already had (the number's own) is the caller's
      // choice from now on: logged and remembered like any other; nothing to translate anew.
      if (source === 'menu' && this.sourceValue !== 'menu') {
        this.sourceValue = source;
        this.opts.logger.info({ event: 'call.caller_language', language, previous: language, source }, `caller language: ${language} (${source})`);
        this.opts.effects.recordLanguage();
        this.remember();
      }
      return;
    }
    const previous = this.languageValue;
    this.languageValue = language;
    this.sourceValue = source;
    if (this.autoDetectTimer) clearTimeout(this.autoDetectTimer);
    this.autoDetectTimer = undefined;
    this.opts.logger.info({ event: 'call.caller_language', language, previous, source }, `caller language: ${language} (${source})`);
    this.opts.effects.recordLanguage();
    this.remember();
    this.opts.effects.translateAgentInto(language);
  }

  private remember(): void {
    const { memory, settings, from, logger } = this.opts;
    const language = this.languageValue;
    if (!language || !memory || !from || !shouldRemember(settings, this.sourceValue)) return;
    memory.remember(settings.number, from, language).catch((err: unknown) => logger.warn({ event: 'call.remember_language_failed', err }, 'could not remember the caller language'));
  }
}
