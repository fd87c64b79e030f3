/**
 * What start-up does with the numbers file (`TOLK_NUMBERS`), by `TOLK_NUMBERS_MODE`:
 *  - `seed` (default): the file fills a database that has no numbers yet. Once the database has
 *    numbers they are the truth (changes made with the API or the CLI survive restarts); a file
 *    that differs from them is reported, never applied.
 *  - `replace`: the database's numbers become exactly the file's (added, changed, removed), and
 *    every difference is logged first.
 * `tolk numbers import FILE` applies a file by hand at any time (adding or replacing entries).
 * The diff is pure; `applyNumbersFile` is the only part that writes.
 */
import type { Logger } from '../log/logger';
import type { NumberStore } from './number-store';
import type { NumberSettings } from './numbers';

export const NUMBERS_MODES = ['seed', 'replace'] as const;
export type NumbersMode = (typeof NUMBERS_MODES)[number];

export interface NumbersDiff {
  /** In the file, not in the database. */
  added: string[];
  /** In both, with these settings different. */
  changed: { number: string; fields: string[] }[];
  /** In the database, not in the file. */
  removed: string[];
  unchanged: number;
}

const FIELDS: readonly (keyof NumberSettings)[] = [
  'destination',
  'callerLanguage',
  'defaultLanguage',
  'languageMenu',
  'rememberLanguage',
  'agentLanguage',
  'echoTargetLanguage',
  'originalVolume',
  'greeting',
  'webhookUrl',
];

/** Settings whose unset optional fields read as their defaults, so "unset" equals "default". */
function canonical(s: NumberSettings, field: keyof NumberSettings): string {
  const v = field === 'rememberLanguage' ? (s.rememberLanguage ?? true) : s[field];
  return JSON.stringify(v ?? null);
}

/** How the database (`stored`) would change to become the file (`file`); both already validated. */
export function diffNumbers(stored: readonly NumberSettings[], file: readonly NumberSettings[]): NumbersDiff {
  const before = new Map(stored.map((s) => [s.number, s]));
  const diff: NumbersDiff = { added: [], changed: [], removed: [], unchanged: 0 };
  for (const s of file) {
    const old = before.get(s.number);
    before.delete(s.number);
    if (!old) {
      diff.added.push(s.number);
      continue;
    }
    const fields = FIELDS.filter((f) => canonical(old, f) !== canonical(s, f));
    if (fields.length > 0) diff.changed.push({ number: s.number, fields });
    else diff.unchanged++;
  }
  diff.removed = [...before.keys()].sort();
  return diff;
}

export function isEmptyDiff(d: NumbersDiff): boolean {
  return d.added.length === 0 && d.changed.length === 0 && d.removed.length === 0;
}

/** `+1555 added; +1666 changed (destination, greeting); +1777 removed`, or `no changes`. */
export function describeDiff(d: NumbersDiff): string {
  const parts = [
    ...d.added.map((n) => `${n} added`),
    ...d.changed.map((c) => `${c.number} changed (${c.fields.join(', ')})`),
    ...d.removed.map((n) => `${n} removed`),
  ];
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}

export interface NumbersFileOutcome {
  /** What was written: `seeded` an empty database, `replaced` its numbers, or `kept` the database's. */
  action: 'seeded' | 'replaced' | 'kept';
  diff: NumbersDiff;
}

/**
 * Applies the numbers file's entries to the store as `mode` says, logging one line with the diff.
 * Called only once everything else about start-up has succeeded.
 */
export async function applyNumbersFile(
  store: NumberStore,
  file: { path: string; entries: readonly NumberSettings[] },
  mode: NumbersMode,
  logger: Logger,
): Promise<NumbersFileOutcome> {
  // A seed is one step (NumberStore.seedIfEmpty): of instances starting together on an empty
  // database, one seeds it and the others find its numbers.
  const seeded = mode === 'seed' && (await store.seedIfEmpty(file.entries));
  const stored = seeded ? [] : await store.list();
  const diff = diffNumbers(stored, file.entries);
  const summary = { file: file.path, mode, added: diff.added, changed: diff.changed, removed: diff.removed, unchanged: diff.unchanged };
  if (mode === 'seed' && !seeded) {
    // The file's entries the database lacks would be "added": a seed never removes, so only report.
    if (!isEmptyDiff(diff)) {
      logger.warn(
        { event: 'config.numbers_file_differs', ...summary },
        `${file.path} differs from the numbers in the database, which are kept (${describeDiff(diff)}); apply it with \`tolk numbers import ${file.path}\` or TOLK_NUMBERS_MODE=replace`,
      );
    }
    return { action: 'kept', diff };
  }
  if (mode === 'replace') {
    for (const s of file.entries) {
      if (diff.added.includes(s.number) || diff.changed.some((c) => c.number === s.number)) await store.upsert(s);
    }
    for (const n of diff.removed) await store.remove(n);
  }
  const action = seeded ? 'seeded' : 'replaced';
  logger.info({ event: `config.numbers_${action}`, ...summary }, `numbers ${action} from ${file.path}: ${describeDiff(diff)}`);
  return { action, diff };
}
