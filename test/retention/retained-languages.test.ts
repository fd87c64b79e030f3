/**
 * With TOLK_RETENTION_DAYS, a caller's language past the retention period is not recalled, even
 * before the hourly sweep has erased it; within the period it is, and remembering goes on as before.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { retainedLanguages } from '../../src/retention/retained-languages';
import { storeHarness } from '../store/helpers/store-harness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-retained-'));
let files = 0;
const harness = storeHarness(() => ({ sqlitePath: path.join(dir, `db-${++files}.sqlite`) }));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const NUMBER = '+15550001111';
const CALLER = '+34600000000';

describe('remembered caller languages under a retention period', () => {
  it('recalls a language remembered within the period and not one remembered before it', async () => {
    const store = await harness.open();
    await store.callerLanguages.remember(NUMBER, CALLER, 'es');
    const at = (daysLater: number) => retainedLanguages(store.callerLanguages, 30, () => Date.now() + daysLater * DAY);
    expect(await at(29).recall(NUMBER, CALLER)).toBe('es');
    expect(await at(31).recall(NUMBER, CALLER)).toBeUndefined();
    // not erased by recalling: the sweep does that
    expect(await store.callerLanguages.recall(NUMBER, CALLER)).toBe('es');
  });

  it('recalls whatever is remembered without a retention period, and remembers through to the store', async () => {
    const store = await harness.open();
    const memory = retainedLanguages(store.callerLanguages, undefined);
    await memory.remember(NUMBER, CALLER, 'pl');
    expect(await memory.recall(NUMBER, CALLER)).toBe('pl');
    const within = retainedLanguages(store.callerLanguages, 1);
    await within.remember(NUMBER, CALLER, 'fr');
    expect(await within.recall(NUMBER, CALLER)).toBe('fr');
  });
});
