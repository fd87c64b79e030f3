/**
 * What a newcomer needs to know about one call in progress, kept as the call's own events in a
 * compacted form: the latest event of each kind that replaces the previous one (the call's state,
 * each participant, each route's session state, detected language and latency), the last
 * `maxFinals` final utterances, and each route's partial text since its last final merged into
 * one event per side. Replaying `events()` to a reducer that follows the live stream gives the
 * same picture as having followed the call from its start. Pure and bounded.
 */
import type { CallEvent, CallEventOf } from '../call/events';

export interface CallDigestLimits {
  /** Final utterances kept (the newest). */
  maxFinals: number;
  /** Characters of partial text kept per route and side (the newest). */
  maxPartialChars: number;
  /** Participants and routes kept (a call has a handful; this only bounds a misbehaving one). */
  maxKeys: number;
}

export const DEFAULT_DIGEST_LIMITS: CallDigestLimits = { maxFinals: 50, maxPartialChars: 2000, maxKeys: 200 };

type Partial = CallEventOf<'utterance.partial'>;

export class CallDigest {
  /** Latest event per key (`call.state`, `participant:<id>`, `session:<route>`, ...), in first-seen order. */
  private readonly latest = new Map<string, CallEvent>();
  private finals: CallEventOf<'utterance.final'>[] = [];
  /** Partial text since the route's last final: `<route>|<side>`. */
  private readonly partials = new Map<string, Partial>();

  constructor(private readonly limits: CallDigestLimits = DEFAULT_DIGEST_LIMITS) {}

  add(e: CallEvent): void {
    switch (e.type) {
      case 'call.created':
        this.keep('call', e);
        return;
      case 'call.state':
        this.keep('state', e);
        return;
      case 'call.connected':
        this.keep('connected', e);
        return;
      case 'call.moved':
        // The instance serving it now says what the call is: a newcomer who never saw it start needs it.
        this.keep(`moved:${e.direction}`, e);
        return;
      case 'interpreter.unavailable':
        this.keep(e.party === undefined ? 'unavailable' : `unavailable:${e.party}`, e);
        return;
      case 'interpreter.available':
        this.latest.delete(e.party === undefined ? 'unavailable' : `unavailable:${e.party}`);
        return;
      case 'participant.joined':
        this.keep(`participant:${e.participantId}`, e);
        return;
      case 'participant.left':
        for (const key of [`participant:${e.participantId}`, `language:${e.participantId}`]) this.latest.delete(key);
        return;
      case 'participant.language':
        this.keep(`language:${e.participantId}`, e);
        return;
      case 'language.detected':
        this.keep(`detected:${e.routeId}`, e);
        return;
      case 'utterance.latency':
        this.keep(`latency:${e.routeId}`, e);
        return;
      case 'session.state':
        this.keep(`session:${e.routeId}`, e);
        return;
      case 'utterance.partial':
        this.partial(e);
        return;
      case 'utterance.final':
        this.partials.delete(`${e.routeId}|source`);
        this.partials.delete(`${e.routeId}|translation`);
        this.finals = this.finals.length >= this.limits.maxFinals ? [...this.finals.slice(1 - this.limits.maxFinals), e] : [...this.finals, e];
        return;
      default: {
        // Any other kind (a conference interpreter's legs and mode, ...): the latest per kind and subject.
        const other = e as CallEvent & { endpoint?: unknown; routeId?: unknown; participantId?: unknown };
        const subject = [other.endpoint, other.routeId, other.participantId].find((v): v is string => typeof v === 'string');
        this.keep(`${other.type}:${subject ?? ''}`, other);
        return;
      }
    }
  }

  /** The call so far, as events in an order a reducer can replay. */
  events(): CallEvent[] {
    return [...this.latest.values(), ...this.finals, ...this.partials.values()];
  }

  private keep(key: string, e: CallEvent): void {
    if (!this.latest.has(key) && this.latest.size >= this.limits.maxKeys) return;
    this.latest.set(key, e);
  }

  private partial(e: Partial): void {
    const key = `${e.routeId}|${e.side}`;
    const before = this.partials.get(key);
    if (!before && this.partials.size >= this.limits.maxKeys) return;
    const text = (before?.text ?? '') + e.text;
    this.partials.set(key, { ...e, text: text.length > this.limits.maxPartialChars ? text.slice(-this.limits.maxPartialChars) : text, languageCode: e.languageCode ?? before?.languageCode });
  }
}
