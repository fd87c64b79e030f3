import { badgeClass, callDuration, formatTime, interpretationStatus, languagesCell, listedTimeText, statusLabel, type CallRecord } from '../../console/src/lib/calls';
import { callJson } from '../helpers/call-json';

/** A call as the API lists it; a call tolk places is given by its attempts and due time (it retries twice, a minute apart). */
const record = ({ outbound, ...fields }: Omit<Partial<CallRecord>, 'outbound'> & { outbound?: { attempts: number; dueAt: string } }): CallRecord =>
  callJson('bridged', '2026-12-05T10:00:00.000Z', { ...fields, ...(outbound ? { outbound: { ...outbound, retries: 2, retryAfterSec: 60 } } : {}) });

describe("a call's interpretation on the History page", () => {
  it('says that it failed and why, with the setting to check; nothing while it has not failed', () => {
    expect(interpretationStatus(record({ interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } }))).toBe('failed (Gemini refused the API key: check GEMINI_API_KEY)');
    expect(interpretationStatus(record({}))).toBeUndefined();
  });
});

describe("a call's badge on the History page", () => {
  it('says the outcome once the call ended, else that it is live and in which state', () => {
    expect(statusLabel(record({ state: 'ended', outcome: 'completed' }))).toBe('completed');
    expect(statusLabel(record({ state: 'bridged' }))).toBe('live (bridged)');
    expect(statusLabel(record({ kind: 'conference', state: 'live' }))).toBe('live');
  });

  it('says retrying for a call tolk places whose attempt failed and whose next one is due, scheduled before its first', () => {
    const dueAt = '2026-12-05T11:00:00.000Z';
    expect(statusLabel(record({ state: 'scheduled', outbound: { attempts: 1, dueAt } }))).toBe('retrying');
    expect(statusLabel(record({ state: 'scheduled', outbound: { attempts: 0, dueAt } }))).toBe('scheduled');
    expect(statusLabel(record({ state: 'ended', outcome: 'busy', outbound: { attempts: 2, dueAt } }))).toBe('busy');
  });

  it('is coloured as scheduled, not as live, for a call tolk places that waits for its first or next attempt', () => {
    const dueAt = '2026-12-05T11:00:00.000Z';
    expect(badgeClass(record({ state: 'scheduled', outbound: { attempts: 0, dueAt } }))).toBe('scheduled');
    expect(badgeClass(record({ state: 'scheduled', outbound: { attempts: 1, dueAt } }))).toBe('scheduled');
    expect(badgeClass(record({ state: 'calling', outbound: { attempts: 1, dueAt } }))).toBe('live');
    expect(badgeClass(record({ state: 'bridged' }))).toBe('live');
    expect(badgeClass(record({ state: 'ended', outcome: 'busy', outbound: { attempts: 2, dueAt } }))).toBe('busy');
  });
});

describe("a call's duration on the History page", () => {
  const dueAt = '2026-12-05T11:00:00.000Z';

  it('is the time the call was connected: from its answer to its end, the ringing before it not counted; in progress while it goes on', () => {
    expect(callDuration(record({ state: 'ended', outcome: 'completed', answeredAt: '2026-12-05T10:00:12.000Z', endedAt: '2026-12-05T10:02:05.000Z', durationMs: 113_000 }))).toBe('1 min 53 s');
    expect(callDuration(record({ state: 'bridged', answeredAt: '2026-12-05T10:00:12.000Z' }))).toBe('in progress');
  });

  it("is the API's durationMs, as the webhook and the CLI say it, never counted again from the call's times", () => {
    const times = { state: 'ended', outcome: 'completed', answeredAt: '2026-12-05T10:00:12.000Z', endedAt: '2026-12-05T10:02:05.000Z' };
    expect(callDuration(record({ ...times, durationMs: 95_400 }))).toBe('1 min 35 s');
    // No durationMs from the API: the call was never answered, whatever its times say.
    expect(callDuration(record(times))).toBe('not answered');
  });

  it('says not answered for a call that ended without being answered, never 0 s or its ring time', () => {
    expect(callDuration(record({ state: 'ended', outcome: 'no-answer', endedAt: '2026-12-05T10:00:30.000Z' }))).toBe('not answered');
    expect(callDuration(record({ state: 'ended', outcome: 'busy', endedAt: '2026-12-05T10:00:00.400Z' }))).toBe('not answered');
  });

  it('says not started for a call waiting for its time or a retry, or cancelled before its first attempt', () => {
    expect(callDuration(record({ state: 'scheduled', outbound: { attempts: 0, dueAt } }))).toBe('not started');
    expect(callDuration(record({ state: 'scheduled', outbound: { attempts: 1, dueAt } }))).toBe('not started');
    expect(callDuration(record({ state: 'ended', outcome: 'canceled', outbound: { attempts: 0, dueAt }, endedAt: '2026-12-05T10:30:00.000Z' }))).toBe('not started');
    // A call tolk placed counts from when the customer answered, as any call does.
    expect(callDuration(record({ state: 'ended', outcome: 'completed', outbound: { attempts: 1, dueAt }, startedAt: dueAt, answeredAt: '2026-12-05T11:00:20.000Z', endedAt: '2026-12-05T11:03:00.000Z', durationMs: 160_000 }))).toBe('2 min 40 s');
  });
});

describe("a call's time in the History list", () => {
  const dueAt = '2026-12-07T10:30:00.000Z';

  it('is when it started; for a call tolk places, when it is due while it waits, and when it was booked if it never started', () => {
    expect(listedTimeText(record({ state: 'ended', outcome: 'completed' }))).toBe(formatTime('2026-12-05T10:00:00.000Z'));
    expect(listedTimeText(record({ state: 'scheduled', outbound: { attempts: 0, dueAt } }))).toBe(`due ${formatTime(dueAt)}`);
    expect(listedTimeText(record({ state: 'ended', outcome: 'canceled', outbound: { attempts: 0, dueAt } }))).toBe(`booked ${formatTime('2026-12-05T10:00:00.000Z')}`);
    expect(listedTimeText(record({ state: 'ended', outcome: 'completed', outbound: { attempts: 1, dueAt }, startedAt: dueAt }))).toBe(formatTime(dueAt));
  });
});

describe("a call's languages on the History page", () => {
  it('are the two parties\' of a direct call, and every party\'s of a conference, a third party\'s included', () => {
    expect(languagesCell(record({ languages: { caller: 'es', agent: 'en' } }))).toBe('es ↔ en');
    const legs = [
      { role: 'caller', callSid: 'CA1', language: 'es' },
      { role: 'agent', callSid: 'CA2', language: 'en' },
      { role: 'interpreter', callSid: 'CA9', language: 'en' },
      { role: 'participant', callSid: 'CA3', language: 'de' },
    ];
    expect(languagesCell(record({ kind: 'conference', languages: { caller: 'es', agent: 'en' }, legs }))).toBe('es, en, de');
    expect(languagesCell(record({ kind: 'conference', languages: { caller: 'es', agent: 'en' } }))).toBe('-');
  });
});
