import { spokenLanguages } from '../../src/shared/call-languages';

describe('spokenLanguages', () => {
  it("takes each role's leg language where the record has one, else the configured one", () => {
    const configured = { caller: 'auto', agent: 'en' };
    expect(spokenLanguages({ languages: configured, legs: [] })).toEqual({ caller: 'auto', agent: 'en' });
    expect(spokenLanguages({ languages: configured, legs: [{ role: 'caller', language: 'pl' }, { role: 'interpreter', language: 'es' }] })).toEqual({ caller: 'pl', agent: 'en' });
    expect(spokenLanguages({ languages: configured, legs: [{ role: 'caller' }, { role: 'agent', language: 'fr' }] })).toEqual({ caller: 'auto', agent: 'fr' });
  });
});
