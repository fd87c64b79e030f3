/** What the database-backed number and caller-language stores must do, on every database. */
import type { NumberSettings } from '../../../src/config/numbers';
import { applyNumbersFile } from '../../../src/config/numbers-import';
import type { Store } from '../../../src/store/open-store';
import { InvalidNumberSettingsError } from '../../../src/store/number-store';
import { silentLogger } from './silent-logger';

const SPAIN: NumberSettings = {
  number: '+15550001111',
  destination: '+15550002222',
  callerLanguage: 'es',
  agentLanguage: 'en',
  rememberLanguage: true,
  echoTargetLanguage: false,
  originalVolume: 0.16,
};

/** `open`: a store on a database of its own; `openTwo`: two instances of a store on one empty database of their own. */
export function describeNumberStoreContract(name: string, open: () => Promise<Store>, openTwo: () => Promise<[Store, Store]>): void {
  describe(`${name}: NumberStore contract`, () => {
    it('creates, reads, replaces and removes a number', async () => {
      const { numbers } = await open();
      expect(await numbers.list()).toEqual([]);
      const first = await numbers.upsert({ number: '+15550001111', destination: 'sip:desk@pbx.example.com', callerLanguage: 'es', agentLanguage: 'en' });
      expect(first).toStrictEqual({
        created: true,
        settings: { ...SPAIN, destination: 'sip:desk@pbx.example.com' },
      });
      expect(await numbers.lookup('+15550001111')).toStrictEqual({ ...SPAIN, destination: 'sip:desk@pbx.example.com' });

      const replaced = await numbers.upsert({ ...SPAIN, echoTargetLanguage: true, originalVolume: 0, greeting: '  Hola  ' });
      expect(replaced.created).toBe(false);
      expect(await numbers.lookup('+15550001111')).toStrictEqual({ ...SPAIN, echoTargetLanguage: true, originalVolume: 0, greeting: 'Hola' });

      await numbers.upsert({ ...SPAIN });
      expect(await numbers.lookup('+15550001111')).not.toHaveProperty('greeting');

      const multilingual: NumberSettings = {
        ...SPAIN,
        callerLanguage: 'auto',
        defaultLanguage: 'es',
        languageMenu: ['es', 'ca', 'en'],
        rememberLanguage: false,
      };
      await numbers.upsert(multilingual);
      expect(await numbers.lookup('+15550001111')).toStrictEqual(multilingual);
      await numbers.upsert({ ...SPAIN });
      expect(await numbers.lookup('+15550001111')).toStrictEqual(SPAIN);

      expect(await numbers.remove('+1 555 000 1111')).toBe(true);
      expect(await numbers.remove('+15550001111')).toBe(false);
      expect(await numbers.lookup('+15550001111')).toBeUndefined();
    });

    it('seeds an empty store with every setting in one step, and only an empty one', async () => {
      const { numbers } = await open();
      const every: NumberSettings = {
        number: '+15550009999',
        destination: 'sip:desk@pbx.example.com',
        callerLanguage: 'auto',
        defaultLanguage: 'es',
        languageMenu: ['es', 'ca'],
        rememberLanguage: false,
        agentLanguage: 'en',
        echoTargetLanguage: true,
        originalVolume: 0.5,
        greeting: 'Hola',
        mode: 'conference',
        interpretation: 'open',
        webhookUrl: 'https://crm.example.com/tolk',
      };
      expect(await numbers.seedIfEmpty([SPAIN, every])).toBe(true);
      expect(await numbers.list()).toStrictEqual([SPAIN, every]);
      // A store with numbers is not seeded: none is changed, none added.
      expect(await numbers.seedIfEmpty([{ ...SPAIN, destination: '+15550007777' }, { ...SPAIN, number: '+4930123456' }])).toBe(false);
      expect(await numbers.list()).toStrictEqual([SPAIN, every]);
      // Emptied, it is seeded again.
      await numbers.remove(SPAIN.number);
      await numbers.remove(every.number);
      expect(await numbers.seedIfEmpty([{ ...SPAIN, destination: '+15550007777' }])).toBe(true);
      expect(await numbers.list()).toStrictEqual([{ ...SPAIN, destination: '+15550007777' }]);
    });

    it('seeds the numbers file once when two instances start together on an empty database', async () => {
      const [a, b] = await openTwo();
      const de = { ...SPAIN, number: '+15550003333', callerLanguage: 'de' };
      // Two instances whose files differ, so that what each stored shows.
      const outcomes = await Promise.all([
        applyNumbersFile(a.numbers, { path: 'a.yaml', entries: [SPAIN] }, 'seed', silentLogger()),
        applyNumbersFile(b.numbers, { path: 'b.yaml', entries: [de] }, 'seed', silentLogger()),
      ]);
      expect(outcomes.map((o) => o.action).sort()).toEqual(['kept', 'seeded']);
      const seededBy = outcomes[0].action === 'seeded' ? SPAIN : de;
      expect(await a.numbers.list()).toStrictEqual([seededBy]);
      expect(await b.numbers.list()).toStrictEqual([seededBy]);
    });

    it('keeps a conference mode and interpretation, and forgets them when they are left out', async () => {
      const { numbers } = await open();
      await numbers.upsert({ ...SPAIN, mode: 'conference', interpretation: 'open' });
      expect(await numbers.lookup('+15550001111')).toStrictEqual({ ...SPAIN, mode: 'conference', interpretation: 'open' });
      await numbers.upsert({ ...SPAIN, mode: 'direct' });
      expect(await numbers.lookup('+15550001111')).toStrictEqual({ ...SPAIN, mode: 'direct' });
      await numbers.upsert({ ...SPAIN });
      expect(await numbers.lookup('+15550001111')).toStrictEqual(SPAIN);
      await expect(numbers.upsert({ ...SPAIN, mode: 'bridge' as 'direct' })).rejects.toThrow(InvalidNumberSettingsError);
    });

    it('finds a number in any common notation and lists numbers in order', async () => {
      const { numbers } = await open();
      await numbers.upsert({ ...SPAIN, number: '+4930123456' });
      await numbers.upsert({ ...SPAIN });
      await numbers.upsert({ ...SPAIN, number: '+15550009999', originalVolume: 0.5 });
      for (const notation of ['+1 555-000-1111', 'tel:+15550001111', 'sip:+15550001111@tolk.example.com', ' (+1) 555.000.1111 ']) {
        expect(await numbers.lookup(notation)).toStrictEqual(SPAIN);
      }
      expect(await numbers.lookup('15550001111')).toBeUndefined();
      expect(await numbers.lookup('not a number')).toBeUndefined();
      expect((await numbers.list()).map((n) => [n.number, n.originalVolume])).toEqual([
        ['+15550001111', 0.16],
        ['+15550009999', 0.5],
        ['+4930123456', 0.16],
      ]);
    });

    it('refuses invalid settings with a message per field and stores nothing', async () => {
      const { numbers } = await open();
      const err: unknown = await numbers
        .upsert({ ...SPAIN, number: '+1 555', callerLanguage: 'espanol', originalVolume: 2 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidNumberSettingsError);
      const problems = (err as InvalidNumberSettingsError).problems;
      expect(problems.map((p) => p.path.join('.')).sort()).toEqual(['callerLanguage', 'number', 'originalVolume']);
      expect(problems.find((p) => p.path[0] === 'callerLanguage')!.message).toMatch(/unknown language 'espanol'/);
      expect((err as InvalidNumberSettingsError).status).toBe(400);
      expect(await numbers.list()).toEqual([]);
    });

    it('forgets a caller on every number, and the callers last remembered before a time', async () => {
      const { callerLanguages } = await open();
      await callerLanguages.remember(SPAIN.number, '+34600000000', 'es');
      await callerLanguages.remember('+15550009999', '+34600000000', 'es');
      await callerLanguages.remember(SPAIN.number, '+33600000000', 'fr');
      expect(await callerLanguages.countCaller('+34600000000')).toBe(2);
      expect(await callerLanguages.recall('+15550009999', '+34600000000')).toBe('es');
      expect(await callerLanguages.forgetCaller('+34600000000')).toBe(2);
      expect(await callerLanguages.countCaller('+34600000000')).toBe(0);
      expect(await callerLanguages.recall('+15550009999', '+34600000000')).toBeUndefined();
      expect(await callerLanguages.recall(SPAIN.number, '+33600000000')).toBe('fr');
      expect(await callerLanguages.forgetBefore(new Date(Date.now() - 60_000))).toBe(0);
      expect(await callerLanguages.recall(SPAIN.number, '+33600000000')).toBe('fr');
      expect(await callerLanguages.forgetBefore(new Date(Date.now() + 60_000))).toBe(1);
      expect(await callerLanguages.recall(SPAIN.number, '+33600000000')).toBeUndefined();
    });

    it('recalls a caller language only when it was remembered since a given time', async () => {
      const { callerLanguages } = await open();
      await callerLanguages.remember(SPAIN.number, '+34600000000', 'es');
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000', new Date(Date.now() - 60_000))).toBe('es');
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000', new Date(Date.now() + 60_000))).toBeUndefined();
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000')).toBe('es');
    });

    it('remembers a caller language per number and caller, and forgets it', async () => {
      const { numbers, callerLanguages } = await open();
      await numbers.upsert(SPAIN);
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000')).toBeUndefined();
      await callerLanguages.remember(SPAIN.number, '+34600000000', 'es');
      await callerLanguages.remember(SPAIN.number, '+34600000000', 'ca');
      await callerLanguages.remember(SPAIN.number, '+33600000000', 'fr');
      await callerLanguages.remember('+15550009999', '+34600000000', 'en');
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000')).toBe('ca');
      expect(await callerLanguages.recall('+15550009999', '+34600000000')).toBe('en');
      expect(await callerLanguages.forget(SPAIN.number, '+33600000000')).toBe(1);
      expect(await callerLanguages.recall(SPAIN.number, '+33600000000')).toBeUndefined();
      await callerLanguages.remember(SPAIN.number, '+33600000000', 'fr');
      expect(await numbers.forgetCallerLanguage('+1 555 000 1111', '+33600000000')).toBe(true);
      expect(await numbers.forgetCallerLanguage(SPAIN.number, '+33600000000')).toBe(false);
      // removing a number forgets its callers, and only its own
      await numbers.remove(SPAIN.number);
      expect(await callerLanguages.recall(SPAIN.number, '+34600000000')).toBeUndefined();
      expect(await callerLanguages.recall('+15550009999', '+34600000000')).toBe('en');
    });

    it('answers a ping', async () => {
      const store = await open();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
