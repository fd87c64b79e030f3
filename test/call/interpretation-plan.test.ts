import { OPEN_ENDPOINT, planInterpretation } from '../../src/call/interpretation-plan';

describe('planInterpretation', () => {
  const es = { id: 'caller', language: 'es' };
  const en = { id: 'agent', language: 'en' };
  const en2 = { id: 'party-1', language: 'en' };
  const de = { id: 'party-2', language: 'de' };

  it('whisper: one leg per party; parties sharing a language share one route', () => {
    expect(planInterpretation('whisper', [es, en, en2])).toEqual({
      legs: [
        { endpoint: 'to-caller', whisperTo: 'caller' },
        { endpoint: 'to-agent', whisperTo: 'agent' },
        { endpoint: 'to-party-1', whisperTo: 'party-1' },
      ],
      routes: [
        { id: 'to:es', targetLanguage: 'es', sources: ['to-caller'], listeners: ['to-caller'] },
        { id: 'to:en', targetLanguage: 'en', sources: ['to-agent', 'to-party-1'], listeners: ['to-agent', 'to-party-1'] },
      ],
    });
  });

  it('open: one leg into the room, one route per language into it', () => {
    expect(planInterpretation('open', [es, en, de])).toEqual({
      legs: [{ endpoint: OPEN_ENDPOINT }],
      routes: ['es', 'en', 'de'].map((l) => ({ id: `to:${l}`, targetLanguage: l, sources: [OPEN_ENDPOINT], listeners: [OPEN_ENDPOINT] })),
    });
  });

  it('nothing to translate when everyone speaks one language', () => {
    expect(planInterpretation('whisper', [en, en2]).routes).toEqual([]);
    expect(planInterpretation('open', [en, en2]).routes).toEqual([]);
    expect(planInterpretation('open', [])).toEqual({ legs: [], routes: [] });
  });

  it("while a party's language is unknown, each language served has a session to detect it with", () => {
    const unknown = { id: 'party-3' };
    expect(planInterpretation('whisper', [es, unknown])).toEqual({
      legs: [
        { endpoint: 'to-caller', whisperTo: 'caller' },
        { endpoint: 'to-party-3', whisperTo: 'party-3' },
      ],
      routes: [{ id: 'to:es', targetLanguage: 'es', sources: ['to-caller'], listeners: ['to-caller'] }],
    });
    // A language given but spoken by no known party is fed by any leg, and heard by none yet.
    expect(planInterpretation('whisper', [unknown], ['de']).routes).toEqual([{ id: 'to:de', targetLanguage: 'de', sources: ['to-party-3'], listeners: [] }]);
  });
});
