/**
 * Remembered caller languages as TOLK_RETENTION_DAYS allows them to be used: a language last
 * remembered before the retention period is not recalled, although the hourly sweep may not have
 * erased it yet (it would otherwise be recalled, and remembered afresh, up to an hour past its time).
 */
import type { LanguageMemory } from '../call/ports';
import type { CallerLanguageStore } from '../store/caller-language-store';
import { DAY_MS } from './retention';

/** The store itself without a retention period; otherwise one that recalls only what is within it. */
export function retainedLanguages(store: Pick<CallerLanguageStore, 'recall' | 'remember'>, days: number | undefined, now: () => number = Date.now): LanguageMemory {
  if (days === undefined) return store;
  return {
    recall: (number, caller) => store.recall(number, caller, new Date(now() - days * DAY_MS)),
    remember: (number, caller, language) => store.remember(number, caller, language),
  };
}
