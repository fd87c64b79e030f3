/**
 * A direct interpreted call: a caller on a tolk number, the party tolk dials for them, and
 * interpretation both ways. This is one configuration of the call graph (call-graph.ts):
 *
 *   participants  caller (language known, chosen, remembered or detected), agent (the number's)
 *   endpoints     'caller' and 'agent': each carries and reaches its own participant
 *   voice links   caller -> agent and agent -> caller at the number's originalVolume
 *   routes        'caller->agent' (into the agent's language), 'agent->caller' (into the caller's;
 *                 held while that is being detected)
 *
 * The state machine that decides what happens next is pure data (call-state.ts); this class only
 * carries out its effects. The caller's language is followed by a CallerLanguageTracker, and when a
 * speaker turns out to speak the listener's language both parties hear each other directly.
 */
import type { RecentLateness } from '../audio/recent-lateness';
import { SpeechLeadIn } from '../audio/speech-lead-in';
import { ringbackFor } from '../audio/tones';
import { SAMPLE_RATE, msToSamples } from '../audio/frame';
import { SampleQueue } from '../audio/sample-queue';
import type { NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import type { CallOutcome } from '../store/call-record';
import { AdoptionJoin } from './adoption-join';
import { CallGraph, type CallGraphOptions, type CallUtterance } from './call-graph';
import { deadlineOf, nextState, type CallEffect, type CallState, type CallTrigger, type LegFinding } from './call-state';
import { initialCallerLanguage, sameLanguage, type InitialLanguage } from './caller-language';
import { CallerLanguageTracker } from './caller-language-tracker';
import { DEFAULT_STEP_TIMEOUT_MS, findLeg, startDeadline } from './deadline';
import { HANDED_SPEECH_WAIT_MS, HandedSpeech } from './handed-speech';
import type { EchoControl } from './endpoint';
import { callEnded, stamp, type CallEventBus, type UnstampedCallEvent } from './events';
import { message, sayLocale } from './messages';
import { HAND_OVER_SPEECH_MS, type CallMetrics, type CallOwnership, type FrameClock, type LanguageMemory, type LegStatus, type MediaEnd, type ParticipantMedia, type SpeechHandOver, type Telephony, type TranslationSessionFactory } from './ports';
import type { PromptLibrary } from './prompts';
import type { TranslationRoute } from './translation-route';

export interface CallDeps {
  clock: FrameClock;
  translators: TranslationSessionFactory;
  telephony: Telephony;
  prompts: PromptLibrary;
  metrics: CallMetrics;
  /** Where the call publishes its events (and waits for their subscribers before it ends). */
  events: CallEventBus;
  logger: Logger;
  /** A fresh echo canceller per leg (none: legs pass audio as received). */
  echoCanceller?: () => EchoControl;
  /** Remembered caller languages (rememberLanguage); none: nothing is remembered. */
  languages?: LanguageMemory;
  ringTimeoutSec?: number;
  /**
   * TOLK_STEP_TIMEOUT_SEC: how long a call may wait on the phone network for its next step (a
   * leg's media to connect; a ringing line to be answered or given up, beyond its ring timeout)
   * before tolk asks the network where the call is. Default 60 s.
   */
  stepTimeoutMs?: number;
  /** With callerLanguage auto: how long the agent's words are held for the caller's first speech (default 10 s). */
  autoDetectTimeoutMs?: number;
  now?: () => number;
  /** The lateness of translated speech this process's routes have seen lately, shared by every call. */
  playoutLateness?: RecentLateness;
  /**
   * Several instances: where the others learn that this one serves a call. Only then can a call
   * move to another, so only then do a call's routes keep the utterance in progress to hand over.
   */
  ownership?: CallOwnership;
}

export interface CallInit {
  id: string;
  settings: NumberSettings;
  /** The telephony's reference of the caller's leg. */
  callerLeg: string;
  from: string;
  /** The caller's language as known at answer time (default: from the settings alone). */
  callerLanguage?: InitialLanguage;
  /**
   * The call is adopted from instance `from` (CallService.adopt; the directory named it as serving
   * the call when it was taken over): already bridged, its legs' media is on its way here;
   * `startedAt` (ms since the epoch) keeps transcript times on the call's clock.
   */
  adopted?: { from: string; agentLeg: string; startedAt: number; answeredAt?: number };
}

/** What a call's graph takes from the call's dependencies. */
export function graphServices(deps: CallDeps): Pick<CallGraphOptions, 'clock' | 'translators' | 'prompts' | 'metrics' | 'publish' | 'playoutLateness'> {
  return {
    clock: deps.clock,
    translators: deps.translators,
    prompts: deps.prompts,
    metrics: deps.metrics,
    publish: (e) => deps.events.publish(e),
    ...(deps.playoutLateness ? { playoutLateness: deps.playoutLateness } : {}),
  };
}

const CALLER = 'caller';
const AGENT = 'agent';
const TO_AGENT = 'caller->agent';
const TO_CALLER = 'agent->caller';
/** Why a call whose frame tick threw ended (its record's end reason). */
export const TICK_FAILED = "tolk failed: the call's audio processing threw";

export class DirectCall {
  readonly id: string;
  readonly settings: NumberSettings;
  readonly callerLeg: string;
  readonly from: string;
  /** The instance the call was adopted from; undefined: it started here. */
  readonly adoptedFrom: string | undefined;
  /** The telephony's reference of the dialled leg, once known. */
  agentLeg: string | undefined;
  private stateValue: CallState = 'answered';
  private readonly graph: CallGraph;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  /** When the call was bridged (ms since the epoch), as its record's `answeredAt` says. */
  private answeredAt: number | undefined;
  private endedListeners: ((call: DirectCall) => void)[] = [];
  private released: Promise<void> | undefined;
  private readonly language: CallerLanguageTracker;
  /** The current state's deadline, and which arming of it is current. */
  private deadline: NodeJS.Timeout | undefined;
  private deadlineArmed = 0;
  /** The caller is being told why the call ends: their media stays until the telephony replaces it. */
  private tellingCaller = false;
  /**
   * The call's media is being moved to another instance: its ending is not the parties hanging up
   * (`left`: the legs whose media ended meanwhile), and a frame tick that throws ends nothing yet
   * (`tickFailed`: one did).
   */
  private moving: { left: Set<string>; tickFailed: boolean } | undefined;
  /** Adopted: settles once both legs' media is here and joined (undefined), or with why the call ended here first. */
  private joined: AdoptionJoin | undefined;
  /** Adopted: resolves once the caller's media has come here (`whenCallerHere`). */
  private callerCame: () => void = () => undefined;
  private readonly callerHere = new Promise<void>((resolve) => (this.callerCame = resolve));
  /** Until the legs are joined: the caller's speech in progress, which the agent hears translated from its start. */
  private callerLeadIn: { speech: SpeechLeadIn; stop: () => void } | undefined;
  /** Adopted: the speech in progress the giving instance hands over (`handedSpeech`), which the routes start with. */
  private handed: HandedSpeech | undefined;

  constructor(
    private readonly deps: CallDeps,
    init: CallInit,
  ) {
    this.id = init.id;
    this.settings = init.settings;
    this.callerLeg = init.callerLeg;
    this.from = init.from;
    this.adoptedFrom = init.adopted?.from;
    this.now = deps.now ?? Date.now;
    this.startedAt = init.adopted?.startedAt ?? this.now();
    this.answeredAt = init.adopted?.answeredAt;
    this.log = deps.logger.child({ callId: init.id });
    if (init.adopted) {
      this.stateValue = 'bridged';
      this.agentLeg = init.adopted.agentLeg;
      this.joined = new AdoptionJoin();
      this.handed = new HandedSpeech(this.log);
    }
    this.graph = new CallGraph({
      ...graphServices(deps),
      callId: init.id,
      logger: this.log,
      echoTargetLanguage: init.settings.echoTargetLanguage,
      elapsedMs: () => this.elapsedMs,
      hooks: {
        language: (route, code) => this.languageDetected(route, code),
        utterance: (route, u) => this.utteranceHeard(route, u),
        tickFailed: () => this.tickFailed(),
      },
    });
    this.language = new CallerLanguageTracker({
      settings: init.settings,
      from: init.from,
      initial: init.callerLanguage ?? initialCallerLanguage(init.settings, {}),
      logger: this.log,
      memory: deps.languages,
      autoDetectTimeoutMs: deps.autoDetectTimeoutMs,
      effects: {
        recordLanguage: () => {
          if (this.language.current) this.graph.setParticipantLanguage(CALLER, this.language.current, this.language.source);
        },
        translateAgentInto: (language) => this.graph.retarget(TO_CALLER, language),
      },
    });
    if (!init.adopted) this.publish({ type: 'call.created', kind: 'direct', number: init.settings.number, from: init.from, destination: init.settings.destination });
    this.armDeadline();
  }

  get state(): CallState {
    return this.stateValue;
  }

  /** The caller's language, or undefined while it is being detected. */
  get callerLanguage(): string | undefined {
    return this.language.current;
  }

  /** The caller chose their language in the number's menu. */
  chooseCallerLanguage(language: string): void {
    this.language.choose(language);
  }

  /** Ms since the call started. */
  get elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  onEnded(listener: (call: DirectCall) => void): void {
    this.endedListeners.push(listener);
  }

  /** Media for this call connected; `media.endpoint` says whose it is ('caller' or 'agent'). */
  attachMedia(media: ParticipantMedia): void {
    const id = media.endpoint;
    if (this.stateValue === 'ended' || this.graph.endpoint(id) || (id !== CALLER && id !== AGENT) || media.sampleRate !== SAMPLE_RATE) {
      this.log.warn({ event: 'call.leg_rejected', role: id, sampleRate: media.sampleRate, state: this.stateValue }, 'unexpected media stream');
      media.close();
      return;
    }
    const refs = { legRef: media.legRef, streamRef: media.streamRef };
    this.graph.addParticipant(
      id === CALLER
        ? { id, role: id, language: this.language.current, provisionalLanguage: this.language.currentOrProvisional, ...refs }
        : { id, role: id, language: this.settings.agentLanguage, ...refs },
    );
    const endpoint = this.graph.addEndpoint({ id, carries: [id], reaches: [id] }, media, this.deps.echoCanceller?.());
    if (id === CALLER && !this.joined) {
      const speech = new SpeechLeadIn();
      this.callerLeadIn = { speech, stop: endpoint.listen((pcm) => speech.push(pcm)) };
    }
    media.on('end', (why) => {
      if (this.moving) {
        this.moving.left.add(id);
        return;
      }
      this.partyLeft(id, why);
    });
    this.log.info({ event: 'call.leg_attached', legId: id, callSid: media.legRef, streamSid: media.streamRef }, 'leg attached');
    if (this.joined) {
      if (id === CALLER) this.callerCame();
      // Adopted: the call is bridged already; its routes start once both legs are here.
      if (this.graph.endpoint(CALLER) && this.graph.endpoint(AGENT)) {
        this.joinLegs();
        this.joined.settle(undefined);
      }
      return;
    }
    if (id === CALLER) this.dispatch({ type: 'caller-stream-started' });
    else {
      this.agentLeg ??= media.legRef;
      this.dispatch({ type: 'agent-stream-started' });
    }
  }

  /**
   * The call's frame tick threw (its graph ticks no more): the call ends as failed, both legs hung
   * up. Not while it moves to another instance: its legs are that instance's now, or on their way
   * there, and hanging them up would cut the call there too; it ends should the move not happen.
   * Adopted, the tick runs once the caller's media has come here, so the telephony has moved the
   * caller's leg away from the instance the call moves from, which can serve it no more: it ends
   * here as failed, and the adoption is answered at once with why (see `whenJoined`).
   */
  private tickFailed(): void {
    if (this.moving) {
      this.moving.tickFailed = true;
      this.log.warn({ event: 'call.tick_failed_moving' }, 'the frame tick threw while the call moves to another instance: not ended here, unless it stays');
      return;
    }
    this.dispatch({ type: 'failure', reason: TICK_FAILED });
  }

  /** A party's media ended: they hung up, or their media was lost (`why`). */
  private partyLeft(id: string, why?: MediaEnd): void {
    this.graph.removeParticipant(id);
    this.dispatch({ type: id === CALLER ? 'caller-left' : 'agent-left', ...(why?.cause === 'lost' ? { mediaLost: why.detail } : {}) });
  }

  /**
   * Adopted: resolves once both legs' media has come and the routes run (undefined), or with why
   * the call ended here before (a party hung up, its media was lost, its frame tick threw...).
   */
  whenJoined(): Promise<string | undefined> {
    return this.joined?.promise ?? Promise.resolve(undefined);
  }

  /** Adopted: resolves once the caller's media has come here, that is once the telephony has moved the caller's leg. */
  whenCallerHere(): Promise<void> {
    return this.callerHere;
  }

  /**
   * The call's media is about to move to another instance: from now on its media ending is the
   * move, not a party hanging up (until `stayAfterAll`).
   */
  beginMoveOut(): void {
    this.moving ??= { left: new Set(), tickFailed: false };
  }

  /**
   * The move did not happen: the call goes on here. A frame tick that threw meanwhile ends it as
   * failed now (its audio here is dead), and a leg that ended meanwhile ends it as usual.
   */
  stayAfterAll(): void {
    const moving = this.moving;
    this.moving = undefined;
    if (moving?.tickFailed) this.tickFailed();
    for (const id of moving?.left ?? []) this.partyLeft(id);
  }

  /**
   * The call has moved to another instance: what its sessions still hold is translated and written
   * (the adopter appends from here on), then it is let go here without ending it.
   */
  async movedOut(): Promise<void> {
    this.beginMoveOut();
    this.stopAwaitingSpeech();
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.language.stop();
    await this.graph.close();
    await this.deps.events.settle(this.id);
    this.stateValue = 'ended';
    for (const l of this.endedListeners) l(this);
    this.endedListeners = [];
  }

  /**
   * The call moves out: the utterance each party is in the middle of, for the adopter to translate
   * (this instance writes no line of it).
   */
  speechInProgress(): SpeechHandOver['speech'] {
    const out: SpeechHandOver['speech'] = [];
    for (const [routeId, endpoint] of [[TO_AGENT, CALLER], [TO_CALLER, AGENT]] as const) {
      const pcm = this.graph.route(routeId)?.handOver();
      if (pcm?.length) out.push({ endpoint, pcm });
    }
    return out;
  }

  /** The adopter did not take the speech in progress: its lines are written here after all. */
  keepSpeechInProgress(): void {
    for (const id of [TO_AGENT, TO_CALLER]) this.graph.route(id)?.keepHandedOver();
  }

  /**
   * Adopted: the speech in progress the giving instance handed over; the routes start with it.
   * False when it came too late (the routes started without it).
   */
  handedSpeech(speech: SpeechHandOver['speech']): boolean {
    return this.handed?.take(speech) ?? false;
  }

  /** Adopted: resolves once the routes have started here (with the speech handed over, or without), or never will. */
  routesStarted(): Promise<void> {
    return this.handed?.settled ?? Promise.resolve();
  }

  /** An adoption that did not go through: nothing of the call runs here. */
  async discard(): Promise<void> {
    this.joined = undefined;
    await this.movedOut();
  }

  /** The phone network reported a status for one of this call's legs. */
  legStatus(legRef: string, status: LegStatus): void {
    if (this.moving && status.state === 'ended') {
      this.moving.left.add(legRef === this.callerLeg ? CALLER : AGENT);
      return;
    }
    if (legRef === this.callerLeg) {
      if (status.state === 'ended') this.dispatch({ type: 'caller-left' });
      return;
    }
    if (legRef === this.agentLeg) this.dispatch({ type: 'agent-status', status });
  }

  /** An operator ends the call: both legs are hung up; resolves once it is recorded as ended. */
  hangUpByOperator(): Promise<void> {
    this.log.info({ event: 'call.operator_hangup', state: this.stateValue }, 'operator hung up the call');
    this.dispatch({ type: 'operator-hangup' });
    return this.released ?? Promise.resolve();
  }

  /**
   * The network showed the call is still moving in its current state (e.g. the caller answered the
   * language menu): the state's deadline starts again.
   */
  progressed(): void {
    this.armDeadline();
  }

  /**
   * tolk shut down and waited its drain timeout for the call to end: both parties hear why, each in
   * their language (at most `limitMs`), then the call ends as interrupted.
   */
  async endWithNotice(limitMs: number): Promise<void> {
    if (this.stateValue !== 'ended') {
      // A caller still waiting for the other party hears the notice instead of the ringback.
      this.graph.setTone(CALLER, undefined);
      await this.graph.announce('serviceEnding', limitMs);
    }
    this.dispatch({ type: 'shutdown', drained: true });
    return this.released ?? Promise.resolve();
  }

  /** Ends the call now (tolk is shutting down). */
  shutdown(): Promise<void> {
    this.dispatch({ type: 'shutdown' });
    return this.released ?? Promise.resolve();
  }

  private publish(event: UnstampedCallEvent, at = Date.now()): void {
    this.deps.events.publish(stamp(event, { callId: this.id }, at));
  }

  private dispatch(trigger: CallTrigger): void {
    const t = nextState(this.stateValue, trigger);
    if (!t) return;
    const from = this.stateValue;
    this.stateValue = t.state;
    if (t.state !== from) this.armDeadline();
    const at = Date.now();
    // The records subscriber takes this event's time as the record's `answeredAt`.
    if (t.state === 'bridged') this.answeredAt = at;
    this.publish({
      type: 'call.state',
      from,
      to: t.state,
      trigger: trigger.type,
      ...(trigger.type === 'agent-status' ? { status: legStatusName(trigger.status) } : {}),
      ...(t.outcome ? { outcome: t.outcome } : {}),
    }, at);
    for (const effect of t.effects) this.run(effect, t.outcome, t.reason);
  }

  /** Starts the current state's deadline (none for a state that waits on nothing outside). */
  private armDeadline(): void {
    clearTimeout(this.deadline);
    this.deadline = undefined;
    const armed = ++this.deadlineArmed;
    const stepMs = this.deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    const ms = deadlineOf(this.stateValue, { stepMs, ringTimeoutMs: (this.deps.ringTimeoutSec ?? 30) * 1000 });
    if (ms === undefined) return;
    this.deadline = startDeadline(ms, () => void this.deadlineReached(armed, ms));
  }

  /** The state waited too long: the network says where the legs are, and the state machine decides. */
  private async deadlineReached(armed: number, waitedMs: number): Promise<void> {
    const state = this.stateValue;
    this.log.warn({ event: 'call.deadline', state, waitedMs, callSid: this.callerLeg, agentCallSid: this.agentLeg }, `${state} past its deadline: asking the phone network`);
    const agentLeg = this.agentLeg;
    const find = (legRef: string) => findLeg(this.deps.telephony, legRef, this.log);
    const [caller, agent] = await Promise.all([find(this.callerLeg), agentLeg ? find(agentLeg) : undefined]);
    // Moved on while the network was asked: the new state has its own deadline.
    if (armed !== this.deadlineArmed || this.stateValue !== state) return;
    this.log.info({ event: 'call.deadline_found', state, caller: findingName(caller), agent: agent && findingName(agent) }, 'legs as the phone network reports them');
    this.dispatch({ type: 'deadline', waitedMs, caller, ...(agent ? { agent } : {}) });
  }

  private run(effect: CallEffect, outcome: CallOutcome | undefined, reason: string | undefined): void {
    switch (effect.type) {
      case 'dial-agent':
        this.dialAgent();
        return;
      case 'ringback':
        this.graph.setTone(CALLER, effect.on ? ringbackFor(this.from) : undefined);
        return;
      case 'join-legs':
        this.joinLegs();
        return;
      case 'tell-caller': {
        const key = effect.reason === 'busy' ? 'busy' : effect.reason === 'no-answer' ? 'noAnswer' : 'unreachable';
        const lang = this.language.currentOrProvisional;
        this.tellingCaller = true;
        this.background('tell-caller', this.deps.telephony.sayAndHangUp(this.callerLeg, message(key, lang), sayLocale(lang)));
        return;
      }
      case 'end-caller':
        this.background('end-caller', this.deps.telephony.hangUp(this.callerLeg));
        return;
      case 'end-agent':
        if (this.agentLeg) {
          const ringing = !this.graph.endpoint(AGENT);
          this.background('end-agent', this.deps.telephony.hangUp(this.agentLeg, { ringing }));
        }
        return;
      case 'release':
        this.joined?.settle(reason ?? 'unknown');
        this.released = this.release(outcome ?? 'error', reason ?? 'unknown');
        return;
    }
  }

  private dialAgent(): void {
    this.deps.telephony
      .dial({ callId: this.id, endpoint: AGENT, destination: this.settings.destination, callerId: this.settings.number, ringTimeoutSec: this.deps.ringTimeoutSec ?? 30 })
      .then((legRef) => {
        this.agentLeg = legRef;
        this.log.info({ event: 'call.dialled', agentCallSid: legRef }, 'other party dialled');
        if (this.stateValue === 'ended') this.background('end-agent', this.deps.telephony.hangUp(legRef, { ringing: true }));
        // Listed in the record while it rings: should this instance stop, whoever closes the call hangs it up.
        else if (this.stateValue === 'dialing' || this.stateValue === 'ringing') this.publish({ type: 'leg.dialled', role: AGENT, legRef, language: this.settings.agentLanguage });
      })
      .catch((err: unknown) => {
        this.log.error({ event: 'call.dial_failed', err }, 'could not dial the other party');
        this.dispatch({ type: 'dial-failed' });
      });
  }

  /** Both legs are up: each hears the other's voice under the translation of it. */
  private joinLegs(): void {
    if (!this.graph.endpoint(CALLER) || !this.graph.endpoint(AGENT)) return;
    const gain = this.settings.originalVolume;
    this.graph.link(CALLER, AGENT, gain);
    this.graph.link(AGENT, CALLER, gain);
    // A caller already speaking when the agent's leg connects: that utterance is translated from its
    // first word (what the caller said and finished while it rang is not).
    const leadIn = this.callerLeadIn?.speech.inProgress();
    this.callerLeadIn?.stop();
    this.callerLeadIn = undefined;
    if (this.handed) this.awaitHandedSpeech(this.handed);
    else this.addRoutes({ caller: leadIn });
  }

  /**
   * Adopted: the routes start with the speech in progress the giving instance hands over, followed
   * by what each party said here meanwhile; after `HANDED_SPEECH_WAIT_MS` without it, with the latter alone.
   */
  private awaitHandedSpeech(handed: HandedSpeech): void {
    const since = { caller: new SampleQueue(msToSamples(HANDED_SPEECH_WAIT_MS + 500)), agent: new SampleQueue(msToSamples(HANDED_SPEECH_WAIT_MS + 500)) };
    const stops = [this.graph.endpoint(CALLER)!.listen((pcm) => since.caller.push(pcm)), this.graph.endpoint(AGENT)!.listen((pcm) => since.agent.push(pcm))];
    handed.arm((speech) => {
      for (const stop of stops) stop();
      const leadIn = (who: 'caller' | 'agent'): Int16Array => {
        const given = speech.find((s) => s.endpoint === who)?.pcm ?? new Int16Array(0);
        const out = new Int16Array(given.length + since[who].length);
        out.set(given);
        since[who].read(out.subarray(given.length));
        return out;
      };
      const carried = { caller: leadIn('caller'), agent: leadIn('agent') };
      this.log.info({ event: 'call.handed_speech', callerMs: Math.round((carried.caller.length * 1000) / SAMPLE_RATE), agentMs: Math.round((carried.agent.length * 1000) / SAMPLE_RATE) }, 'routes start with the speech in progress');
      this.addRoutes(carried);
    });
  }

  private addRoutes(leadIns: { caller?: Int16Array; agent?: Int16Array }): void {
    const lead = (pcm: Int16Array | undefined) => (pcm?.length ? { leadIn: pcm } : {});
    const handOver = this.deps.ownership ? { handOverMs: HAND_OVER_SPEECH_MS } : {};
    this.graph.addRoute({ id: TO_AGENT, source: CALLER, targetLanguage: this.settings.agentLanguage, listeners: [AGENT], ...handOver, ...lead(leadIns.caller) });
    // Into a caller language not known yet there is no session: the agent's words are held.
    this.graph.addRoute({ id: TO_CALLER, source: AGENT, targetLanguage: this.language.current, listeners: [CALLER], ...handOver, ...lead(leadIns.agent) });
    this.language.legsJoined();
  }

  /**
   * A route's session reported its speaker's language. The caller's first report settles a caller
   * language being detected; and when a speaker turns out to speak the listener's language, both
   * parties hear each other directly, undelayed.
   */
  private languageDetected(route: TranslationRoute, code: string): void {
    if (route.id === TO_AGENT) this.language.reported(code);
    const target = route.targetLanguage ?? this.language.current;
    const same = target !== undefined && sameLanguage(code, target);
    const mode = same ? 'direct' : 'translate';
    const routes = this.graph.allRoutes;
    if (same || routes.every((r) => r.mode === 'direct')) {
      for (const r of routes) if (r.mode !== mode && !r.failed) this.graph.setRouteMode(r.id, mode);
    }
  }

  /** The caller's utterances, in the language the service heard: a consistent switch is followed. */
  private utteranceHeard(route: TranslationRoute, u: CallUtterance): void {
    if (route.id === TO_AGENT) this.language.heard(u.source.languageCode);
  }

  /** The call ends here: routes waiting for handed-over speech never start. */
  private stopAwaitingSpeech(): void {
    this.handed?.stop();
    this.handed = undefined;
  }

  private async release(outcome: CallOutcome, reason: string): Promise<void> {
    this.stopAwaitingSpeech();
    clearTimeout(this.deadline);
    this.deadline = undefined;
    this.language.stop();
    // A caller being told why the call failed keeps their media until the telephony replaces it;
    // closing it here would end their call before they hear the message.
    const telling = this.tellingCaller;
    await this.graph.close((endpoint) => telling && endpoint.id === CALLER);
    // Transcript lines made final while the sessions closed are written before the call ends.
    await this.deps.events.settle(this.id);
    const at = Date.now();
    this.publish(callEnded(outcome, reason, { answeredAt: this.answeredAt, endedAt: at }), at);
    await this.deps.events.settle(this.id);
    for (const l of this.endedListeners) l(this);
    this.endedListeners = [];
  }

  private background(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.warn({ event: 'call.effect_failed', effect: what, err }, `${what} failed`));
  }
}

/** A leg as found at a deadline, as one word for log lines. */
function findingName(f: LegFinding): string {
  return f.state === 'ended' ? f.reason : f.state;
}

/** A leg status as one word for events and log lines ('ringing', 'busy', ...). */
function legStatusName(status: LegStatus): string {
  return status.state === 'ended' ? status.reason : status.state;
}
