/** A live call's make-up read back from its record, for the instance adopting it. */
import { rebuildCall } from '../../src/call/rebuild';
import type { NumberSettings } from '../../src/config/numbers';
import type { CallRecord } from '../../src/store/call-record';

const NUMBER: NumberSettings = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'auto', agentLanguage: 'en', mode: 'conference', interpretation: 'open', echoTargetLanguage: false, originalVolume: 0.16 };
const startedAt = new Date('2026-12-05T10:00:00Z');
const base: CallRecord = {
  id: 'call-1',
  number: NUMBER.number,
  from: '+34911000001',
  destination: NUMBER.destination,
  languages: { caller: 'es', agent: 'en' },
  legs: [
    { role: 'caller', callSid: 'CA1', language: 'de' },
    { role: 'agent', callSid: 'CA2', language: 'en' },
  ],
  state: 'bridged',
  startedAt,
};

describe('rebuilding a live call from its record', () => {
  it('a bridged direct call: its legs, and the caller language it has now (detected, not configured)', () => {
    expect(rebuildCall(base, NUMBER)).toEqual({ kind: 'direct', callerLeg: 'CA1', agentLeg: 'CA2', from: '+34911000001', callerLanguage: 'de', startedAt: startedAt.getTime() });
  });

  it('keeps when the call was answered, so that its duration still counts from then once it ends on the instance adopting it', () => {
    const answeredAt = new Date(startedAt.getTime() + 12_000);
    expect(rebuildCall({ ...base, answeredAt }, NUMBER)).toMatchObject({ kind: 'direct', startedAt: startedAt.getTime(), answeredAt: answeredAt.getTime() });
    expect(rebuildCall({ ...base, kind: 'conference', conference: 'tolk-call-1', answeredAt }, NUMBER)).toMatchObject({ kind: 'conference', answeredAt: answeredAt.getTime() });
  });

  it('a conference tolk created: the caller it ends with, the party dialled for them, the parties and the interpretation', () => {
    const record: CallRecord = { ...base, kind: 'conference', conference: 'tolk-call-1', state: 'answered' };
    expect(rebuildCall(record, NUMBER)).toEqual({
      kind: 'conference',
      conference: 'tolk-call-1',
      mode: 'open',
      startedAt: startedAt.getTime(),
      dial: { callerLeg: 'CA1', from: '+34911000001', number: NUMBER.number, destination: NUMBER.destination, callerLanguage: 'de', agentLanguage: 'en' },
      dialledLeg: 'CA2',
      parties: [
        { legRef: 'CA1', language: 'de', role: 'caller' },
        { legRef: 'CA2', language: 'en', role: 'agent' },
      ],
    });
  });

  it('a conference tolk joined: its parties as recorded, with how a language not given became known', () => {
    const record: CallRecord = {
      ...base,
      number: '',
      kind: 'conference',
      conference: 'room',
      state: 'answered',
      legs: [
        { role: 'participant', callSid: 'CA1', language: 'en' },
        { role: 'participant', callSid: 'CA2', language: 'es', languageSource: 'detected' },
        { role: 'participant', callSid: 'CA3', language: 'fr', languageSource: 'deduced' },
        { role: 'interpreter', callSid: 'CA4', language: 'en' },
      ],
    };
    expect(rebuildCall(record, undefined)).toEqual({
      kind: 'conference',
      conference: 'room',
      mode: 'whisper',
      startedAt: startedAt.getTime(),
      parties: [
        { legRef: 'CA1', language: 'en', role: 'participant' },
        { legRef: 'CA2', language: 'es', role: 'participant', languageSource: 'detected' },
        { legRef: 'CA3', language: 'fr', role: 'participant', languageSource: 'deduced' },
      ],
    });
  });

  it('refuses a call that has ended, or a direct call not bridged yet', () => {
    expect(rebuildCall({ ...base, state: 'ended', outcome: 'completed' }, NUMBER)).toBe('the call has ended');
    expect(rebuildCall({ ...base, state: 'ringing' }, NUMBER)).toBe('the call is ringing, not bridged');
    expect(rebuildCall({ ...base, legs: base.legs.slice(0, 1) }, NUMBER)).toBe('the record does not name both legs');
  });
});
