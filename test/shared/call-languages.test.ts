import { listedLanguages, partiesText, spokenLanguages } from '../../src/shared/call-languages';

describe('spokenLanguages', () => {
  it("takes each role's leg language where the record has one, else the configured one", () => {
    const configured = { caller: 'auto', agent: 'en' };
    expect(spokenLanguages({ languages: configured, legs: [] })).toEqual({ caller: 'auto', agent: 'en' });
    expect(spokenLanguages({ languages: configured, legs: [{ role: 'caller', language: 'pl' }, { role: 'interpreter', language: 'es' }] })).toEqual({ caller: 'pl', agent: 'en' });
    expect(spokenLanguages({ languages: configured, legs: [{ role: 'caller' }, { role: 'agent', language: 'fr' }] })).toEqual({ caller: 'auto', agent: 'fr' });
  });
});

describe('partiesText', () => {
  it("lists a conference's parties, a third one whose language was heard from them included, without tolk's interpreter legs", () => {
    expect(
      partiesText([
        { role: 'caller', callSid: 'CA1', language: 'es' },
        { role: 'agent', callSid: 'CA2', language: 'en' },
        { role: 'interpreter', callSid: 'CA9', language: 'en' },
        { role: 'participant', callSid: 'CA3', language: 'en', languageSource: 'spoken' },
        { role: 'participant', callSid: 'CA4', language: 'fr', languageSource: 'detected' },
      ]),
    ).toBe('caller CA1 (es); agent CA2 (en); participant CA3 (en); participant CA4 (fr, detected)');
    expect(partiesText([])).toBe('none yet');
  });

  it('says of the agent tolk dialled into a conference who never joined (busy, unanswered, still ringing) that they did not join, with no language', () => {
    const legs = [
      { role: 'caller', callSid: 'CA1', language: 'es' },
      { role: 'agent', callSid: 'CA2', language: 'en', dialledAt: '2026-12-06T10:00:05.000Z' },
    ];
    expect(partiesText(legs)).toBe('caller CA1 (es); agent CA2 (dialled, not joined)');
    expect(listedLanguages({ kind: 'conference', languages: { caller: 'es', agent: 'en' }, legs })).toEqual(['es']);
  });
});

describe('listedLanguages (tolk calls list, the console History)', () => {
  it("are a direct call's caller and agent languages as spoken", () => {
    expect(listedLanguages({ languages: { caller: 'es', agent: 'en' }, legs: [{ role: 'caller', language: 'de' }] })).toEqual(['de', 'en']);
  });

  it("are every party's language in a conference, a third party's included, each once and without tolk's interpreter legs", () => {
    const legs = [
      { role: 'caller', callSid: 'CA1', language: 'es' },
      { role: 'agent', callSid: 'CA2', language: 'en' },
      { role: 'interpreter', callSid: 'CA9', language: 'fr' },
      { role: 'participant', callSid: 'CA3', language: 'de' },
      { role: 'participant', callSid: 'CA4', language: 'en' },
    ];
    expect(listedLanguages({ kind: 'conference', languages: { caller: 'es', agent: 'en' }, legs })).toEqual(['es', 'en', 'de']);
    expect(listedLanguages({ kind: 'conference', languages: { caller: 'es', agent: 'en' }, legs: [] })).toEqual([]);
  });
});
