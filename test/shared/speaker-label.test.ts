/** Who said a transcript line, as `tolk calls show` and the console's History and Live pages name them. */
import { partyLabel, speakerLabel, type SpokenLine } from '../../src/shared/speaker-label';

const line = (fields: Partial<SpokenLine>): SpokenLine => ({ direction: 'caller->agent', ...fields });

describe("a transcript line's speaker", () => {
  it('is the recorded speaker: the role of a caller or agent, a participant with their call SID', () => {
    expect(speakerLabel(line({ speaker: { role: 'caller', callSid: 'CA1' } }))).toBe('caller');
    expect(speakerLabel(line({ direction: 'agent->caller', speaker: { role: 'agent', callSid: 'CA2' } }))).toBe('agent');
    expect(speakerLabel(line({ direction: 'to:es', speaker: { role: 'agent', callSid: 'CA2' } }))).toBe('agent');
    expect(speakerLabel(line({ direction: 'to:es', speaker: { role: 'participant', callSid: 'CA3' } }))).toBe('participant CA3');
  });

  it('in a two-party call without one recorded, is the party whose route it travelled (each route hears one party)', () => {
    expect(speakerLabel(line({ direction: 'caller->agent' }))).toBe('caller');
    expect(speakerLabel(line({ direction: 'agent->caller' }))).toBe('agent');
  });

  it('in a conference without one recorded, is unknown: never the route', () => {
    expect(speakerLabel(line({ direction: 'to:en' }))).toBe('unknown speaker');
  });

  it('is a participant without a call SID by their role alone', () => {
    expect(partyLabel('participant', undefined)).toBe('participant');
  });
});
