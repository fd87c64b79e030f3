/**
 * The calls in progress as the Live page shows them, folded from tolk's call events
 * (`/api/live/events`: a snapshot to replay, then each event). Pure: `applyEvent` returns the next
 * state. Bounded: captions per call, participants who left, calls that ended kept for a while
 * (`ENDED_KEPT`). Each caption keeps the label of its speaker from when it arrived.
 */
import { partyLabel, routeSpeaker } from '../../../src/shared/speaker-label';
import { formatDuration } from './calls';

/** The fields of tolk's call events (src/call/events.ts) the Live page uses. */
export interface WireEvent {
  type: string;
  callId: string;
  conferenceId?: string;
  at: number;
  [field: string]: unknown;
}

export type SessionPhase = 'connecting' | 'open' | 'handing-over' | 'reconnecting' | 'failed' | 'closed';

export interface LiveRoute {
  id: string;
  session?: SessionPhase;
  targetLanguage?: string;
  detectedLanguage?: string;
  /** Latest lag behind the speaker, and every one measured on this route (the newest last, at most 50). */
  lagMs?: number;
  lags: number[];
  /** The utterance being spoken: text so far on each side, and who says it when the event names them. */
  partial?: { source: string; sourceLanguage?: string; translation: string; translationLanguage?: string; participantId?: string };
}

export interface LiveCaption {
  key: number;
  routeId: string;
  participantId?: string;
  /** Who said it, as the call's participants named them when it arrived (see `speakerOf`): one who has left since stays named. */
  speaker: string;
  source: { text: string; languageCode: string };
  translation: { text: string; languageCode: string };
  startMs: number;
}

export interface LiveParticipant {
  id: string;
  role: string;
  /** The call SID of their leg, when the event names it. */
  callSid?: string;
  language?: string;
}

export interface LiveCall {
  id: string;
  conferenceId?: string;
  /** A conference interpreted: its name (or SID), the interpretation in effect, why it differs from the one asked for. */
  conference?: string;
  mode?: string;
  requestedMode?: string;
  fallback?: string;
  /** A conference interpreter's legs, by endpoint (whisperTo: the party it alone is heard by). */
  legs?: Record<string, { whisperTo?: string }>;
  kind?: string;
  number?: string;
  from?: string;
  destination?: string;
  state: string;
  /** A call tolk places whose attempt failed: it is back in `scheduled` until its next attempt is due. */
  retrying?: boolean;
  startedAt: number;
  participants: Record<string, LiveParticipant>;
  /**
   * Participants who left, the latest `GONE_KEPT`: a line tolk names after its speaker left (their
   * last words, translated since) names them still.
   */
  gone?: LiveParticipant[];
  routes: Record<string, LiveRoute>;
  captions: LiveCaption[];
  /**
   * When its parties were connected (ms since the epoch), as its record's `answeredAt` says: a
   * conference's `call.connected`, a direct call's step to `bridged`. Its talk time counts from
   * here; absent while it rings.
   */
  connectedAt?: number;
  /** How tolk saw a conference's parties connected (`call.connected`'s trigger). */
  connectedBy?: string;
  /** Interpretation tolk could not give (`interpreter.unavailable`): to everyone, or to one party (`party`: their call SID). */
  unavailable?: { reason: string; party?: string }[];
  /** `durationMs`: how long it was connected (answered to ended); absent if it was never answered. */
  ended?: { outcome: string; at: number; durationMs?: number };
}

export type LiveCalls = Record<string, LiveCall>;

export const CAPTIONS_KEPT = 100;
export const LAGS_KEPT = 50;
export const GONE_KEPT = 20;
/** Ended calls stay on the Live page this long, then only History has them. */
export const ENDED_KEPT_MS = 5 * 60_000;

let captionKeys = 0;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function text(v: unknown): { text: string; languageCode: string } {
  const o = (v ?? {}) as { text?: unknown; languageCode?: unknown };
  return { text: str(o.text) ?? '', languageCode: str(o.languageCode) ?? '' };
}

function route(call: LiveCall, id: string): LiveRoute {
  return call.routes[id] ?? { id, lags: [] };
}

function withRoute(call: LiveCall, id: string, change: (r: LiveRoute) => LiveRoute): LiveCall {
  return { ...call, routes: { ...call.routes, [id]: change(route(call, id)) } };
}

/** The state after `e`. Events of a call not seen before start it (a snapshot may begin mid-call). */
export function applyEvent(calls: LiveCalls, e: WireEvent): LiveCalls {
  const before = calls[e.callId];
  if (!before && e.type === 'call.ended') return calls;
  const call: LiveCall = before ?? { id: e.callId, state: 'starting', startedAt: e.at, participants: {}, routes: {}, captions: [], ...(e.conferenceId ? { conferenceId: e.conferenceId } : {}) };
  const next = reduce(call, e);
  return next === call && before ? calls : { ...calls, [e.callId]: next };
}

function reduce(call: LiveCall, e: WireEvent): LiveCall {
  const routeId = str(e.routeId) ?? '';
  switch (e.type) {
    case 'call.created':
      return {
        ...call,
        kind: str(e.kind),
        number: str(e.number) || undefined,
        from: str(e.from) || undefined,
        destination: str(e.destination) || undefined,
        conference: str(e.conference),
        mode: str(e.mode) ?? call.mode,
        startedAt: e.at,
      };
    case 'call.moved':
      return e.direction === 'in' ? moved(call, e) : call;
    case 'interpreter.mode':
      return { ...call, mode: str(e.mode), requestedMode: str(e.requestedMode), fallback: str(e.fallback) };
    case 'interpreter.leg': {
      const endpoint = str(e.endpoint) ?? '';
      const { [endpoint]: _gone, ...legs } = call.legs ?? {};
      return { ...call, legs: e.action === 'left' ? legs : { ...legs, [endpoint]: { whisperTo: str(e.whisperTo) } } };
    }
    case 'call.state': {
      const state = str(e.to) ?? call.state;
      // A conference is bridged once interpreted, which may be before its parties are connected (`call.connected`).
      const answered = state === 'bridged' && call.connectedAt === undefined && !isConference(call);
      return { ...call, state, retrying: state === 'scheduled' && e.from === 'calling', ...(answered ? { connectedAt: e.at } : {}) };
    }
    case 'call.connected':
      return { ...call, connectedAt: e.at, connectedBy: str(e.trigger) };
    case 'interpreter.unavailable': {
      const party = str(e.party);
      const others = (call.unavailable ?? []).filter((u) => u.party !== party);
      return { ...call, unavailable: [...others, { reason: str(e.reason) ?? 'no reason given', ...(party ? { party } : {}) }] };
    }
    case 'interpreter.available': {
      const party = str(e.party);
      const left = (call.unavailable ?? []).filter((u) => u.party !== party);
      return { ...call, unavailable: left.length > 0 ? left : undefined };
    }
    case 'call.ended':
    {
      const durationMs = num(e.durationMs);
      return { ...call, state: 'ended', ended: { outcome: str(e.outcome) ?? 'unknown', at: e.at, ...(durationMs === undefined ? {} : { durationMs }) } };
    }
    case 'participant.joined': {
      const id = str(e.participantId) ?? '';
      return { ...call, participants: { ...call.participants, [id]: { id, role: str(e.role) ?? id, callSid: str(e.legRef), language: str(e.language) ?? str(e.provisionalLanguage) } } };
    }
    case 'participant.left': {
      const id = str(e.participantId) ?? '';
      const { [id]: left, ...rest } = call.participants;
      if (!left) return call;
      return { ...call, participants: rest, gone: [...(call.gone ?? []).filter((p) => p.id !== id), left].slice(-GONE_KEPT) };
    }
    case 'participant.language': {
      const id = str(e.participantId) ?? '';
      const p = call.participants[id] ?? { id, role: id };
      return { ...call, participants: { ...call.participants, [id]: { ...p, language: str(e.language) } } };
    }
    case 'session.state':
      return withRoute(call, routeId, (r) => ({ ...r, session: str(e.state) as SessionPhase, targetLanguage: str(e.targetLanguage) || r.targetLanguage }));
    case 'language.detected':
      return withRoute(call, routeId, (r) => ({ ...r, detectedLanguage: str(e.languageCode) }));
    case 'utterance.latency': {
      const ms = num(e.lagMs);
      if (ms === undefined) return call;
      return withRoute(call, routeId, (r) => ({ ...r, lagMs: ms, lags: [...r.lags, ms].slice(-LAGS_KEPT) }));
    }
    case 'utterance.partial': {
      const side = e.side === 'translation' ? 'translation' : 'source';
      const piece = str(e.text) ?? '';
      const lang = str(e.languageCode);
      const participantId = str(e.participantId);
      return withRoute(call, routeId, (r) => {
        const p = { ...(r.partial ?? { source: '', translation: '' }), ...(participantId ? { participantId } : {}) };
        return {
          ...r,
          partial:
            side === 'source'
              ? { ...p, source: p.source + piece, sourceLanguage: lang ?? p.sourceLanguage }
              : { ...p, translation: p.translation + piece, translationLanguage: lang ?? p.translationLanguage },
        };
      });
    }
    case 'utterance.final': {
      const participantId = str(e.participantId);
      const caption: LiveCaption = {
        key: ++captionKeys,
        routeId,
        participantId,
        speaker: speakerOf(call, routeId, participantId),
        source: text(e.source),
        translation: text(e.translation),
        startMs: num(e.startMs) ?? 0,
      };
      const withCaption = { ...call, captions: [...call.captions, caption].slice(-CAPTIONS_KEPT) };
      return withRoute(withCaption, routeId, (r) => ({ ...r, partial: undefined }));
    }
    default:
      return call;
  }
}

/**
 * The instance a call moved to says what the call is (from its record): what a viewer that never
 * saw it start (`call.created`, `call.connected`, its state) knows from here; what it saw stays.
 */
function moved(call: LiveCall, e: WireEvent): LiveCall {
  const was = (typeof e.call === 'object' && e.call !== null ? e.call : undefined) as Record<string, unknown> | undefined;
  if (!was) return call;
  const seenStart = call.kind !== undefined;
  const answeredAt = num(was.answeredAt);
  return {
    ...call,
    kind: call.kind ?? str(e.kind),
    number: call.number ?? (str(was.number) || undefined),
    from: call.from ?? (str(was.from) || undefined),
    destination: call.destination ?? (str(was.destination) || undefined),
    conference: call.conference ?? str(was.conference),
    mode: call.mode ?? str(was.mode),
    startedAt: seenStart ? call.startedAt : (num(was.startedAt) ?? call.startedAt),
    state: call.state === 'starting' ? (str(was.state) ?? call.state) : call.state,
    ...(call.connectedAt === undefined && answeredAt !== undefined ? { connectedAt: answeredAt } : {}),
  };
}

function isConference(call: LiveCall): boolean {
  return call.kind === 'conference' || call.conferenceId !== undefined;
}

/** A snapshot's events folded into a fresh state. */
export function fromSnapshot(events: readonly WireEvent[]): LiveCalls {
  return events.reduce(applyEvent, {} as LiveCalls);
}

/** Drops calls that ended more than ENDED_KEPT_MS ago. */
export function forgetEnded(calls: LiveCalls, now: number): LiveCalls {
  const stale = Object.values(calls).filter((c) => c.ended && now - c.ended.at > ENDED_KEPT_MS);
  if (stale.length === 0) return calls;
  const next = { ...calls };
  for (const c of stale) delete next[c.id];
  return next;
}

/** How a session phase reads on the page. */
export function sessionLabel(phase: SessionPhase | undefined): string {
  switch (phase) {
    case 'open':
      return 'connected';
    case 'handing-over':
      return 'handing over';
    case undefined:
      return 'waiting';
    default:
      return phase;
  }
}

/** What the card of an ended call says after its outcome: how long it was connected (as History counts it), or that it never was. */
export function endedText(ended: NonNullable<LiveCall['ended']>): string {
  return ended.durationMs === undefined ? 'not answered' : `${formatDuration(ended.durationMs)} connected`;
}

/** States in which a call waits for a phone to be answered. */
const RINGING: ReadonlySet<string> = new Set(['calling', 'dialing', 'ringing']);

/**
 * What a call's talk time reads on the page at `now`: how long it has been connected (from its
 * answer, as History counts it, never from its start), that it rings or is not connected yet, or,
 * once it ended, how long it was.
 */
export function talkText(call: LiveCall, now: number): string {
  if (call.ended) return endedText(call.ended);
  if (call.connectedAt !== undefined) return `connected for ${formatDuration(now - call.connectedAt)}`;
  return RINGING.has(call.state) ? 'ringing, not connected yet' : 'not connected yet';
}

const CONNECTED_BY: Record<string, string> = {
  'agent-joined': 'the agent joined the caller',
  'parties-in-room': 'both parties were in the conference',
  'interpreter-joined': "tolk's interpreter joined the parties",
};

/** How a conference's parties were connected, in words; undefined for a direct call (its agent answered). */
export function connectedHow(call: LiveCall): string | undefined {
  return call.connectedBy === undefined ? undefined : (CONNECTED_BY[call.connectedBy] ?? call.connectedBy);
}

/** What an operator should know of the interpretation tolk could not give: to everyone (uninterpreted), or to one party. */
export function unavailableTexts(call: LiveCall): string[] {
  return (call.unavailable ?? []).map(({ reason, party }) => {
    const why = reason.replace(/\.$/, '');
    if (party === undefined) return `Interpretation unavailable: ${why}. The parties talk uninterpreted.`;
    const p = [...Object.values(call.participants), ...(call.gone ?? [])].find((x) => x.callSid === party);
    return `Interpretation unavailable to ${p ? partyLabel(p.role, p.callSid) : `the party on ${party}`}: ${why}. The others are interpreted.`;
  });
}

/** How a call's state reads on the page. */
export function stateLabel(call: LiveCall): string {
  return call.retrying ? 'retrying' : call.state;
}

/**
 * Who said a caption: the participant tolk names (a participant with their call SID), there or
 * lately gone, else the party of a direct call's route (`caller->agent`: the caller), else
 * 'unknown speaker'.
 */
export function speakerOf(call: LiveCall, routeId: string, participantId?: string): string {
  const p = participantId === undefined ? undefined : (call.participants[participantId] ?? call.gone?.find((g) => g.id === participantId));
  return p ? partyLabel(p.role, p.callSid) : routeSpeaker(routeId);
}

/**
 * Who is saying a route's utterance in progress: the participant its events name; where they name
 * none (a conference's route hears the whole room), the one party there who speaks the language
 * heard so far; else as for a final line that names none. The final line may name someone else:
 * tolk decides it with who was there when the words were said.
 */
export function partialSpeaker(call: LiveCall, route: LiveRoute): string {
  const p = route.partial;
  if (p?.participantId) return speakerOf(call, route.id, p.participantId);
  const heard = p?.sourceLanguage && baseLanguage(p.sourceLanguage);
  const speakers = heard ? Object.values(call.participants).filter((x) => x.language !== undefined && baseLanguage(x.language) === heard) : [];
  return speakers.length === 1 ? partyLabel(speakers[0].role, speakers[0].callSid) : speakerOf(call, route.id);
}

/** `en-US` and `en` are one language to tell a speaker by. */
function baseLanguage(code: string): string {
  return code.toLowerCase().split(/[-_]/)[0];
}

export function average(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}
