/**
 * One typed stream of call events. Every event is a plain, JSON-serialisable object carrying its
 * call id (and conference id when there is one) and the time it happened, so a relay (e.g. Redis
 * pub/sub between instances) can carry it unchanged to subscribers elsewhere. Transcripts, metrics
 * and logs are subscribers (subscribers/); the HTTP layer can stream the same events to a console.
 *
 * Events are published per call lifecycle step, utterance and session change, never per audio
 * frame. Subscribers are called synchronously, in subscription order; one that returns a promise
 * (e.g. a database write) is tracked, and a call waits for its subscribers' work (`settle`)
 * before it reports that it has ended.
 */
import type { Logger } from '../log/logger';
import { connectedMs, type ConnectedTimes } from '../shared/call-duration';
import type { CallOutcome } from '../store/call-record';
import type { SessionFailureKind, SessionStats } from './ports/translation';

interface EventBase {
  callId: string;
  /** The conference the call interprets, when it is one. */
  conferenceId?: string;
  /** Wall-clock time of the event, ms since the epoch. */
  at: number;
}

/** What a route's translation session is doing. */
export type SessionPhase = 'connecting' | 'open' | 'handing-over' | 'reconnecting' | 'failed' | 'closed';

export type CallEvent = EventBase &
  (
    | { type: 'call.created'; kind: 'direct'; number: string; from: string; destination: string }
    /** A conference interpreted: one tolk created for a caller on `number`, or one it joined (number, from, destination empty). */
    | { type: 'call.created'; kind: 'conference'; number: string; from: string; destination: string; conference: string; mode: 'whisper' | 'open' }
    /** An interpreter leg of a conference connected or went away (`whisperTo`: the party it alone is heard by). */
    | { type: 'interpreter.leg'; endpoint: string; legRef: string; action: 'joined' | 'left'; whisperTo?: string }
    /**
     * Every interpreter leg of the conference failed for good (`reason`: the last refusal): the
     * parties were told interpretation is unavailable, and talk uninterpreted. With `party` (its
     * leg): that party's own interpreter leg failed for good while others are interpreted; they
     * alone were told.
     */
    | { type: 'interpreter.unavailable'; reason: string; told: string[]; party?: string }
    /**
     * Interpretation is back after `interpreter.unavailable` (a leg refused for now was asked for
     * again and joined): for the whole call, or with `party` for that party alone. `told`: the
     * parties told so (each once a leg reaching them is connected).
     */
    | { type: 'interpreter.available'; told: string[]; party?: string }
    /** The interpretation in effect changed from the one asked for (`fallback`: why). */
    | { type: 'interpreter.mode'; mode: 'whisper' | 'open'; requestedMode: 'whisper' | 'open'; fallback?: string }
    /** A step of the call's state machine. */
    | { type: 'call.state'; from: string; to: string; trigger: string; status?: string; outcome?: CallOutcome }
    /**
     * The parties of a conference can talk: both are in the room (`trigger` says how tolk saw it),
     * interpreted or not. Its time is the record's `answeredAt`: a conference's talk time counts
     * from it, not from its interpretation starting (`call.state` to 'bridged').
     */
    | { type: 'call.connected'; trigger: 'agent-joined' | 'parties-in-room' | 'interpreter-joined' }
    /**
     * The live call moved between instances (a rolling deploy): published by the instance it left
     * ('out', once it let go) and by the one serving it now ('in'), which adds what the call is
     * (`call`, from its record): a viewer that never saw its `call.created` and `call.connected`
     * (one started since) learns them from here. It is no new call: nothing counts it as one.
     */
    | { type: 'call.moved'; kind: 'direct' | 'conference'; from: string; to: string; direction: 'in' | 'out'; call?: MovedCall }
    /**
     * Published once everything is released and every earlier event's subscribers have finished.
     * `durationMs`: how long the call was connected (shared/call-duration.ts), absent for a call never answered.
     */
    | { type: 'call.ended'; outcome: CallOutcome; reason: string; durationMs?: number }
    /**
     * A person joined: `language` once known (else `provisionalLanguage`, spoken to them meanwhile),
     * with `languageSource` where it was not given (as `participant.language` said it before, on the
     * instance a call moved from), `legRef`/`streamRef` when tolk holds their own media.
     */
    | { type: 'participant.joined'; participantId: string; role: string; language?: string; languageSource?: string; provisionalLanguage?: string; legRef?: string; streamRef?: string }
    | { type: 'participant.left'; participantId: string }
    /**
     * The phone network accepted a leg tolk dialled, before anyone is on it (the customer of a call
     * tolk places, the agent of a direct call or dialled into a conference tolk created for its
     * caller; ringing): the
     * record lists it from now on, so that it can be hung up should the instance serving the call
     * stop, and an instance the call moves to waits on it rather than dialling again. `language`:
     * the one the leg is to speak, as far as known.
     */
    | { type: 'leg.dialled'; role: 'caller' | 'agent'; legRef: string; language: string }
    /** A participant's language became known or changed (`source`: how it was decided). */
    | { type: 'participant.language'; participantId: string; language: string; previous?: string; source: string }
    /** Text of the utterance in progress on a route, as it arrives (each piece follows the previous). */
    | { type: 'utterance.partial'; routeId: string; participantId?: string; side: 'source' | 'translation'; text: string; languageCode?: string }
    /** A final utterance with its translation; times are ms since the call started. */
    | {
        type: 'utterance.final';
        routeId: string;
        participantId?: string;
        source: { text: string; languageCode: string };
        translation: { text: string; languageCode: string };
        startMs: number;
        endMs: number;
        /** The first delays measured on the route since its previous final utterance (see `utterance.latency`), when there were any. */
        latencyMs?: number;
        lagMs?: number;
      }
    /**
     * The listeners started hearing translated speech. `latencyMs`: from the end of the speaker's
     * speech (0 while they still talk); `lagMs`: from its start, when that is known.
     */
    | { type: 'utterance.latency'; routeId: string; participantId?: string; latencyMs: number; lagMs?: number }
    /** The language a route's speaker speaks, as its translation session detected it. */
    | { type: 'language.detected'; routeId: string; participantId?: string; languageCode: string; targetLanguage?: string; sameAsTarget: boolean }
    | {
        type: 'session.state';
        routeId: string;
        /** One route may use several sessions in turn (its target language changed). */
        sessionId: string;
        targetLanguage: string;
        state: SessionPhase;
        kind?: SessionFailureKind;
        reason?: string;
        /** On 'closed'. */
        stats?: SessionStats;
      }
  );

/** What a call that moved is (see `call.moved`): as its `call.created` said, its state, and its times (ms since the epoch). */
export interface MovedCall {
  number: string;
  from: string;
  destination: string;
  conference?: string;
  mode?: 'whisper' | 'open';
  state: string;
  startedAt: number;
  /** When its parties were connected (its record's `answeredAt`), once they were. */
  answeredAt?: number;
}

export type CallEventOf<T extends CallEvent['type']> = Extract<CallEvent, { type: T }>;

/** An event before it is stamped with its call, conference and time (see `stamp`). */
export type UnstampedCallEvent = CallEvent extends infer E ? (E extends unknown ? Omit<E, 'callId' | 'conferenceId' | 'at'> : never) : never;

export function stamp(event: UnstampedCallEvent, ids: { callId: string; conferenceId?: string }, at: number): CallEvent {
  return { ...event, callId: ids.callId, ...(ids.conferenceId ? { conferenceId: ids.conferenceId } : {}), at };
}

/** A call's `call.ended`, with how long it was connected when it was answered (see `connectedMs`). */
export function callEnded(outcome: CallOutcome, reason: string, times: ConnectedTimes): Omit<CallEventOf<'call.ended'>, 'callId' | 'conferenceId' | 'at'> {
  const durationMs = connectedMs(times);
  return { type: 'call.ended', outcome, reason, ...(durationMs === undefined ? {} : { durationMs }) };
}

/** May return a promise: the call waits for it before it reports that it has ended. */
export type CallEventListener = (event: CallEvent) => void | Promise<unknown>;

export interface CallEventSource {
  /** Every event from now on (of one call only, with `callId`); returns the unsubscribe function. */
  subscribe(listener: CallEventListener, filter?: { callId?: string }): () => void;
}

interface Subscription {
  listener: CallEventListener;
  callId: string | undefined;
}

export class CallEventBus implements CallEventSource {
  private subscriptions: Subscription[] = [];
  /** Work subscribers are still doing, per call. */
  private readonly pending = new Map<string, Set<Promise<void>>>();

  constructor(private readonly logger: Logger) {}

  subscribe(listener: CallEventListener, filter: { callId?: string } = {}): () => void {
    const sub: Subscription = { listener, callId: filter.callId };
    this.subscriptions = [...this.subscriptions, sub];
    return () => {
      this.subscriptions = this.subscriptions.filter((s) => s !== sub);
    };
  }

  publish(event: CallEvent): void {
    const subs = this.subscriptions;
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i];
      if (sub.callId !== undefined && sub.callId !== event.callId) continue;
      try {
        const result = sub.listener(event);
        if (result) this.track(event, result);
      } catch (err) {
        this.failed(event, err);
      }
    }
  }

  /** Resolves once the work subscribers started for `callId`'s events so far has finished. */
  async settle(callId: string): Promise<void> {
    for (let set = this.pending.get(callId); set && set.size > 0; set = this.pending.get(callId)) await Promise.all([...set]);
  }

  /**
   * Resolves once every subscriber's work, for every call, has finished (work started meanwhile
   * included): at shutdown, before what the subscribers write to is closed.
   */
  async settleAll(): Promise<void> {
    for (let sets = [...this.pending.values()]; sets.length > 0; sets = [...this.pending.values()]) {
      await Promise.all(sets.flatMap((set) => [...set]));
    }
  }

  private track(event: CallEvent, work: Promise<unknown>): void {
    let set = this.pending.get(event.callId);
    if (!set) this.pending.set(event.callId, (set = new Set()));
    const tracked = work.then(
      () => undefined,
      (err: unknown) => this.failed(event, err),
    );
    set.add(tracked);
    void tracked.finally(() => {
      set.delete(tracked);
      if (set.size === 0 && this.pending.get(event.callId) === set) this.pending.delete(event.callId);
    });
  }

  private failed(event: CallEvent, err: unknown): void {
    this.logger.error({ event: 'call.event_subscriber_failed', callId: event.callId, callEvent: event.type, err }, 'a call event subscriber failed');
  }
}
