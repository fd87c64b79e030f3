/**
 * The writable side of per-number settings, as the admin API needs it. The call bridge keeps
 * reading through `NumberDirectory.lookup` on every call, so a write here applies to the next call.
 * `InMemoryNumberStore` serves tests and the YAML-file mode (seeded from the file at start-up).
 */
import { normaliseDialledNumber, type NumberDirectory, type NumberSettings } from './numbers';

export interface NumberStore extends NumberDirectory {
  upsert(settings: NumberSettings): Promise<{ created: boolean }>;
  /**
   * Stores every one of `settings` if, and only if, the store has no number yet, in one step: of
   * several instances seeding one database at once, one seeds and the others find it seeded.
   * True when this call stored them.
   */
  seedIfEmpty(settings: readonly NumberSettings[]): Promise<boolean>;
  remove(number: string): Promise<boolean>;
  /** Remembered caller language (issue 6 precedence 2); undefined when none. */
  forgetCallerLanguage?(number: string, caller: string): Promise<boolean>;
}

/** Settings kept in a map; every read returns a copy, so callers cannot change what is stored. */
export class InMemoryNumberStore implements NumberStore {
  private readonly byNumber = new Map<string, NumberSettings>();

  /** `seed` must already be validated (e.g. by `parseNumbers`); a later entry replaces an earlier one. */
  constructor(seed: readonly NumberSettings[] = []) {
    for (const s of seed) this.byNumber.set(s.number, { ...s });
  }

  lookup(number: string): Promise<NumberSettings | undefined> {
    const key = normaliseDialledNumber(number);
    const found = key === undefined ? undefined : this.byNumber.get(key);
    return Promise.resolve(found && { ...found });
  }

  list(): Promise<NumberSettings[]> {
    const all = [...this.byNumber.values()].sort((a, b) => (a.number < b.number ? -1 : a.number > b.number ? 1 : 0));
    return Promise.resolve(all.map((s) => ({ ...s })));
  }

  upsert(settings: NumberSettings): Promise<{ created: boolean }> {
    const created = !this.byNumber.has(settings.number);
    this.byNumber.set(settings.number, { ...settings });
    return Promise.resolve({ created });
  }

  seedIfEmpty(settings: readonly NumberSettings[]): Promise<boolean> {
    if (this.byNumber.size > 0 || settings.length === 0) return Promise.resolve(false);
    for (const s of settings) this.byNumber.set(s.number, { ...s });
    return Promise.resolve(true);
  }

  remove(number: string): Promise<boolean> {
    const key = normaliseDialledNumber(number);
    return Promise.resolve(key !== undefined && this.byNumber.delete(key));
  }
}
