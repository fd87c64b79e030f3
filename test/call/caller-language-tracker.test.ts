import { Writable } from 'node:stream';
import { initialCallerLanguage, InMemoryLanguageMemory, type InitialLanguage } from '../../src/call/caller-language';
import type { LanguageMemory } from '../../src/call/ports';
import { CallerLanguageTracker } from '../../src/call/caller-language-tracker';
import type { NumberSettings } from '../../src/config/numbers';
import { validateNumberSettings } from '../../src/config/numbers-schema';
import { createLogger } from '../../src/log/logger';
import { flush } from './fakes/rig-fixtures';

const CALLER = '+442071234567';

/** A number with English-speaking agents, as the validator stores it (every default applied). */
function line(languages: Partial<NumberSettings>): NumberSettings {
  const r = validateNumberSettings({ number: '+15550001111', destination: '+15550002222', agentLanguage: 'en', ...languages });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}
const NUMBER = line({ callerLanguage: 'es' });
const AUTO = line({ callerLanguage: 'auto', defaultLanguage: 'de' });

interface Options {
  settings?: NumberSettings;
  initial?: InitialLanguage;
  memory?: LanguageMemory;
  from?: string;
  autoDetectTimeoutMs?: number;
}

function track(o: Options = {}) {
  const settings = o.settings ?? NUMBER;
  /** The languages the agent's words were to be translated into, in order. */
  const agentInto: string[] = [];
  let recorded = 0;
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (logs.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  const tracker = new CallerLanguageTracker({
    settings,
    from: o.from ?? CALLER,
    initial: o.initial ?? initialCallerLanguage(settings, {}),
    logger,
    memory: o.memory,
    autoDetectTimeoutMs: o.autoDetectTimeoutMs,
    effects: {
      recordLanguage: () => void recorded++,
      translateAgentInto: (language) => void agentInto.push(language),
    },
  });
  const decisions = (): { language: unknown; previous: unknown; source: unknown }[] =>
    logs.filter((l) => l.event === 'call.caller_language').map((l) => ({ language: l.language, previous: l.previous, source: l.source }));
  return { tracker, agentInto, recorded: () => recorded, logs, decisions };
}

describe('the caller language tracker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  describe('with callerLanguage auto', () => {
    it('holds the agent\'s words until the caller\'s first speech settles the language', () => {
      const t = track({ settings: AUTO });
      t.tracker.legsJoined();
      expect(t.tracker.current).toBeUndefined();
      jest.advanceTimersByTime(9_000);
      expect(t.agentInto).toEqual([]); // nothing translated into a language not known yet
      t.tracker.reported('pl-PL');
      expect(t.tracker.current).toBe('pl');
      expect(t.agentInto).toEqual(['pl']);
      expect(t.recorded()).toBe(1);
      expect(t.decisions()).toEqual([{ language: 'pl', previous: undefined, source: 'detected' }]);
      // Later reports and the timer change nothing.
      t.tracker.reported('fr');
      jest.advanceTimersByTime(10_000);
      expect(t.agentInto).toEqual(['pl']);
    });

    it('speaks to the caller in the number\'s default language while detecting', () => {
      const t = track({ settings: AUTO });
      expect(t.tracker.current).toBeUndefined();
      expect(t.tracker.currentOrProvisional).toBe('de');
    });

    it('takes the default language when the caller has not spoken 10 s after the legs were joined', () => {
      const t = track({ settings: AUTO });
      t.tracker.legsJoined();
      jest.advanceTimersByTime(9_999);
      expect(t.agentInto).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(t.tracker.current).toBe('de');
      expect(t.agentInto).toEqual(['de']);
      expect(t.decisions()).toEqual([{ language: 'de', previous: undefined, source: 'default' }]);
    });

    it('waits as long as autoDetectTimeoutMs says', () => {
      const t = track({ settings: AUTO, autoDetectTimeoutMs: 300 });
      t.tracker.legsJoined();
      jest.advanceTimersByTime(299);
      expect(t.tracker.current).toBeUndefined();
      jest.advanceTimersByTime(1);
      expect(t.tracker.current).toBe('de');
    });

    it('ignores a reported language it cannot translate into, and keeps waiting', () => {
      const t = track({ settings: AUTO });
      t.tracker.legsJoined();
      t.tracker.reported('xx');
      expect(t.tracker.current).toBeUndefined();
      expect(t.agentInto).toEqual([]);
    });

    it('does not follow utterances before the language is known', () => {
      const t = track({ settings: AUTO });
      t.tracker.heard('pl');
      t.tracker.heard('pl');
      expect(t.tracker.current).toBeUndefined();
    });
  });

  describe('a caller who switches language', () => {
    it('is followed only after two utterances in a row in the new language', () => {
      const t = track();
      t.tracker.legsJoined();
      t.tracker.heard('pl');
      expect(t.agentInto).toEqual([]); // one is not enough
      t.tracker.heard('pl-PL');
      expect(t.tracker.current).toBe('pl');
      expect(t.agentInto).toEqual(['pl']);
      expect(t.decisions()).toEqual([{ language: 'pl', previous: 'es', source: 'detected' }]);
    });

    it('is not followed after a single misdetection between utterances in their language', () => {
      const t = track();
      for (const code of ['pl', 'es', 'pl', undefined, 'pl', 'es-ES']) t.tracker.heard(code);
      expect(t.tracker.current).toBe('es');
      expect(t.agentInto).toEqual([]);
    });

    it('is followed back to their first language the same way', () => {
      const t = track();
      for (const code of ['pl', 'pl', 'es', 'es']) t.tracker.heard(code);
      expect(t.agentInto).toEqual(['pl', 'es']);
      expect(t.decisions().map((d) => d.previous)).toEqual(['es', 'pl']);
    });

    it('is followed from a language that was detected first', () => {
      const t = track({ settings: AUTO });
      t.tracker.reported('pl');
      t.tracker.heard('fr');
      t.tracker.heard('fr');
      expect(t.agentInto).toEqual(['pl', 'fr']);
    });
  });

  describe('the menu', () => {
    it('wins over detection: no waiting, no default, later reports ignored', () => {
      const t = track({ settings: AUTO });
      t.tracker.choose('pl');
      t.tracker.legsJoined();
      t.tracker.reported('fr');
      jest.advanceTimersByTime(20_000);
      expect(t.tracker.current).toBe('pl');
      expect(t.tracker.source).toBe('menu');
      expect(t.agentInto).toEqual(['pl']);
      expect(t.decisions()).toEqual([{ language: 'pl', previous: undefined, source: 'menu' }]);
    });

    it('wins over the configured language', () => {
      const t = track();
      expect(t.tracker.currentOrProvisional).toBe('es');
      t.tracker.choose('pl');
      expect(t.tracker.current).toBe('pl');
      expect(t.decisions()).toEqual([{ language: 'pl', previous: 'es', source: 'menu' }]);
    });

    it('translates nothing anew when the chosen language is the one already known, but takes it as the caller\'s choice', async () => {
      const memory = new InMemoryLanguageMemory();
      const t = track({ memory });
      t.tracker.choose('es');
      expect(t.tracker.source).toBe('menu');
      expect(t.agentInto).toEqual([]);
      expect(t.recorded()).toBe(1);
      expect(t.decisions()).toHaveLength(1);
      expect(await memory.recall(NUMBER.number, CALLER)).toBe('es');
      // Chosen again (a second key press): nothing more.
      t.tracker.choose('es');
      expect(t.recorded()).toBe(1);
    });
  });

  describe('remembering the language', () => {
    it('remembers a language chosen in the menu', async () => {
      const memory = new InMemoryLanguageMemory();
      track({ memory }).tracker.choose('pl');
      expect(await memory.recall(NUMBER.number, CALLER)).toBe('pl');
    });

    it('remembers a detected language, and a switch to another', async () => {
      const memory = new InMemoryLanguageMemory();
      const t = track({ settings: AUTO, memory });
      t.tracker.reported('pl');
      expect(await memory.recall(NUMBER.number, CALLER)).toBe('pl');
      t.tracker.heard('fr');
      t.tracker.heard('fr');
      expect(await memory.recall(NUMBER.number, CALLER)).toBe('fr');
    });

    it('does not remember the default taken after silence', async () => {
      const memory = new InMemoryLanguageMemory();
      const t = track({ settings: AUTO, memory });
      t.tracker.legsJoined();
      jest.advanceTimersByTime(10_000);
      expect(t.tracker.current).toBe('de');
      expect(await memory.recall(NUMBER.number, CALLER)).toBeUndefined();
    });

    it('does not remember when the number turns remembering off', async () => {
      const memory = new InMemoryLanguageMemory();
      track({ settings: line({ callerLanguage: 'es', rememberLanguage: false }), memory }).tracker.choose('pl');
      expect(await memory.recall(NUMBER.number, CALLER)).toBeUndefined();
    });

    it('does not remember for a caller whose number is unknown', async () => {
      const memory = new InMemoryLanguageMemory();
      track({ memory, from: '' }).tracker.choose('pl');
      expect(await memory.recall(NUMBER.number, '')).toBeUndefined();
    });

    it('logs a memory that fails and goes on', async () => {
      const memory: LanguageMemory = { recall: () => Promise.resolve(undefined), remember: () => Promise.reject(new Error('disk full')) };
      const t = track({ memory });
      t.tracker.choose('pl');
      jest.useRealTimers();
      await flush();
      expect(t.tracker.current).toBe('pl');
      expect(t.agentInto).toEqual(['pl']);
      expect(t.logs.some((l) => l.event === 'call.remember_language_failed')).toBe(true);
    });
  });

  describe('after the call ended', () => {
    it('changes nothing and takes no default', () => {
      const t = track({ settings: AUTO });
      t.tracker.legsJoined();
      t.tracker.stop();
      jest.advanceTimersByTime(20_000);
      t.tracker.reported('pl');
      t.tracker.choose('fr');
      expect(t.tracker.current).toBeUndefined();
      expect(t.agentInto).toEqual([]);
      expect(t.decisions()).toEqual([]);
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
