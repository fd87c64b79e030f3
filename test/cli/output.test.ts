import type { CallWithTranscriptJson, UtteranceJson } from '../../src/cli/api-client';
import { callDetail, callsTable } from '../../src/cli/output';
import { interpreterBlock } from '../../src/cli/commands/conferences';
import { callDuration } from '../../console/src/lib/calls';
import { callJson } from '../helpers/call-json';

const line = (fields: Partial<UtteranceJson>): UtteranceJson => ({
  direction: 'caller->agent',
  source: { text: 'Hola.', languageCode: 'es' },
  translation: { text: 'Hello.', languageCode: 'en' },
  startMs: 1500,
  endMs: 2500,
  ...fields,
});

const call = (transcript: UtteranceJson[]): CallWithTranscriptJson => ({ ...callJson('ended', '2025-01-01T10:00:00.000Z'), transcript, droppedUtterances: 0 });

describe("a transcript line's speaker in tolk calls show", () => {
  it('heads each line of the transcript, and ends it with how far behind the speaker its listener heard it', () => {
    const text = callDetail(
      call([
        line({ speaker: { role: 'caller', callSid: 'CA1' }, lagMs: 1240 }),
        line({ direction: 'to:es', source: { text: 'Hi.', languageCode: 'en' }, translation: { text: 'Hola.', languageCode: 'es' }, startMs: 4000 }),
      ]),
    );
    expect(text).toContain('[00:01.5] caller (es): Hola.\n          -> en: Hello.  (heard 1.2 s behind)\n');
    expect(text).toContain('[00:04.0] unknown speaker (en): Hi.\n          -> es: Hola.\n');
  });
});

describe('tolk calls show, a call whose interpretation failed', () => {
  it('says that it failed and why, in plain words with the setting to check', () => {
    const text = callDetail({ ...call([]), interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } });
    expect(text).toMatch(/^Interpretation\s+failed \(Gemini refused the API key: check GEMINI_API_KEY\)$/m);
    expect(callDetail(call([]))).not.toContain('Interpretation');
  });
});

/** A conference tolk joined: no number, caller or destination of its own, its parties' languages on their legs. */
const joinedConference = (legs: CallWithTranscriptJson['legs']): CallWithTranscriptJson => ({
  ...call([]),
  kind: 'conference',
  conference: 'support-room-7',
  number: '',
  from: '',
  destination: '',
  languages: { caller: '', agent: '' },
  legs,
});

describe('tolk calls for a conference', () => {
  it('show: names the conference and its parties with their languages, not a caller and agent language pair', () => {
    const text = callDetail(
      joinedConference([
        { role: 'caller', callSid: 'CA1', language: 'es' },
        { role: 'participant', callSid: 'CA3', language: 'de', languageSource: 'detected' },
        { role: 'participant', callSid: 'CA4', language: '' },
        { role: 'interpreter', callSid: 'CA9', language: '' },
      ]),
    );
    expect(text).toContain('Conference  support-room-7\n');
    expect(text).toContain('Parties     caller CA1 (es); participant CA3 (de, detected); participant CA4 (language not known)\n');
    expect(text).not.toMatch(/Languages|Number|From|Destination|CA9/);
  });

  it('list: the languages its parties speak, and a dash for its empty number and caller', () => {
    const joined = joinedConference([
      { role: 'caller', callSid: 'CA1', language: 'es' },
      { role: 'participant', callSid: 'CA3', language: 'de' },
      { role: 'agent', callSid: 'CA2', language: 'es' },
      { role: 'interpreter', callSid: 'CA9', language: 'en' },
    ]);
    const [, row] = callsTable([{ ...joined, endedAt: '2025-01-01T10:05:00.000Z' }]).trimEnd().split('\n');
    expect(row.split(/\s{2,}/)).toEqual(['c1', expect.any(String) as string, '-', '-', 'es,de', 'ended', 'not answered']);
    expect(callsTable([call([])])).toContain('es<>en');
  });
});

describe("tolk calls list's OUTCOME", () => {
  const outcomeCell = (fields: Partial<CallWithTranscriptJson>): string => callsTable([{ ...call([]), ...fields }]).trimEnd().split('\n')[1].split(/\s{2,}/)[5];

  it('says a call in progress is live, with its state, never the state alone as if it had ended so', () => {
    expect(outcomeCell({ state: 'bridged' })).toBe('live (bridged)');
    expect(outcomeCell({ state: 'answered' })).toBe('live (answered)');
    expect(outcomeCell({ kind: 'conference', conference: 'room', state: 'joining' })).toBe('live (joining)');
    expect(outcomeCell({ kind: 'conference', conference: 'room', state: 'live' })).toBe('live');
  });

  it('says how an ended call ended, and what a call tolk places waits for', () => {
    expect(outcomeCell({ state: 'ended', outcome: 'completed' })).toBe('completed');
    expect(outcomeCell({ state: 'ended', outcome: 'busy', endReason: 'the agent was busy' })).toBe('busy');
    const outbound = { dueAt: '2026-12-07T10:30:00.000Z', retries: 1, retryAfterSec: 60 };
    expect(outcomeCell({ state: 'scheduled', outbound: { ...outbound, attempts: 0 } })).toBe('scheduled');
    expect(outcomeCell({ state: 'scheduled', outbound: { ...outbound, attempts: 1 } })).toBe('retrying');
  });
});

describe("tolk calls list's TALK and show's Talk", () => {
  const talk = (fields: Partial<CallWithTranscriptJson>) => {
    const c = { ...call([]), outcome: 'completed', answeredAt: '2025-01-01T10:00:12.000Z', endedAt: '2025-01-01T10:02:05.000Z', ...fields };
    return { cell: callsTable([c]).trimEnd().split('\n')[1].split(/\s{2,}/).at(-1), line: /^Talk\s+(.*)$/m.exec(callDetail(c))?.[1] };
  };

  it("are the API's durationMs, never counted again from the call's times", () => {
    expect(talk({ durationMs: 95_400 })).toEqual({ cell: '1:35', line: '1:35' });
    // No durationMs from the API: the call was never answered, whatever its times say.
    expect(talk({})).toEqual({ cell: 'not answered', line: 'not answered' });
  });

  it("say what the console's History says of a call in progress and of one tolk has yet to place", () => {
    const live = { state: 'bridged', outcome: undefined, endedAt: undefined };
    expect(talk(live)).toEqual({ cell: 'in progress', line: 'in progress' });
    expect(callDuration({ ...call([]), ...live })).toBe('in progress');
    const waiting = { state: 'scheduled', outcome: undefined, answeredAt: undefined, endedAt: undefined, outbound: { at: '2025-01-02T10:00:00.000Z', dueAt: '2025-01-02T10:00:00.000Z', attempts: 0, retries: 0, retryAfterSec: 60 } };
    expect(talk(waiting)).toEqual({ cell: 'not started', line: 'not started' });
    expect(callDuration({ ...call([]), ...waiting })).toBe('not started');
  });
});

describe("a direct call's languages in tolk calls list and show", () => {
  it('are the ones its parties spoke (the caller chose German in the menu), with the configured one beside a change', () => {
    const chose = { ...call([]), legs: [{ role: 'caller', callSid: 'CA1', language: 'de', languageSource: 'menu' }, { role: 'agent', callSid: 'CA2', language: 'en' }] };
    expect(callsTable([chose])).toContain('de<>en');
    expect(callDetail(chose)).toMatch(/Languages\s+caller de \(configured es\), agent en\n/);
    expect(callDetail(call([]))).toMatch(/Languages\s+caller es, agent en\n/);
  });
});

describe('a call tolk places, in tolk calls list and show', () => {
  const booked = '2026-12-05T09:00:00.000Z';
  const due = '2026-12-07T10:30:00.000Z';
  const placed = (fields: Partial<CallWithTranscriptJson>, attempts = 0): CallWithTranscriptJson => ({
    ...call([]),
    state: 'scheduled',
    startedAt: booked,
    outbound: { at: due, dueAt: due, attempts, retries: 1, retryAfterSec: 60 },
    ...fields,
  });
  const startedCell = (c: CallWithTranscriptJson): string => callsTable([c]).trimEnd().split('\n')[1].split(/\s{2,}/)[1];

  it('waiting for its time: when it is due, not when it was booked as if it had started', () => {
    const waiting = placed({});
    expect(startedCell(waiting)).toBe('due 2026-12-07 10:30:00Z');
    const shown = callDetail(waiting);
    expect(shown).toMatch(/^Booked\s+2026-12-05 09:00:00Z$/m);
    expect(shown).toMatch(/^Due\s+2026-12-07 10:30:00Z$/m);
    expect(shown).not.toMatch(/^Started/m);
    expect(shown).toMatch(/^Transcript: none yet$/m);
  });

  it('waiting to try again: when its last attempt started, and when the next is due', () => {
    const retrying = placed({ startedAt: due, outbound: { at: due, dueAt: '2026-12-07T10:31:00.000Z', attempts: 1, retries: 1, retryAfterSec: 60 } });
    expect(startedCell(retrying)).toBe('due 2026-12-07 10:31:00Z');
    expect(callDetail(retrying)).toMatch(/^Started\s+2026-12-07 10:30:00Z\nDue\s+2026-12-07 10:31:00Z$/m);
  });

  it('canceled before it started: when it was booked, never a start', () => {
    const canceled = placed({ state: 'ended', outcome: 'canceled', endReason: 'canceled before it started', endedAt: '2026-12-06T08:00:00.000Z' });
    expect(startedCell(canceled)).toBe('booked 2026-12-05 09:00:00Z');
    const shown = callDetail(canceled);
    expect(shown).toMatch(/^Outcome\s+canceled: canceled before it started\nBooked\s+2026-12-05 09:00:00Z\nEnded\s+2026-12-06 08:00:00Z$/m);
    expect(shown).not.toMatch(/^(Started|Due)/m);
    // Over, without a line: there will be none.
    expect(shown).toMatch(/^Transcript: none$/m);
  });

  it('once started: when it started, as any call', () => {
    const started = placed({ state: 'ended', outcome: 'completed', startedAt: due, endedAt: '2026-12-07T10:33:00.000Z' }, 1);
    expect(startedCell(started)).toBe('2026-12-07 10:30:00Z');
    expect(callDetail(started)).toMatch(/^Started\s+2026-12-07 10:30:00Z$/m);
  });
});

describe('tolk conferences show', () => {
  it('names each participant with their role in the call and their language, detecting while not known', () => {
    const text = interpreterBlock({
      callId: 'c1',
      conference: 'room',
      state: 'live',
      mode: 'whisper',
      requestedMode: 'whisper',
      participants: [
        { callSid: 'CA1', language: 'es', role: 'caller' },
        { callSid: 'CA2', language: 'en', role: 'agent' },
        { callSid: 'CA3', role: 'participant' },
      ],
      sessions: [],
      latencyMs: {},
      lagMs: {},
      legs: [],
    });
    expect(text).toContain('Participants caller CA1 (es), agent CA2 (en), participant CA3 (detecting)\n');
  });

  it("gives each session's mean lag and latency where measured, and nothing where not", () => {
    const text = interpreterBlock({
      callId: 'c1',
      conference: 'room',
      state: 'live',
      mode: 'open',
      requestedMode: 'open',
      participants: [],
      sessions: [
        { language: 'en', state: 'open' },
        { language: 'es', state: 'connecting' },
      ],
      latencyMs: { en: 0 },
      lagMs: { en: 1240 },
      legs: [],
    });
    expect(text).toContain('Sessions     en open (lag 1.2 s, latency 0 ms), es connecting\n');
  });
});

describe('which instance serves a call, in tolk calls show', () => {
  it('names the instance, and each move of a rolling deploy from one instance to another', () => {
    const moved = { ...call([]), state: 'bridged', instance: 'tolk-2', moves: [{ from: 'tolk-1', to: 'tolk-2', at: '2025-01-01T10:00:31.000Z' }] };
    expect(callDetail(moved)).toMatch(/^State\s+bridged\nInstance\s+tolk-2\nMoved\s+tolk-1 -> tolk-2 at 2025-01-01 10:00:31Z$/m);
    const stayed = { ...call([]), instance: 'tolk-1' };
    expect(callDetail(stayed)).toMatch(/^Instance\s+tolk-1$/m);
    expect(callDetail(stayed)).not.toContain('Moved');
  });
});
