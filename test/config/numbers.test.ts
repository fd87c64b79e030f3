import {
  destinationKind,
  normaliseDialledNumber,
  StaticNumberDirectory,
  type NumberSettings,
} from '../../src/config/numbers';
import { validateNumberSettings } from '../../src/config/numbers-schema';

const settings = (number: string): NumberSettings => ({
  number,
  destination: '+15550002222',
  callerLanguage: 'es',
  agentLanguage: 'en',
  echoTargetLanguage: false,
  originalVolume: 0.16,
});

describe('normaliseDialledNumber', () => {
  it.each([
    ['+15550001111', '+15550001111'],
    [' +1 (555) 000-1111 ', '+15550001111'],
    ['+44.20.7946.0958', '+442079460958'],
    ['tel:+15550001111', '+15550001111'],
    ['sip:+15550001111@example.sip.twilio.com;transport=tls', '+15550001111'],
  ])('%s -> %s', (raw, e164) => {
    expect(normaliseDialledNumber(raw)).toBe(e164);
  });

  it.each(['15550001111', '+05550001111', '+1234567890123456', 'client:alice', 'anonymous', ''])('rejects %j', (raw) => {
    expect(normaliseDialledNumber(raw)).toBeUndefined();
  });
});

describe('destinationKind', () => {
  it('tells phone numbers, SIP URIs and client identities apart', () => {
    expect(destinationKind('+15550002222')).toBe('phone');
    expect(destinationKind('sip:agent@pbx.example.com')).toBe('sip');
    expect(destinationKind('sips:agent@pbx.example.com:5061')).toBe('sip');
    expect(destinationKind('client:alice')).toBe('client');
    expect(destinationKind('sip:pbx.example.com')).toBeUndefined();
    expect(destinationKind('5550002222')).toBeUndefined();
    expect(destinationKind('client:')).toBeUndefined();
  });
});

describe('StaticNumberDirectory', () => {
  it('lists by number and hands out copies', async () => {
    const dir = new StaticNumberDirectory([settings('+15550009999'), settings('+15550001111')]);
    const list = await dir.list();
    expect(list.map((s) => s.number)).toEqual(['+15550001111', '+15550009999']);
    list[0].agentLanguage = 'de';
    const found = await dir.lookup('+15550001111');
    expect(found?.agentLanguage).toBe('en');
    found!.callerLanguage = 'fr';
    expect((await dir.lookup('+15550001111'))?.callerLanguage).toBe('es');
  });

  it('refuses duplicates', () => {
    expect(() => new StaticNumberDirectory([settings('+15550001111'), settings('+15550001111')])).toThrow(/duplicate/);
  });
});

describe('validateNumberSettings (reusable by the admin API)', () => {
  it('returns problems per field, relative to the entry', () => {
    const r = validateNumberSettings({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'EN', agentLanguage: 'en', originalVolume: -1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      { path: ['callerLanguage'], message: "unknown language 'EN'; did you mean en?" },
      { path: ['originalVolume'], message: 'must be from 0 (off) to 1 (full volume)' },
    ]);
  });

  it('applies defaults and trims the greeting', () => {
    const r = validateNumberSettings({ number: '+15550001111', destination: 'client:bob', callerLanguage: 'de', agentLanguage: 'fr', greeting: '  Hallo  ' });
    expect(r).toEqual({
      ok: true,
      value: { number: '+15550001111', destination: 'client:bob', callerLanguage: 'de', agentLanguage: 'fr', echoTargetLanguage: false, originalVolume: 0.16, rememberLanguage: true, greeting: 'Hallo' },
    });
  });

  it('accepts a language menu and automatic detection with a default language', () => {
    const r = validateNumberSettings({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'auto', defaultLanguage: 'es', agentLanguage: 'en', languageMenu: ['es', 'pl'], rememberLanguage: false });
    expect(r).toMatchObject({ ok: true, value: { callerLanguage: 'auto', defaultLanguage: 'es', languageMenu: ['es', 'pl'], rememberLanguage: false } });
  });

  it('explains what is wrong with language options', () => {
    const base = { number: '+15550001111', destination: '+15550002222', agentLanguage: 'en' };
    const problems = (input: object): string[] => {
      const r = validateNumberSettings({ ...base, ...input });
      return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
    };
    expect(problems({ callerLanguage: 'auto' })).toEqual(["defaultLanguage: is required when callerLanguage is 'auto' (the language used if the caller has not spoken in time)"]);
    expect(problems({ callerLanguage: 'es', languageMenu: ['es'] })).toEqual(['languageMenu: needs at least two languages (one needs no menu)']);
    expect(problems({ callerLanguage: 'es', languageMenu: ['es', 'es'] })).toEqual(['languageMenu: lists a language twice']);
    expect(problems({ callerLanguage: 'es', languageMenu: ['es', 'klingon'] })[0]).toMatch(/^languageMenu\.1: unknown language 'klingon'/);
  });

  it('takes a conference mode and interpretation, and names the accepted words for anything else', () => {
    const base = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' };
    expect(validateNumberSettings({ ...base, mode: 'conference', interpretation: 'open' })).toMatchObject({ ok: true, value: { mode: 'conference', interpretation: 'open' } });
    const plain = validateNumberSettings(base);
    expect(plain.ok && !('mode' in plain.value) && !('interpretation' in plain.value)).toBe(true);
    const r = validateNumberSettings({ ...base, mode: 'Conference', interpretation: 3 });
    expect(r.ok ? [] : r.problems).toEqual([
      { path: ['mode'], message: "'Conference' is not a mode (direct: two legs bridged through tolk; conference: a Twilio conference tolk interprets): use 'direct' or 'conference'" },
      { path: ['interpretation'], message: "must be 'whisper' or 'open', not a number" },
    ]);
  });

  it('rejects a non-object', () => {
    expect(validateNumberSettings(null)).toEqual({ ok: false, problems: [{ path: [], message: 'must be a mapping of settings, not null' }] });
  });
});
