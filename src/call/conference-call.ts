/**
 * A conference tolk interprets: the parties talk in a conference the telephony runs (they hear
 * each other's own voices there, undelayed), and tolk joins it with interpreter legs that play the
 * translations. Another configuration of the call graph (call-graph.ts):
 *
 *   participants  the conference's parties, each with a language (known, or detected)
 *   endpoints     the interpreter legs: whisper, one per party, heard by that party alone; open,
 *                 one speaking into the room. Each hears the room but itself, so what tolk plays
 *                 never comes back to be translated again
 *   voice links   none: the conference carries the voices
 *   routes        one per language spoken (interpretation-plan.ts), silent on speech already in it;
 *                 a new one is given the room's utterance in progress (what no route into its
 *                 language translated), so a party who joins while someone talks hears it from
 *                 its first word. Moved to another instance mid-utterance, the room's utterance in
 *                 progress is handed over, and the routes there start with it (see `speechInProgress`)
 *
 * A conference tolk created for a caller on a tolk number (`dial`) ends when the caller leaves or
 * the party dialled for them leaves; tolk dials that party once the caller is in, and waits for
 * them until their ring deadline (on the instance the call moves to as well). A conference tolk
 * joined is never ended by tolk: it leaves when asked, when the conference ends, or when no party
 * is left. Whisper falls back to open when the telephony refuses to whisper, and says why.
 *
 * The call's record says why it ended as the parties saw it (the caller hung up, the agent was
 * busy, the conference ended...): the first sign of it is noted (`ending`), whichever report comes
 * first. A conference ending hangs up tolk's interpreter legs too, and their media often ends before
 * the conference reports why: with every leg gone and no reason noted, tolk asks the phone network
 * where the parties are before it says.
 */
import type { Logger } from '../log/logger';
import type { CallOutcome } from '../store/call-record';
import { AdoptionJoin } from './adoption-join';
import { CallGraph } from './call-graph';
import { DEFAULT_STEP_TIMEOUT_MS, findLeg, startDeadline } from './deadline';
import { TICK_FAILED, graphServices, type CallDeps } from './direct-call';
import { HandedSpeech } from './handed-speech';
import { callEnded, stamp, type CallEvent, type UnstampedCallEvent } from './events';
import { languagesOf, planInterpretation, type InterpretationMode, type InterpretationPlan } from './interpretation-plan';
import { sameLanguage } from './caller-language';
import { message, sayLocale } from './messages';
import { DEDUCED, DETECTED, SPOKEN, SpeakerLedger } from './speaker-ledger';
import { HAND_OVER_SPEECH_MS, InterpreterLegRefusedError, WhisperRefusedError, type ConferenceEvent, type LeaveCause, type ConferenceTelephony, type LegStatus, type ParticipantMedia, type SpeechHandOver } from './ports';
import { SAMPLE_RATE } from '../audio/frame';
import { SpeechLeadIn } from '../audio/speech-lead-in';

/** Why a conference ended, in the words its record keeps (`endReason`). */
export const CONFERENCE_ENDS = {
  callerHungUp: 'the caller hung up',
  callerHungUpRinging: 'the caller hung up before the agent answered',
  agentHungUp: 'the agent hung up',
  conferenceEnded: 'the conference ended',
  lastPartyLeft: 'the last party left',
  /** tolk's interpreter legs dropped while the parties were still there: the conference goes on without it. */
  legsLeft: 'every interpreter leg has left',
  /** tolk's interpreter legs dropped, and neither the phone network nor the conference said where the parties were. */
  legsLost: 'tolk lost its interpreter legs',
} as const;

/** Why an adoption fails when the adopted call's frame tick throws before its interpreter legs have joined. */
export const ADOPT_TICK_FAILED = "the call's audio processing threw on the instance adopting it before its interpreter legs had joined";

/** How long the call waits for the phone network to say why every interpreter leg left (see `everyLegGone`). */
const LEGS_GONE_LOOKUP_MS = 2000;

/**
 * How many lines in a row, in one language, put down to a party whose language is not known make it
 * theirs (see `lineSaid`): one line the speech reports put on them by mistake (someone else talking
 * as they did) does not.
 */
const LINES_TO_KNOW = 2;

/** The most parties who left with no language known that a line of theirs can still name (see `departed`). */
const MAX_DEPARTED = 16;

/**
 * How long after an interpreter leg was refused for now (Twilio 429/5xx past the dial queue's own
 * retries) the call asks for its refused legs again: after each wait in turn, from the refusal
 * before it (see `retryLegs`).
 */
export const LEG_RETRY_MS: readonly number[] = [15_000, 30_000, 60_000];

/** No retry of refused legs starts later than this after the first refusal for now. */
export const LEG_RETRY_WINDOW_MS = 5 * 60_000;

export interface ConferenceCallDeps extends CallDeps {
  conferences: ConferenceTelephony;
  /** The waits before the refused legs are asked for again (default `LEG_RETRY_MS`). */
  legRetryMs?: readonly number[];
  /**
   * Whether a TOLK_MAX_CALLS line is free for an uninterpreted call to take again while it asks for
   * its legs anew (default: always).
   */
  lineFree?: () => boolean;
}

export interface ConferencePartyInit {
  legRef: string;
  language?: string;
  /**
   * How `language` became known, where it was not given (a call adopted from another instance):
   * 'detected' says it may be another party's (see speaker-ledger.ts).
   */
  languageSource?: string;
  role?: string;
}

export interface ConferenceCallInit {
  id: string;
  /** The conference's name or ref, as the telephony addresses it. */
  conference: string;
  requestedMode: InterpretationMode;
  /** The number interpreter legs (and a dialled party) are placed from. */
  callerId: string;
  /** Parties whose language is given (the rest are detected). */
  parties?: ConferencePartyInit[];
  /** Languages spoken in the conference besides the parties' given ones. */
  languages?: string[];
  /** A conference tolk created for a caller: it dials `destination` once the caller is in. */
  dial?: { callerLeg: string; from: string; number: string; destination: string; callerLanguage: string; agentLanguage: string };
  /** The most languages served at once. */
  maxLanguages: number;
  /**
   * The call is adopted from instance `from` (the directory named it as serving the call when it
   * was taken over): `dialledLeg` is the party dialled for the caller (in the conference, or still
   * ringing since `dialledAt`, ms since the epoch), `startedAt` (ms since the epoch) the call's
   * start, `told` the parties (their legs) the other instance told that interpretation is
   * unavailable to them.
   */
  adopted?: { from: string; dialledLeg?: string; dialledAt?: number; startedAt: number; answeredAt?: number; generation: number; told?: readonly string[] };
}

/**
 * `joining` until an interpreter leg is connected (`live`); `uninterpreted` once every interpreter
 * leg was refused before one was: the parties talk without tolk; `live` again should a leg refused
 * for now and asked for again join.
 */
export type ConferenceCallState = 'joining' | 'live' | 'uninterpreted' | 'ended';

/** What a conference's record adds to why it ended when it was never interpreted. */
export const UNINTERPRETED = 'uninterpreted: every interpreter leg failed';

interface Party {
  id: string;
  legRef: string;
  role: string;
  language?: string;
  present: boolean;
  /** Lines put down to them in a row while their language is not known: in which language, and how many on each route. */
  heard?: { language: string; lines: Map<string, number> };
}

interface InterpreterLeg {
  endpoint: string;
  whisperTo?: string;
  legRef?: string;
  attached: boolean;
  /** The leg was asked to leave (or never came): not requested again for this plan entry. */
  dropped: boolean;
  /** Why its placement was refused (see `InterpreterLegRefusedError`); absent: it was not. */
  refusal?: string;
  /** The refusal may pass (Twilio 429/5xx): the leg is asked for again later (see `retryLegs`). */
  refusedForNow?: boolean;
}

export class ConferenceCall {
  readonly id: string;
  readonly conference: string;
  readonly requestedMode: InterpretationMode;
  readonly created: boolean;
  /** The instance the call was adopted from; undefined: it started here. */
  readonly adoptedFrom: string | undefined;
  private modeValue: InterpretationMode;
  private fallbackReason: string | undefined;
  private conferenceRef: string | undefined;
  private stateValue: ConferenceCallState = 'joining';
  private readonly graph: CallGraph;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  /**
   * When the parties were connected (ms since the epoch), as the record's `answeredAt` says (see
   * `partiesConnected`): the call's talk time counts from it.
   */
  private answeredAt: number | undefined;
  private readonly parties = new Map<string, Party>();
  /** Who was in the conference when, speaking what: who a transcript line can be put down to. */
  private readonly speakers = new SpeakerLedger();
  private readonly known = new Map<string, ConferencePartyInit>();
  private readonly legs = new Map<string, InterpreterLeg>();
  /** Telephony requests in flight: an unknown leg that joins is classified once they settle. */
  private pending = new Set<Promise<unknown>>();
  private dialledLeg: string | undefined;
  private dialledAnswered = false;
  /** The dialled party's ring deadline (see `ringDeadline`), while their leg rings. */
  private ringing: NodeJS.Timeout | undefined;
  private outcome: CallOutcome | undefined;
  /** Why the call is ending, as first learnt: the reason its end is recorded with. */
  private ending: string | undefined;
  /** Every interpreter leg has gone: the call only waits to learn why before it ends. */
  private legsGone = false;
  /** Why interpretation is unavailable, once every interpreter leg failed for good (see `legRefused`). */
  private unavailable: string | undefined;
  /**
   * Parties (by leg) told that interpretation is unavailable to them: each is told once, on
   * whichever instance serves the call (the set moves with it, see `told`).
   */
  private readonly toldUnavailable: Set<string>;
  /**
   * Asking again for the legs refused for now: how many tries were made, until when one may start
   * (ms since the epoch), and the timer of the next.
   */
  private legRetry: { tries: number; until: number; timer?: NodeJS.Timeout; over?: boolean } | undefined;
  /** Wakes the wait of `everyLegGone` once why the call is ending is known, or it has ended. */
  private endingNoted: (() => void) | undefined;
  /**
   * Parties who left before their language was known, by id: a line put down to one of them since
   * (they spoke, then hung up) still tells their language, for the record. The latest few only.
   */
  private readonly departed = new Map<string, Party>();
  private endedListeners: ((call: ConferenceCall) => void)[] = [];
  private released: Promise<void> | undefined;
  private partyCount = 0;
  /** Languages served that no party is known to speak (given, or heard before a speaker was known). */
  private hinted: string[];
  private unwatch: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  /** Each route's session state and latencies so far, from the call's own events. */
  private readonly sessionStates = new Map<string, string>();
  private readonly latencies = new Map<string, { sum: number; n: number; lagSum: number; lagN: number }>();
  /** The joining state's deadline (see `joiningDeadline`), or the uninterpreted state's next look-up (see `stillOn`). */
  private deadline: NodeJS.Timeout | undefined;
  /** TOLK_STEP_TIMEOUT_SEC: how long a state waiting on the phone network waits before asking it. */
  private readonly stepMs: number;
  /**
   * The interpreter legs are moving to another instance: their ending is the move (until
   * `stayAfterAll`; `left`: the legs whose media ended meanwhile), and a frame tick that throws ends
   * nothing yet (`tickFailed`: one did).
   */
  private moving: { left: Set<InterpreterLeg>; tickFailed: boolean } | undefined;
  /**
   * Adopted: settles once every interpreter leg of the plan is connected here (undefined), or with
   * why the adoption fails (every one was refused for good, or the frame tick threw).
   */
  private joined: AdoptionJoin | undefined;
  /**
   * The room's speech in progress, as a connected interpreter leg hears it (each hears the whole
   * room, so another one carries on when that one goes).
   */
  private room: { endpoint: string; speech: SpeechLeadIn; stop: () => void } | undefined;
  /**
   * Per language a route has been made into: how much of the room (`room.speech.heard`) had been
   * heard when the last route into it stopped, or Infinity for a call adopted from another
   * instance (which translated it until the move). A new route into it is given only what came
   * after, so nothing already translated is heard twice.
   */
  private readonly routedUntil = new Map<string, number>();
  /**
   * Adopted: the room's speech in progress the instance the call moved from hands over. Until it
   * came (or was waited for long enough), no route runs here: that instance still interprets.
   */
  private handed: HandedSpeech | undefined;

  constructor(
    private readonly deps: ConferenceCallDeps,
    private readonly init: ConferenceCallInit,
  ) {
    this.id = init.id;
    this.conference = init.conference;
    this.requestedMode = init.requestedMode;
    this.modeValue = init.requestedMode;
    this.created = init.dial !== undefined;
    this.adoptedFrom = init.adopted?.from;
    this.now = deps.now ?? Date.now;
    this.startedAt = init.adopted?.startedAt ?? this.now();
    this.answeredAt = init.adopted?.answeredAt;
    this.toldUnavailable = new Set(init.adopted?.told);
    this.log = deps.logger.child({ callId: init.id, conference: init.conference });
    if (init.adopted) {
      this.dialledLeg = init.adopted.dialledLeg;
      this.dialledAnswered = init.adopted.dialledLeg !== undefined && init.adopted.dialledAt === undefined;
      this.joined = new AdoptionJoin();
      this.handed = new HandedSpeech(this.log);
    }
    for (const p of init.parties ?? []) this.known.set(p.legRef, p);
    if (init.adopted) for (const l of [...(init.parties ?? []).flatMap((p) => (p.language ? [p.language] : [])), ...(init.languages ?? [])]) this.routedUntil.set(l, Infinity);
    if (init.dial) this.known.set(init.dial.callerLeg, { legRef: init.dial.callerLeg, language: init.dial.callerLanguage, role: 'caller' });
    this.unsubscribe = deps.events.subscribe((e) => this.follow(e), { callId: init.id });
    this.graph = new CallGraph({
      ...graphServices(deps),
      callId: init.id,
      conferenceId: init.conference,
      logger: this.log,
      echoTargetLanguage: false,
      sameLanguageLines: false,
      elapsedMs: () => this.elapsedMs,
      hooks: {
        language: (_route, code) => this.languageHeard(code),
        speaker: (_route, u) => (u.source.languageCode ? this.speakers.speakerOf(u.source.languageCode, u.startMs, this.elapsedMs, u.endMs) : undefined),
        utterance: (route, u) => this.lineSaid(u.participantId, u.source.languageCode, route.id),
        tickFailed: () => void this.tickFailed(),
      },
    });
    this.hinted = [...(init.languages ?? [])];
    if (!init.adopted) this.publish({
      type: 'call.created',
      kind: 'conference',
      number: init.dial?.number ?? '',
      from: init.dial?.from ?? '',
      destination: init.dial?.destination ?? '',
      conference: init.conference,
      mode: init.requestedMode,
    });
    // Joining waits on the phone network (the caller hearing the greeting and reaching the
    // conference, the interpreter legs connecting): it has a deadline, as every waiting state has.
    const waitMs = deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    this.stepMs = waitMs;
    this.deadline = startDeadline(waitMs, () => void this.joiningDeadline(waitMs));
    // A party dialled on the instance the call moved from rings on: it is waited for, not dialled again.
    const since = init.adopted?.dialledAt;
    if (init.adopted?.dialledLeg && since !== undefined) this.waitForDialled(since);
  }

  get state(): ConferenceCallState {
    return this.stateValue;
  }

  /** The interpretation in effect (open after a refused whisper). */
  get mode(): InterpretationMode {
    return this.modeValue;
  }

  /** Why the mode in effect differs from the one asked for. */
  get fallback(): string | undefined {
    return this.fallbackReason;
  }

  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /**
   * Whether the call holds a TOLK_MAX_CALLS slot: every call does, but a conference that went
   * uninterpreted, which does no audio work (it only follows the conference's events, or looks it
   * up on its deadline, until it ends) from then on, while it ends too; it stays live and counted
   * in tolk_active_calls until it has ended. Asking for its legs again (taking a free line first),
   * it holds one again; interpreted again, it keeps it.
   */
  get holdsSlot(): boolean {
    return this.unavailable === undefined || this.askingAgain;
  }

  /** Uninterpreted, an interpreter leg is being placed again (see `retryLegs`): the call takes its line back meanwhile. */
  private get askingAgain(): boolean {
    return this.stateValue === 'uninterpreted' && [...this.legs.values()].some((l) => !l.dropped);
  }

  /** The leg tolk dialled for the caller, once known. */
  get dialled(): string | undefined {
    return this.dialledLeg;
  }

  /** What `GET .../interpreter` shows. */
  snapshot(): {
    state: ConferenceCallState;
    mode: InterpretationMode;
    requestedMode: InterpretationMode;
    fallback?: string;
    participants: { callSid: string; language?: string; role: string }[];
    sessions: { language: string; state: string }[];
    latencyMs: Record<string, number>;
    lagMs: Record<string, number>;
    legs: { endpoint: string; callSid?: string; whisperTo?: string; state: 'placing' | 'connected' }[];
  } {
    return {
      state: this.stateValue,
      mode: this.modeValue,
      requestedMode: this.requestedMode,
      ...(this.fallbackReason ? { fallback: this.fallbackReason } : {}),
      participants: this.presentParties().map((p) => ({ callSid: p.legRef, role: p.role, ...(p.language ? { language: p.language } : {}) })),
      sessions: this.graph.allRoutes.map((r) => ({ language: r.targetLanguage ?? '', state: this.sessionStates.get(r.id) ?? 'connecting' })),
      latencyMs: Object.fromEntries([...this.latencies].map(([route, l]) => [route.replace(/^to:/, ''), Math.round(l.sum / l.n)])),
      lagMs: Object.fromEntries([...this.latencies].filter(([, l]) => l.lagN > 0).map(([route, l]) => [route.replace(/^to:/, ''), Math.round(l.lagSum / l.lagN)])),
      legs: [...this.legs.values()]
        .filter((l) => !l.dropped)
        .map((l) => {
          const coached = l.whisperTo ? this.parties.get(l.whisperTo)?.legRef : undefined;
          const state: 'placing' | 'connected' = l.attached ? 'connected' : 'placing';
          return { endpoint: l.endpoint, ...(l.legRef ? { callSid: l.legRef } : {}), ...(coached ? { whisperTo: coached } : {}), state };
        }),
    };
  }

  onEnded(listener: (call: ConferenceCall) => void): void {
    this.endedListeners.push(listener);
  }

  /** Whether `legRef` is one of this call's interpreter legs. */
  isInterpreterLeg(legRef: string): boolean {
    for (const l of this.legs.values()) if (l.legRef === legRef) return true;
    return false;
  }

  /**
   * Joining an existing conference: the parties already in it, and how to follow it from now on
   * (its events go to whoever created it).
   */
  start(members: readonly { legRef: string; whispering: boolean }[], watch: (onEvent: (e: ConferenceEvent) => void) => () => void): void {
    // The party dialled for the caller is listed while their leg rings: they join once they answer.
    for (const m of members) if (!m.whispering && !this.ringingLeg(m.legRef)) this.partyJoined(m.legRef);
    if (!this.created && this.parties.size >= 2) this.partiesConnected('parties-in-room');
    this.unwatch = watch((e) => this.conferenceEvent(e));
    if (this.parties.size === 0) {
      this.log.info({ event: 'conference.no_parties' }, 'no party in the conference: the interpreter leaves');
      this.end('completed', 'no party in the conference');
      return;
    }
    this.reconcile();
  }

  /** The conference reported an event. */
  conferenceEvent(e: ConferenceEvent): void {
    if (this.stateValue === 'ended') return;
    this.conferenceRef ??= e.conferenceRef;
    switch (e.type) {
      case 'started':
        return;
      case 'ended':
        // A conference tolk created ends by itself only when the caller leaves (tolk ends it for the
        // other reasons, and has noted why).
        if (this.created && (e.endedBy === this.init.dial?.callerLeg || !this.dialledAnswered)) this.callerLeft();
        this.end(this.outcome ?? 'completed', this.ending ?? CONFERENCE_ENDS.conferenceEnded);
        return;
      case 'joined':
        if (e.whispering || this.isInterpreterLeg(e.legRef)) return;
        if (this.pending.size > 0 && !this.known.has(e.legRef) && e.legRef !== this.dialledLeg) {
          // It may be an interpreter leg whose request has not returned yet.
          void Promise.allSettled([...this.pending]).then(() => {
            if (!this.isInterpreterLeg(e.legRef) && this.stateValue !== 'ended') this.conferenceEvent(e);
          });
          return;
        }
        this.partyJoined(e.legRef);
        if (!this.created && this.presentParties().length >= 2) this.partiesConnected('parties-in-room');
        this.reconcile();
        return;
      case 'left':
        this.legLeft(e.legRef, e.cause);
        return;
      case 'speech':
        this.partySpeaking(e.legRef, e.speaking, e.sequence, this.elapsedMs - (e.sinceArrivalMs ?? 0));
        return;
    }
  }

  /** The phone network reported a status for the caller's leg or the party tolk dialled. */
  legStatus(legRef: string, status: LegStatus): void {
    if (this.stateValue === 'joining' && legRef === this.init.dial?.callerLeg && status.state === 'ended') {
      // The caller hung up before the conference was interpreted (e.g. during the greeting).
      this.cancelDialled();
      this.outcome ??= 'canceled';
      this.end(this.outcome, this.ending ?? 'the caller hung up before the conference started');
      return;
    }
    if (legRef !== this.dialledLeg || this.dialledAnswered || status.state !== 'ended') return;
    clearTimeout(this.ringing);
    // The call's outcome is taken (the ring deadline took this leg's end and stopped its ringing,
    // or the call is ending): Twilio's report of it changes nothing, and nobody is told again.
    if (this.outcome !== undefined) return;
    // The party never came: the caller is told why, and their leaving ends the conference.
    const reason = status.reason;
    this.outcome = reason === 'busy' ? 'busy' : reason === 'no-answer' ? 'no-answer' : reason === 'canceled' ? 'canceled' : 'failed';
    this.note(reason === 'busy' ? 'the agent was busy' : reason === 'no-answer' ? 'the agent did not answer' : `the agent could not be reached (${reason})`);
    const dial = this.init.dial;
    if (!dial || this.stateValue === 'ended') return;
    const key = reason === 'busy' ? 'busy' : reason === 'no-answer' ? 'noAnswer' : 'unreachable';
    this.log.info({ event: 'conference.party_unreachable', callSid: legRef, reason }, 'the party dialled did not come');
    this.background('tell-caller', this.deps.telephony.sayAndHangUp(dial.callerLeg, message(key, dial.callerLanguage), sayLocale(dial.callerLanguage)));
  }

  /** Media of an interpreter leg connected. */
  attachMedia(media: ParticipantMedia): void {
    const leg = this.legs.get(media.endpoint);
    if (this.stateValue === 'ended' || !leg || leg.attached || leg.dropped || media.sampleRate !== SAMPLE_RATE) {
      this.log.warn({ event: 'call.leg_rejected', role: media.endpoint, state: this.stateValue }, 'unexpected media stream');
      media.close();
      return;
    }
    leg.attached = true;
    leg.legRef ??= media.legRef;
    const reaches = leg.whisperTo ? [leg.whisperTo] : [...this.parties.keys()];
    // A leg hears the room: whoever speaks, so no utterance it feeds is put down to one party.
    this.graph.addEndpoint({ id: leg.endpoint, carries: [], reaches }, media);
    this.hearRoom();
    media.on('end', () => {
      if (this.moving) this.moving.left.add(leg);
      else this.interpreterLegGone(leg);
    });
    this.publish({ type: 'interpreter.leg', endpoint: leg.endpoint, legRef: media.legRef, action: 'joined', ...(leg.whisperTo ? { whisperTo: leg.whisperTo } : {}) });
    if (!this.created) this.partiesConnected('interpreter-joined');
    if (this.stateValue === 'joining') {
      this.stateValue = 'live';
      clearTimeout(this.deadline);
      // Interpreted from now on: its record shows it bridged (an adopted call's record says so
      // already, since it was first bridged). Its talk time counts from `partiesConnected`.
      if (!this.init.adopted) this.publish({ type: 'call.state', from: 'answered', to: 'bridged', trigger: 'interpreter-joined' });
    }
    const again = this.stateValue === 'uninterpreted';
    if (again) this.interpretedAgain();
    const told = this.tellBack(leg);
    if (again) this.publish({ type: 'interpreter.available', told });
    else for (const party of told) this.publish({ type: 'interpreter.available', told: [party], party });
    this.tellUnserved();
    this.reconcile();
    const legs = [...this.legs.values()].filter((l) => !l.dropped);
    if (legs.length > 0 && legs.every((l) => l.attached)) this.settleJoined(undefined);
  }

  /**
   * Adopted: resolves once every interpreter leg of the plan is connected here (undefined), or with
   * why the adoption fails: every one was refused for good (Twilio's refusal), or the frame tick
   * threw first (ADOPT_TICK_FAILED).
   */
  whenJoined(): Promise<string | undefined> {
    return this.joined?.promise ?? Promise.resolve(undefined);
  }

  private settleJoined(refusal: string | undefined): void {
    if (!this.joined?.settle(refusal)) return;
    // Adopted: a leg refused for now meanwhile is asked for again here.
    if (refusal === undefined) this.scheduleRetry();
  }

  /** The parties (their legs) told that interpretation is unavailable to them, for the instance the call moves to. */
  get told(): string[] {
    return [...this.toldUnavailable];
  }

  /** The interpreter legs tolk holds in the conference now. */
  get interpreterLegs(): string[] {
    return [...this.legs.values()].flatMap((l) => (l.legRef && !l.dropped ? [l.legRef] : []));
  }

  /** The call is about to move to another instance: its legs' media ending is the move, not them leaving. */
  beginMoveOut(): void {
    this.moving ??= { left: new Set(), tickFailed: false };
  }

  /**
   * The move did not happen: the call goes on here. A frame tick that threw meanwhile ends it as
   * failed now (tolk interprets nothing here any more); a leg that ended meanwhile is gone as usual.
   */
  stayAfterAll(): void {
    const moving = this.moving;
    this.moving = undefined;
    if (moving?.tickFailed) void this.tickFailed();
    for (const leg of moving?.left ?? []) this.interpreterLegGone(leg);
  }

  /**
   * Another instance interprets the conference now (its legs are in): this instance's legs leave
   * it, what their sessions still hold is translated and written, and the call is let go here
   * without ending it.
   */
  async movedOut(): Promise<void> {
    this.beginMoveOut();
    this.stopAwaitingSpeech();
    clearTimeout(this.deadline);
    clearTimeout(this.ringing);
    clearTimeout(this.legRetry?.timer);
    this.unwatch?.();
    this.unwatch = undefined;
    this.stateValue = 'ended';
    for (const leg of this.legs.values()) {
      leg.dropped = true;
      if (leg.legRef) this.background('remove-leg', this.deps.conferences.removeLeg(this.conferenceRef ?? this.conference, leg.legRef));
    }
    await this.graph.close();
    await this.deps.events.settle(this.id);
    this.unsubscribe();
    for (const l of this.endedListeners) l(this);
    this.endedListeners = [];
  }

  /**
   * The call moves out: the room's utterance in progress (as the route that heard most of it has
   * it), for the adopter's routes to start with; no line of it is written here.
   */
  speechInProgress(): SpeechHandOver['speech'] {
    let room: Int16Array = new Int16Array(0);
    for (const route of this.graph.allRoutes) {
      const pcm = route.handOver();
      if (pcm.length > room.length) room = pcm;
    }
    return room.length > 0 ? [{ endpoint: 'room', pcm: room }] : [];
  }

  /** The adopter did not take the speech in progress: its lines are written here after all. */
  keepSpeechInProgress(): void {
    for (const route of this.graph.allRoutes) route.keepHandedOver();
  }

  /**
   * Adopted, and the instance it moved from told so: the routes start once it hands over the
   * room's speech in progress (`handedSpeech`), with that speech, or without it after
   * HANDED_SPEECH_WAIT_MS.
   */
  awaitHandedSpeech(): void {
    this.handed?.arm((speech) => {
      this.handed = undefined;
      const room = speech.find((s) => s.endpoint === 'room')?.pcm;
      this.log.info({ event: 'call.handed_speech', roomMs: Math.round(((room?.length ?? 0) * 1000) / SAMPLE_RATE) }, 'routes start with the speech in progress');
      this.reconcile(false, room);
    });
  }

  /** Adopted: resolves once the routes have started here (with the speech handed over, or without), or never will. */
  routesStarted(): Promise<void> {
    return this.handed?.settled ?? Promise.resolve();
  }

  /** Adopted: the room's speech in progress the giving instance handed over; false when it came too late. */
  handedSpeech(speech: SpeechHandOver['speech']): boolean {
    return this.handed?.take(speech) ?? false;
  }

  /** The call ends or moves on here: routes waiting for handed-over speech never start. */
  private stopAwaitingSpeech(): void {
    this.handed?.stop();
    this.handed = undefined;
  }

  /** An adoption that did not go through: nothing of the call runs here, its legs leave. */
  discard(): Promise<void> {
    this.joined = undefined;
    return this.movedOut();
  }

  /**
   * tolk leaves the conference (asked to, or shutting down); a conference tolk created is ended,
   * and the party dialled for its caller stops ringing.
   */
  leave(reason = this.created ? 'tolk was asked to leave, and ended the conference' : 'tolk was asked to leave; the conference goes on'): Promise<void> {
    if (this.created && this.stateValue !== 'ended') {
      this.background('end-conference', this.deps.conferences.end(this.conferenceRef ?? this.conference));
      this.cancelDialled();
    }
    this.end(this.outcome ?? 'completed', reason);
    return this.released ?? Promise.resolve();
  }

  /**
   * tolk shut down and waited its drain timeout: everyone hears why in their language (at most
   * `limitMs`): the call is ending, in a conference tolk created (which then ends); interpretation
   * is ending, in one it joined (which goes on without it).
   */
  async endWithNotice(limitMs: number): Promise<void> {
    if (this.stateValue === 'ended') return this.released ?? Promise.resolve();
    if (this.stateValue === 'uninterpreted') return this.letGo('interrupted');
    await this.graph.announce(this.created ? 'serviceEnding' : 'translationUnavailable', limitMs);
    this.outcome ??= 'interrupted';
    return this.leave('tolk shut down: the call outlasted its drain timeout');
  }

  /** tolk is shutting down and ends the call now. */
  shutdown(): Promise<void> {
    if (this.stateValue === 'uninterpreted') return this.letGo('error');
    this.outcome ??= 'error';
    return this.leave('tolk shut down');
  }

  /**
   * tolk stops (`why`: it shut down, unless said otherwise) while the parties talk uninterpreted:
   * they do not talk through tolk, so their conference goes on (tolk neither ends it nor has
   * anything to say in it); the call ends here.
   */
  private letGo(outcome: CallOutcome, why = 'tolk shut down'): Promise<void> {
    this.outcome ??= outcome;
    // Legs asked for again and placed meanwhile leave the conference, which goes on.
    for (const leg of this.legs.values()) if (leg.legRef && !leg.dropped) this.background('remove-leg', this.deps.conferences.removeLeg(this.conferenceRef ?? this.conference, leg.legRef));
    this.log.info({ event: 'conference.let_go', outcome: this.outcome }, `${why}: the parties of the uninterpreted conference talk on without it`);
    this.end(this.outcome, `${why}; the parties talk on without it`);
    return this.released ?? Promise.resolve();
  }

  /**
   * The call's frame tick threw: tolk can interpret it no more, and it ends as failed, as a
   * shutdown ends it (a conference tolk created ends for everyone; one it joined, tolk leaves).
   * Not while it moves to another instance, which interprets the conference from now on: ending a
   * conference tolk created would cut the parties off there too; it ends should the move not happen.
   * Nor while it is being adopted (`joined` unsettled): the instance it moves from interprets it on,
   * its interpreter legs still in the conference, so the adoption fails and the call stays there.
   */
  private tickFailed(): Promise<void> {
    if (this.stateValue === 'ended') return this.released ?? Promise.resolve();
    if (this.moving) {
      this.moving.tickFailed = true;
      this.log.warn({ event: 'call.tick_failed_moving' }, 'the frame tick threw while the call moves to another instance: not ended here, unless it stays');
      return Promise.resolve();
    }
    if (this.joined && !this.joined.settled) {
      this.log.warn({ event: 'call.tick_failed_adopting' }, 'the frame tick threw while adopting the call: not adopted, and the instance it moves from interprets it on');
      this.settleJoined(ADOPT_TICK_FAILED);
      return Promise.resolve();
    }
    this.outcome = 'error';
    if (this.stateValue === 'uninterpreted') return this.letGo('error', TICK_FAILED);
    return this.leave(this.created ? TICK_FAILED : `${TICK_FAILED}; the conference goes on without it`);
  }

  /** An operator ends the call: a conference tolk created ends for everyone; one it joined, tolk leaves. */
  hangUpByOperator(): Promise<void> {
    this.log.info({ event: 'call.operator_hangup', state: this.stateValue }, 'operator hung up the call');
    this.outcome ??= 'hungup_by_operator';
    return this.leave(this.created ? 'an operator hung up' : 'an operator took tolk out of the conference; it goes on');
  }

  // ---- internals ----

  /**
   * The parties can talk from now on, interpreted or not: the call's talk time counts from here
   * (the record's `answeredAt`, once). In a conference tolk created, when the party dialled for the
   * caller joins it; in one tolk joined, when tolk's first interpreter leg joins it or tolk sees two
   * parties in it, whichever comes first. An adopted call keeps the time it was given (one adopted
   * while the dialled party rang has none yet: it is set when they join).
   */
  private partiesConnected(trigger: 'agent-joined' | 'parties-in-room' | 'interpreter-joined'): void {
    if (this.answeredAt !== undefined || this.stateValue === 'ended') return;
    const at = Date.now();
    this.answeredAt = at;
    this.publish({ type: 'call.connected', trigger }, at);
  }

  private partyJoined(legRef: string): void {
    const existing = [...this.parties.values()].find((p) => p.legRef === legRef);
    if (existing) {
      existing.present = true;
      return;
    }
    const given = this.known.get(legRef);
    const isDialled = legRef === this.dialledLeg;
    if (isDialled) {
      this.dialledAnswered = true;
      clearTimeout(this.ringing);
      this.partiesConnected('agent-joined');
    }
    const role = given?.role ?? (isDialled ? 'agent' : 'participant');
    const language = given?.language ?? (isDialled ? this.init.dial?.agentLanguage : undefined);
    const source = given?.language !== undefined ? given.languageSource : undefined;
    const id = role === 'participant' || [...this.parties.values()].some((p) => p.id === role) ? `party-${++this.partyCount}` : role;
    const party: Party = { id, legRef, role, language, present: true };
    this.parties.set(id, party);
    this.departed.delete(id);
    this.speakers.joined(id, this.elapsedMs, language, language !== undefined && source !== DETECTED);
    this.graph.addParticipant({ id, role, legRef, ...(language ? { language } : {}), ...(source ? { languageSource: source } : {}) });
    if (this.stateValue === 'uninterpreted') this.tellUnavailable(party);
    if (this.init.dial && legRef === this.init.dial.callerLeg && !this.dialledLeg) this.dialParty();
  }

  private dialParty(): void {
    const dial = this.init.dial!;
    const request = this.deps.conferences
      .addParty({ callId: this.id, conference: this.conference, destination: dial.destination, callerId: dial.number, ringTimeoutSec: this.deps.ringTimeoutSec ?? 30 })
      .then((legRef) => {
        this.dialledLeg = legRef;
        this.log.info({ event: 'call.dialled', agentCallSid: legRef }, 'other party dialled into the conference');
        // The caller left while the request was under way: the party dialled for them stops ringing.
        if (this.stateValue === 'ended' || this.legsGone) {
          this.cancelDialled();
          return;
        }
        // Listed in the record while it rings, so that an instance the call moves to waits on it.
        this.publish({ type: 'leg.dialled', role: 'agent', legRef, language: dial.agentLanguage });
        this.waitForDialled(this.now());
      })
      .catch((err: unknown) => {
        this.log.error({ event: 'call.dial_failed', err }, 'could not dial the other party');
        this.outcome ??= 'failed';
        this.note('the agent could not be dialled');
        this.background('tell-caller', this.deps.telephony.sayAndHangUp(dial.callerLeg, message('unreachable', dial.callerLanguage), sayLocale(dial.callerLanguage)));
      });
    this.track(request);
  }

  private legLeft(legRef: string, cause?: LeaveCause): void {
    const leg = [...this.legs.values()].find((l) => l.legRef === legRef);
    if (leg) {
      this.interpreterLegGone(leg);
      return;
    }
    const party = [...this.parties.values()].find((p) => p.legRef === legRef);
    if (!party || !party.present) return;
    party.present = false;
    this.parties.delete(party.id);
    if (party.language === undefined) this.keepDeparted(party);
    this.speakers.left(party.id, this.elapsedMs);
    this.graph.removeParticipant(party.id);
    if (this.created && (legRef === this.init.dial?.callerLeg || legRef === this.dialledLeg)) {
      // Let go as the conference ended: its end says why.
      if (cause === 'conference-ended') return;
      // The caller's leaving ends the conference by itself; the dialled party's ends it for the caller.
      if (legRef === this.dialledLeg) this.agentLeft(cause);
      else this.callerLeft(cause);
      return;
    }
    if ([...this.parties.values()].every((p) => !p.present)) {
      this.log.info({ event: 'conference.no_parties' }, 'no party left: the interpreter leaves');
      this.leave(CONFERENCE_ENDS.lastPartyLeft).catch(() => undefined);
      return;
    }
    this.reconcile();
  }

  /** Notes why the call is ending, unless that is known already. */
  private note(why: string): void {
    this.ending ??= why;
    this.endingNoted?.();
  }

  /** The caller left a conference tolk created: it ends with them (the party dialled for them stops ringing). */
  private callerLeft(cause?: LeaveCause): void {
    if (!this.dialledAnswered && !this.outcome) {
      this.outcome = 'canceled';
      this.note(CONFERENCE_ENDS.callerHungUpRinging);
      this.cancelDialled();
      return;
    }
    this.note(cause === 'removed' ? 'the caller was taken out of the conference' : CONFERENCE_ENDS.callerHungUp);
  }

  /** The party dialled for the caller left: tolk ends the conference for the caller. */
  private agentLeft(cause?: LeaveCause): void {
    this.note(cause === 'removed' ? 'the agent was taken out of the conference' : CONFERENCE_ENDS.agentHungUp);
    this.background('end-conference', this.deps.conferences.end(this.conferenceRef ?? this.conference));
  }

  /** Keeps a party who left with no language known, for a line of theirs still to come (the latest few). */
  private keepDeparted(party: Party): void {
    this.departed.delete(party.id);
    this.departed.set(party.id, party);
    if (this.departed.size > MAX_DEPARTED) this.departed.delete(this.departed.keys().next().value as string);
  }

  /**
   * A transcript line in `language`, on route `routeId`, was put down to party `id`. One whose
   * language was not known (only the conference's speech reports name such a party: a third party
   * who shares a language with another, whose language no detection gives them) speaks it once
   * `LINES_TO_KNOW` lines in a row put down to them are in it: from then on they are listed in the
   * record with it, interpreted into it, and not taken for the speaker of a line in another. Lines
   * are counted per route: every route into another language transcribes the same speech.
   */
  private lineSaid(id: string | undefined, code: string, routeId: string): void {
    if (!id || !code) return;
    const present = this.parties.get(id);
    const party = present ?? this.departed.get(id);
    if (!party || party.language !== undefined) return;
    // Named as the language served is ('en', not 'en-US'), so it joins that language's route; one
    // beyond TOLK_MAX_CONFERENCE_LANGUAGES is given to no one (as when it is first heard).
    const language = this.servedLanguages().find((l) => sameLanguage(l, code));
    if (!language) return;
    if (party.heard?.language !== language) party.heard = { language, lines: new Map() };
    const lines = (party.heard.lines.get(routeId) ?? 0) + 1;
    party.heard.lines.set(routeId, lines);
    if (lines < LINES_TO_KNOW) return;
    party.heard = undefined;
    party.language = language;
    this.departed.delete(id);
    this.speakers.identified(id, language);
    if (present) {
      this.graph.setParticipantLanguage(id, language, SPOKEN);
      this.reconcile();
    } else {
      // Gone from the call already: the record lists them all the same.
      this.publish({ type: 'participant.language', participantId: id, language, source: SPOKEN });
    }
  }

  /**
   * An interpreter leg ended without being asked to (hung up, or the conference is ending): it is
   * not placed again; once no leg is left tolk has left the conference.
   */
  private interpreterLegGone(leg: InterpreterLeg): void {
    if (!leg.attached) return;
    leg.attached = false;
    leg.dropped = true;
    this.routesStopHere();
    this.hearRoom();
    this.publish({ type: 'interpreter.leg', endpoint: leg.endpoint, legRef: leg.legRef ?? '', action: 'left' });
    void this.graph.removeEndpoint(leg.endpoint).then(() => {
      if (this.stateValue === 'ended' || this.legsGone) return;
      if ([...this.legs.values()].every((l) => l.dropped)) void this.everyLegGone();
      else this.reconcile();
    });
  }

  /**
   * Every interpreter leg has gone without being asked to: tolk has left the conference, and the
   * call ends once it is known why. The conference ending (the caller hanging up) hangs them up
   * too, often before it reports so: without a reason noted, tolk asks where the parties are, and
   * waits for the conference's report while nothing else says why, all within `LEGS_GONE_LOOKUP_MS`.
   * A report that comes while the phone network is still being asked says why at once. With
   * nothing known at the limit (the network not saying, no report), the call says just that.
   */
  private async everyLegGone(): Promise<void> {
    this.legsGone = true;
    this.log.info({ event: 'conference.interpreter_gone' }, 'every interpreter leg has gone: tolk has left the conference');
    let timer: NodeJS.Timeout | undefined;
    // A phone network slow to answer does not keep the call's sessions open: past the limit, what is known is said.
    const limit = new Promise<void>((resolve) => (timer = startDeadline(LEGS_GONE_LOOKUP_MS, resolve)));
    const noted = new Promise<void>((resolve) => (this.endingNoted = resolve));
    const unknown = (): undefined => undefined;
    const why = this.ending ?? (await Promise.race([this.whyLegsLeft(), limit.then(unknown), noted.then(unknown)]));
    // The parties' calls still there, or the network not saying: the conference's own report of
    // why (its end lets the parties go after it hangs up tolk's legs) has until the limit to come.
    if ((why === undefined || why === CONFERENCE_ENDS.legsLeft) && !this.ending && this.stateValue !== 'ended') await Promise.race([limit, noted]);
    clearTimeout(timer);
    this.endingNoted = undefined;
    if (this.stateValue === 'ended') return;
    this.end(this.outcome ?? 'completed', this.ending ?? why ?? CONFERENCE_ENDS.legsLost);
  }

  /**
   * Why every interpreter leg left, from where the phone network says the parties are; undefined
   * when it could not be asked.
   */
  private async whyLegsLeft(): Promise<string | undefined> {
    const dial = this.init.dial;
    if (!dial) {
      // A conference tolk joined: ended, empty, or going on without tolk.
      const now = await this.deps.conferences.find(this.conferenceRef ?? this.conference).then(
        (info) => info ?? 'ended',
        (err: unknown) => {
          this.log.warn({ event: 'conference.lookup_failed', err }, 'could not ask the phone network about the conference');
          return undefined;
        },
      );
      if (now === undefined) return undefined;
      if (now === 'ended') return CONFERENCE_ENDS.conferenceEnded;
      if (now.members.every((m) => m.whispering || this.isInterpreterLeg(m.legRef))) return CONFERENCE_ENDS.lastPartyLeft;
      return CONFERENCE_ENDS.legsLeft;
    }
    const caller = await findLeg(this.deps.telephony, dial.callerLeg, this.log);
    if (this.ending) return this.ending;
    if (caller.state === 'ended' || caller.state === 'gone') {
      this.callerLeft();
      return this.ending ?? CONFERENCE_ENDS.callerHungUp;
    }
    if (this.dialledLeg && this.dialledAnswered) {
      const agent = await findLeg(this.deps.telephony, this.dialledLeg, this.log);
      if (this.ending) return this.ending;
      if (agent.state === 'ended' || agent.state === 'gone') {
        this.agentLeft();
        return this.ending ?? CONFERENCE_ENDS.agentHungUp;
      }
      if (agent.state === 'unknown') return undefined;
    }
    return caller.state === 'unknown' ? undefined : CONFERENCE_ENDS.legsLeft;
  }

  /**
   * The conference reported a member speaking or quiet (at `atMs`, when the report arrived): a
   * party's speech is noted for telling who said a line; members that are not parties (tolk's own
   * interpreter legs never become one) are not.
   */
  private partySpeaking(legRef: string, speaking: boolean, sequence: number | undefined, atMs: number): void {
    const party = [...this.parties.values()].find((p) => p.legRef === legRef && p.present);
    if (party) this.speakers.speaking(party.id, speaking, atMs, sequence);
  }

  /** A route's session heard speech in `code`: a language not served yet gets its session. */
  private languageHeard(code: string): void {
    if (this.stateValue === 'ended') return;
    const served = this.servedLanguages();
    if (served.some((l) => sameLanguage(l, code))) return;
    if (served.length >= this.init.maxLanguages) {
      this.log.warn({ event: 'conference.language_limit', languageCode: code, max: this.init.maxLanguages }, 'a language beyond TOLK_MAX_CONFERENCE_LANGUAGES is not interpreted');
      return;
    }
    const unknown = [...this.parties.values()].find((p) => p.present && p.language === undefined);
    if (unknown) {
      unknown.language = code;
      const sure = this.speakers.detected(unknown.id, code, this.elapsedMs);
      this.graph.setParticipantLanguage(unknown.id, code, sure ? DEDUCED : DETECTED);
    } else this.hinted.push(code);
    this.log.info({ event: 'conference.language_detected', languageCode: code, participant: unknown?.id }, `${code} heard: interpreting it too`);
    this.reconcile();
  }

  /** Languages served: the parties' own, then the others given or heard, at most maxLanguages. */
  private servedLanguages(): string[] {
    const own = languagesOf(this.presentParties());
    const all = [...own, ...this.hinted.filter((l) => !own.includes(l))];
    if (all.length === 0 && this.parties.size > 0) all.push('en');
    return all.slice(0, this.init.maxLanguages);
  }

  /**
   * Brings the legs and routes to what the plan says; an uninterpreted call only when it asks for
   * its legs again (`again`). Routes made now start with `handedRoom` (the room's speech in
   * progress handed over) where given; an adopted call makes none until it was (see `handed`).
   */
  private reconcile(again = false, handedRoom?: Int16Array): void {
    if (this.stateValue === 'ended' || (this.stateValue === 'uninterpreted' && !again) || this.legsGone) return;
    const parties = this.presentParties();
    const plan = this.plan(parties);
    const wanted = new Set(plan.legs.map((l) => l.endpoint));
    for (const l of plan.legs) if (!this.legs.has(l.endpoint)) this.requestLeg(l.endpoint, l.whisperTo);
    for (const leg of [...this.legs.values()]) if (!wanted.has(leg.endpoint) && !leg.dropped) this.dropLeg(leg);
    if (this.handed) return;
    const planned = new Set(plan.routes.map((r) => r.id));
    this.routesStopHere();
    for (const route of this.graph.allRoutes) if (!planned.has(route.id)) void this.graph.removeRoute(route.id);
    for (const r of plan.routes) {
      const attached = (ids: string[]) => ids.filter((id) => this.graph.endpoint(id));
      const listeners = attached(r.listeners);
      const route = this.graph.route(r.id);
      if (!route) {
        const source = attached(r.sources)[0];
        const leadIn = handedRoom?.length ? { leadIn: handedRoom } : this.leadInto(r.targetLanguage);
        // Only where calls can move (see CallDeps.ownership) does a route keep the utterance in progress to hand over.
        const handOver = this.deps.ownership ? { handOverMs: HAND_OVER_SPEECH_MS } : {};
        if (source) this.graph.addRoute({ id: r.id, source, targetLanguage: r.targetLanguage, listeners, ...handOver, ...leadIn });
        continue;
      }
      const have = new Set(route.listeners.map((l) => l.id));
      for (const l of listeners) if (!have.has(l)) this.graph.addRouteListener(r.id, l);
      for (const l of have) if (!listeners.includes(l)) this.graph.removeRouteListener(r.id, l);
    }
  }

  /** The room's utterance in progress, as much of it as no route into `language` has translated. */
  private leadInto(language: string): { leadIn?: Int16Array } {
    const speech = this.room?.speech;
    if (!speech) return {};
    const utterance = speech.inProgress();
    const untranslated = Math.min(utterance.length, speech.heard - (this.routedUntil.get(language) ?? -Infinity));
    return untranslated > 0 ? { leadIn: utterance.subarray(utterance.length - untranslated) } : {};
  }

  /** Marks every route's language as translated up to what the room has said by now (a route may stop next). */
  private routesStopHere(): void {
    const heard = this.room?.speech.heard ?? 0;
    for (const route of this.graph.allRoutes) if (route.targetLanguage) this.routedUntil.set(route.targetLanguage, heard);
  }

  /**
   * Keeps the room listener on a connected interpreter leg: on another, with what it heard so far,
   * when its leg goes; afresh when none is left (nothing was routed meanwhile: routes hear the
   * room through those legs).
   */
  private hearRoom(): void {
    const current = this.room && this.legs.get(this.room.endpoint);
    if (current?.attached && !current.dropped) return;
    this.room?.stop();
    const kept = this.room?.speech;
    this.room = undefined;
    for (const leg of this.legs.values()) {
      const endpoint = leg.attached && !leg.dropped ? this.graph.endpoint(leg.endpoint) : undefined;
      if (!endpoint) continue;
      const speech = kept ?? this.newRoomSpeech();
      this.room = { endpoint: leg.endpoint, speech, stop: endpoint.listen((pcm) => speech.push(pcm)) };
      return;
    }
  }

  /** A room listener from scratch: positions on the one before mean nothing on it. */
  private newRoomSpeech(): SpeechLeadIn {
    for (const [language, at] of this.routedUntil) if (at !== Infinity) this.routedUntil.delete(language);
    return new SpeechLeadIn();
  }

  private plan(parties: Party[]): InterpretationPlan {
    const languages = this.servedLanguages();
    const served = parties.map((p) => ({ id: p.id, language: p.language && languages.includes(p.language) ? p.language : undefined }));
    return planInterpretation(this.modeValue, served, languages);
  }

  private requestLeg(endpoint: string, whisperTo: string | undefined): void {
    const leg: InterpreterLeg = { endpoint, ...(whisperTo ? { whisperTo } : {}), attached: false, dropped: false };
    this.legs.set(endpoint, leg);
    const coached = whisperTo ? this.parties.get(whisperTo)?.legRef : undefined;
    const request = this.deps.conferences
      .addInterpreter({
        callId: this.id,
        conference: this.conferenceRef ?? this.conference,
        endpoint,
        callerId: this.init.callerId,
        ...(coached ? { whisperTo: coached } : {}),
        ...(this.init.adopted ? { generation: this.init.adopted.generation } : {}),
      })
      .then((legRef) => {
        leg.legRef = legRef;
        this.log.info({ event: 'conference.interpreter_leg', endpoint, callSid: legRef, whisperTo: coached }, 'interpreter leg placed');
        if (leg.dropped || this.stateValue === 'ended') this.background('remove-leg', this.deps.conferences.removeLeg(this.conferenceRef ?? this.conference, legRef));
      })
      .catch((err: unknown) => {
        if (err instanceof InterpreterLegRefusedError && !leg.dropped) {
          this.log.error(
            { event: 'conference.interpreter_leg_failed', endpoint, err, final: !err.temporary },
            err.temporary ? 'could not place an interpreter leg: refused for now, asked for again later' : 'could not place an interpreter leg: refused for good',
          );
          this.legRefused(leg, err.reason, err.temporary);
          return;
        }
        if (this.stateValue === 'uninterpreted' && !leg.dropped && !(err instanceof WhisperRefusedError)) {
          // Asked for again while uninterpreted: no change of the conference asks for it once more.
          this.log.error({ event: 'conference.interpreter_leg_failed', endpoint, err, final: false }, 'could not place an interpreter leg again: asked for again later');
          this.legRefused(leg, err instanceof Error ? err.message : String(err), true);
          return;
        }
        this.legs.delete(endpoint);
        if (err instanceof WhisperRefusedError) {
          this.fallBackToOpen(err.reason);
          return;
        }
        this.log.error({ event: 'conference.interpreter_leg_failed', endpoint, err }, 'could not place an interpreter leg');
      });
    this.track(request);
  }

  /**
   * An interpreter leg was refused: for good, it is not asked for again; for now (`temporary`), it
   * is asked for again later (see `scheduleRetry`). Once every leg of the call was refused (none
   * connected, none still being placed) and the conference is not over, interpretation is
   * unavailable: each party present is told so in their language (heard by them
   * alone), and so is each one who joins later; the call goes on uninterpreted, its deadline to
   * start interpreting gone (it looks the conference up instead, see `stillOn`), and the record
   * says so when it ends. While the call is interpreted, the party a refused whisper leg was for
   * is told alone (see `tellUnserved`).
   */
  private legRefused(leg: InterpreterLeg, reason: string, temporary: boolean): void {
    leg.dropped = true;
    leg.refusal = reason;
    leg.refusedForNow = temporary;
    this.scheduleRetry();
    this.tellUnserved();
    if (this.stateValue !== 'joining' || this.legsGone) return;
    const legs = [...this.legs.values()];
    if (!legs.every((l) => l.refusal !== undefined)) return;
    if (this.joined && !this.joined.settled) {
      // Adopted, while the instance the call moves from still interprets it: nobody is told
      // anything here; the adoption fails, and the call stays there.
      this.log.warn({ event: 'conference.adopt_legs_refused', reason, legs: legs.length }, 'every interpreter leg was refused for good while adopting the call: it stays where it was');
      this.settleJoined(`every interpreter leg was refused: ${reason}`);
      return;
    }
    this.unavailable = reason;
    this.stateValue = 'uninterpreted';
    clearTimeout(this.deadline);
    this.deadline = startDeadline(this.stepMs, () => void this.stillOn());
    // A party told already (before the call moved here) is not told again.
    const present = this.presentParties().filter((p) => !this.toldUnavailable.has(p.legRef));
    this.log.warn(
      { event: 'conference.uninterpreted', reason, legs: legs.length, parties: present.map((p) => p.legRef) },
      'every interpreter leg failed for good: the parties are told interpretation is unavailable, and talk uninterpreted',
    );
    this.publish({ type: 'interpreter.unavailable', reason, told: present.map((p) => p.legRef) });
    for (const p of present) this.tellUnavailable(p);
  }

  /**
   * A leg was refused for now: the legs refused for now are asked for again after the next wait of
   * `legRetryMs` (from this refusal), at most once per wait, none later than LEG_RETRY_WINDOW_MS
   * after the first such refusal; legs refused meanwhile are asked for with the others. Not while
   * the call is being adopted (a refusal there sends it back) or moves out.
   */
  private scheduleRetry(): void {
    if (this.stateValue === 'ended' || this.legsGone || this.moving || this.legRetry?.timer || (this.joined && !this.joined.settled)) return;
    if (![...this.legs.values()].some((l) => l.refusedForNow)) return;
    const retry = (this.legRetry ??= { tries: 0, until: this.now() + LEG_RETRY_WINDOW_MS });
    if (retry.over) return;
    const wait = (this.deps.legRetryMs ?? LEG_RETRY_MS)[retry.tries];
    if (wait === undefined || this.now() + wait > retry.until) {
      retry.over = true;
      this.log.warn({ event: 'conference.leg_retries_over', tries: retry.tries }, 'interpreter legs refused for now are not asked for again: their retries are over');
      return;
    }
    retry.timer = startDeadline(wait, () => this.retryLegs());
  }

  /**
   * Asks again for the legs refused for now. An uninterpreted call takes a TOLK_MAX_CALLS line
   * for it (see `holdsSlot`): with none free, this try is skipped and the next one waits its turn.
   */
  private retryLegs(): void {
    const retry = this.legRetry;
    if (!retry) return;
    retry.timer = undefined;
    retry.tries++;
    if (this.stateValue === 'ended' || this.legsGone) return;
    const again = [...this.legs.values()].filter((l) => l.refusedForNow);
    if (again.length === 0) return;
    if (this.stateValue === 'uninterpreted' && !this.askingAgain && !(this.deps.lineFree?.() ?? true)) {
      this.log.warn({ event: 'conference.leg_retry_skipped', try: retry.tries }, 'no TOLK_MAX_CALLS line is free: the interpreter legs are not asked for again this time');
      this.scheduleRetry();
      return;
    }
    this.log.info({ event: 'conference.leg_retry', try: retry.tries, endpoints: again.map((l) => l.endpoint) }, 'asking again for interpreter legs refused for now');
    for (const leg of again) this.legs.delete(leg.endpoint);
    this.reconcile(true);
  }

  /**
   * An interpreter leg joined the uninterpreted call (asked for again): it is interpreted from now
   * on, and its record says it is no longer uninterpreted.
   */
  private interpretedAgain(): void {
    this.stateValue = 'live';
    clearTimeout(this.deadline);
    const was = this.unavailable;
    this.unavailable = undefined;
    this.log.info({ event: 'conference.interpreted_again', refused: was }, 'an interpreter leg asked for again joined: the parties are interpreted again');
    // Never bridged before (an adopted call was interpreted already on the instance it left).
    if (!this.init.adopted) this.publish({ type: 'call.state', from: 'answered', to: 'bridged', trigger: 'interpreter-joined' });
  }

  /**
   * Parties told that interpretation is unavailable to them whom a connected leg reaches now (the
   * one it whispers to, or everyone in the room) hear, in their language and alone, that it is
   * back. Returns their legs.
   */
  private tellBack(leg: InterpreterLeg): string[] {
    const reached = leg.whisperTo ? [this.parties.get(leg.whisperTo)] : [...this.parties.values()];
    const told: string[] = [];
    for (const party of reached) {
      if (!party?.present || !this.toldUnavailable.delete(party.legRef)) continue;
      told.push(party.legRef);
      const language = party.language ?? 'en';
      this.background('tell-back', this.deps.conferences.announce(this.conferenceRef ?? this.conference, party.legRef, message('interpretationBack', language), sayLocale(language)));
    }
    return told;
  }

  /** The parties in the room now. */
  private presentParties(): Party[] {
    return [...this.parties.values()].filter((p) => p.present);
  }

  /**
   * While the call is interpreted (a leg connected), a party whose own whisper leg was refused for
   * good, with no connected leg reaching them, hears no translation: they are told so, alone and in
   * their language, once; the others go on interpreted. A party whose leg is connected by the time
   * the call is interpreted is told nothing.
   */
  private tellUnserved(): void {
    if (this.stateValue !== 'live' || this.legsGone) return;
    const legs = [...this.legs.values()];
    for (const party of this.parties.values()) {
      if (!party.present || this.toldUnavailable.has(party.legRef)) continue;
      const own = legs.filter((l) => l.whisperTo === party.id);
      const refused = own.find((l) => l.refusal !== undefined);
      if (refused?.refusal === undefined || !own.every((l) => l.refusal !== undefined)) continue;
      if (legs.some((l) => l.attached && !l.dropped && (l.whisperTo === undefined || l.whisperTo === party.id))) continue;
      const reason = refused.refusal;
      this.log.warn(
        { event: 'conference.uninterpreted', reason, party: party.legRef, endpoint: refused.endpoint },
        "a party's interpreter leg failed for good: they are told interpretation is unavailable to them; the others stay interpreted",
      );
      this.publish({ type: 'interpreter.unavailable', reason, told: [party.legRef], party: party.legRef });
      this.tellUnavailable(party);
    }
  }

  /**
   * Uninterpreted, the call waits on the conference's end report alone (no leg of tolk's is there
   * to miss): every TOLK_STEP_TIMEOUT_SEC it asks the phone network whether the conference is still
   * in progress, and ends once it is not, so a lost report does not keep it open (listed, and
   * counted in tolk_active_calls) for good. A look-up that fails is tried again at the next one.
   */
  private async stillOn(): Promise<void> {
    if (this.stateValue !== 'uninterpreted') return;
    const ref = this.conferenceRef ?? this.conference;
    const found = await this.deps.conferences.find(ref).then(
      (info) => (info ? 'in-progress' : 'over'),
      (err: unknown) => {
        this.log.warn({ event: 'conference.lookup_failed', err }, 'could not ask the phone network about the conference');
        return 'unknown';
      },
    );
    if (this.stateValue !== 'uninterpreted') return;
    if (found === 'over') {
      this.log.warn({ event: 'call.deadline', state: 'uninterpreted', waitedMs: this.stepMs }, 'the conference is over, and its end was not reported: the call ends');
      this.end(this.outcome ?? 'completed', this.ending ?? CONFERENCE_ENDS.conferenceEnded);
      return;
    }
    this.deadline = startDeadline(this.stepMs, () => void this.stillOn());
  }

  /** Tells a party, in their language (English while it is not known), that interpretation is unavailable. */
  private tellUnavailable(party: Party): void {
    this.toldUnavailable.add(party.legRef);
    const language = party.language ?? 'en';
    this.background('tell-unavailable', this.deps.conferences.announce(this.conferenceRef ?? this.conference, party.legRef, message('translationUnavailable', language), sayLocale(language)));
  }

  private dropLeg(leg: InterpreterLeg): void {
    if (leg.dropped) return;
    leg.dropped = true;
    this.legs.delete(leg.endpoint);
    if (leg.legRef) this.background('remove-leg', this.deps.conferences.removeLeg(this.conferenceRef ?? this.conference, leg.legRef));
    if (leg.attached) {
      leg.attached = false;
      this.routesStopHere();
      this.hearRoom();
      this.publish({ type: 'interpreter.leg', endpoint: leg.endpoint, legRef: leg.legRef ?? '', action: 'left' });
      void this.graph.removeEndpoint(leg.endpoint);
    }
  }

  private fallBackToOpen(reason: string): void {
    if (this.modeValue === 'open' || this.stateValue === 'ended') return;
    this.modeValue = 'open';
    this.fallbackReason = reason;
    this.log.warn({ event: 'conference.fallback', requested: this.requestedMode, mode: 'open', reason }, 'whisper refused: interpreting in the open');
    this.publish({ type: 'interpreter.mode', mode: 'open', requestedMode: this.requestedMode, fallback: reason });
    for (const leg of [...this.legs.values()]) this.dropLeg(leg);
    // Uninterpreted, whisper is refused only to legs asked for again: the open one is asked for too.
    this.reconcile(this.stateValue === 'uninterpreted');
  }

  /** The party dialled for the caller is still ringing: the ringing stops. */
  private cancelDialled(): void {
    if (this.dialledLeg && !this.dialledAnswered) this.background('cancel-dialled', this.deps.telephony.hangUp(this.dialledLeg, { ringing: true }));
  }

  /** Whether `legRef` is the party dialled for the caller, their leg still ringing. */
  private ringingLeg(legRef: string): boolean {
    return legRef === this.dialledLeg && !this.dialledAnswered;
  }

  /**
   * The party dialled for the caller at `since` (ms since the epoch; on the instance the call
   * moved from, for an adopted call) is waited for until their ring timeout and
   * TOLK_STEP_TIMEOUT_SEC more have passed since then (see `ringDeadline`).
   */
  private waitForDialled(since: number): void {
    const ms = Math.max(0, since + (this.deps.ringTimeoutSec ?? 30) * 1000 + this.stepMs - this.now());
    clearTimeout(this.ringing);
    this.ringing = startDeadline(ms, () => void this.ringDeadline(ms));
  }

  /**
   * The party dialled for the caller neither joined nor was reported unreachable by their ring
   * deadline (the report was lost, or went to the instance the call moved from): the phone network
   * says where their leg is. Ended: as its report would have said; answered: they are in the
   * conference; otherwise their ringing stops, and the caller is told they did not answer.
   */
  private async ringDeadline(waitedMs: number): Promise<void> {
    const legRef = this.dialledLeg;
    const waiting = (): boolean => legRef !== undefined && this.ringingLeg(legRef) && this.stateValue !== 'ended' && this.outcome === undefined;
    if (!legRef || !waiting()) return;
    this.log.warn({ event: 'call.deadline', state: 'ringing', waitedMs, agentCallSid: legRef }, 'the party dialled has not joined by their ring deadline: asking the phone network');
    const found = await findLeg(this.deps.telephony, legRef, this.log);
    if (!waiting()) return;
    if (found.state === 'answered') {
      this.partyJoined(legRef);
      this.reconcile();
      return;
    }
    if (found.state !== 'ended') this.cancelDialled();
    this.legStatus(legRef, found.state === 'ended' ? found : { state: 'ended', reason: 'no-answer' });
  }

  /**
   * Still joining at the deadline: where the caller's leg is gone, the call was abandoned; otherwise
   * the interpretation could not start (the caller is told, in a conference tolk created for them).
   */
  private async joiningDeadline(waitedMs: number): Promise<void> {
    if (this.stateValue !== 'joining') return;
    const callerLeg = this.init.dial?.callerLeg;
    this.log.warn({ event: 'call.deadline', state: 'joining', waitedMs, callSid: callerLeg }, 'still joining past its deadline: asking the phone network');
    const caller = callerLeg ? (await findLeg(this.deps.telephony, callerLeg, this.log)).state : 'unknown';
    if (this.stateValue !== 'joining') return;
    this.cancelDialled();
    if (caller === 'ended' || caller === 'gone') {
      this.outcome ??= 'canceled';
      this.end(this.outcome, this.ending ?? 'the caller hung up before the conference started');
      return;
    }
    const dial = this.init.dial;
    if (dial) {
      this.background('tell-caller', this.deps.telephony.sayAndHangUp(dial.callerLeg, message('unreachable', dial.callerLanguage), sayLocale(dial.callerLanguage)));
      this.background('end-conference', this.deps.conferences.end(this.conferenceRef ?? this.conference));
    }
    this.outcome ??= 'timeout';
    this.end(this.outcome, `the interpretation did not start within ${Math.round(waitedMs / 1000)} s (TOLK_STEP_TIMEOUT_SEC)`);
  }

  private end(outcome: CallOutcome, reason: string): void {
    if (this.stateValue === 'ended') return;
    clearTimeout(this.deadline);
    clearTimeout(this.ringing);
    clearTimeout(this.legRetry?.timer);
    this.stopAwaitingSpeech();
    this.stateValue = 'ended';
    this.endingNoted?.();
    this.released = this.release(outcome, this.unavailable === undefined ? reason : `${reason} (${UNINTERPRETED}: ${this.unavailable})`);
  }

  private async release(outcome: CallOutcome, reason: string): Promise<void> {
    this.unwatch?.();
    for (const leg of this.legs.values()) {
      leg.dropped = true;
      if (leg.legRef && !this.created) this.background('remove-leg', this.deps.conferences.removeLeg(this.conferenceRef ?? this.conference, leg.legRef));
    }
    await this.graph.close();
    await this.deps.events.settle(this.id);
    const at = Date.now();
    this.publish(callEnded(outcome, reason, { answeredAt: this.answeredAt, endedAt: at }), at);
    await this.deps.events.settle(this.id);
    this.unsubscribe();
    for (const l of this.endedListeners) l(this);
    this.endedListeners = [];
  }

  private follow(e: CallEvent): void {
    if (e.type === 'session.state') this.sessionStates.set(e.routeId, e.state === 'handing-over' ? 'open' : e.state);
    else if (e.type === 'utterance.latency') {
      const l = this.latencies.get(e.routeId) ?? { sum: 0, n: 0, lagSum: 0, lagN: 0 };
      l.sum += e.latencyMs;
      l.n++;
      if (e.lagMs !== undefined) {
        l.lagSum += e.lagMs;
        l.lagN++;
      }
      this.latencies.set(e.routeId, l);
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private publish(event: UnstampedCallEvent, at = Date.now()): void {
    this.deps.events.publish(stamp(event, { callId: this.id, conferenceId: this.conference }, at));
  }

  private background(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.warn({ event: 'call.effect_failed', effect: what, err }, `${what} failed`));
  }
}
