/**
 * A live call rebuilt from its record, for the instance adopting it from another (a rolling
 * deploy): who is on which leg, in which language (and how it became known), since when. Pure: the record and the number's
 * settings in, the call's make-up out (or why it cannot be adopted).
 */
import type { NumberSettings } from '../config/numbers';
import { interpretationOf } from '../config/numbers';
import type { CallRecord } from '../store/call-record';
import type { InterpretationMode } from './interpretation-plan';

export type RebuiltCall =
  | {
      kind: 'direct';
      callerLeg: string;
      agentLeg: string;
      from: string;
      callerLanguage: string;
      startedAt: number;
      /** When it was answered (its record's `answeredAt`), ms since the epoch. */
      answeredAt?: number;
    }
  | {
      kind: 'conference';
      conference: string;
      mode: InterpretationMode;
      startedAt: number;
      /** When its parties were connected (its record's `answeredAt`), ms since the epoch. */
      answeredAt?: number;
      /** A conference tolk created for a caller on a tolk number: it ends with the caller. */
      dial?: { callerLeg: string; from: string; number: string; destination: string; callerLanguage: string; agentLanguage: string };
      /** The party tolk dialled for the caller. */
      dialledLeg?: string;
      /** When `dialledLeg` was dialled (ms since the epoch), while it rings: absent once it answered. */
      dialledAt?: number;
      /** Parties whose language is known, with how it became known where it was not given (a leg still ringing is none). */
      parties: { legRef: string; language: string; role: string; languageSource?: string }[];
    };

/** The make-up of the live call `record` (settings: its number's, where it has one); a string says why it cannot be adopted. */
export function rebuildCall(record: CallRecord, settings: NumberSettings | undefined): RebuiltCall | string {
  if (record.state === 'ended' || record.outcome !== undefined) return 'the call has ended';
  const caller = record.legs.find((l) => l.role === 'caller');
  const agent = record.legs.find((l) => l.role === 'agent');
  const startedAt = record.startedAt.getTime();
  const answered = record.answeredAt ? { answeredAt: record.answeredAt.getTime() } : {};
  if (record.kind !== 'conference') {
    if (record.state !== 'bridged') return `the call is ${record.state}, not bridged`;
    if (!caller || !agent) return 'the record does not name both legs';
    return { kind: 'direct', callerLeg: caller.callSid, agentLeg: agent.callSid, from: record.from, callerLanguage: caller.language, startedAt, ...answered };
  }
  if (!record.conference) return 'the record names no conference';
  const parties = record.legs
    .filter((l) => l.role !== 'interpreter' && l.dialledAt === undefined)
    .map((l) => ({ legRef: l.callSid, language: l.language, role: l.role, ...(l.languageSource ? { languageSource: l.languageSource } : {}) }));
  if (!settings || !caller || record.number === '') {
    // A conference tolk joined: its parties as recorded.
    return { kind: 'conference', conference: record.conference, mode: 'whisper', startedAt, ...answered, parties };
  }
  return {
    kind: 'conference',
    conference: record.conference,
    mode: interpretationOf(settings),
    startedAt,
    ...answered,
    dial: { callerLeg: caller.callSid, from: record.from, number: settings.number, destination: settings.destination, callerLanguage: caller.language, agentLanguage: settings.agentLanguage },
    ...(agent ? { dialledLeg: agent.callSid } : {}),
    ...(agent?.dialledAt ? { dialledAt: Date.parse(agent.dialledAt) } : {}),
    parties,
  };
}

/** The languages a direct call's routes translate into: the agent's, then the caller's. */
export function directTargets(settings: NumberSettings, callerLanguage: string): string[] {
  return [settings.agentLanguage, callerLanguage];
}
