/**
 * One interpreted call: its legs, the translation routes between them, and the state machine that
 * decides what happens next (call-state.ts). This class only carries out the machine's effects;
 * the caller's language is followed by a CallerLanguageTracker (caller-language-tracker.ts).
 */
import { LegPlayout, SAMPLE_RATE } from '../audio/playout';
import { ringbackFor } from '../audio/tones';
import type { NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import type { CallOutcome } from '../store/call-record';
import { CallLeg, type CallLegTimings, type EchoControl } from './call-leg';
import { nextState, type CallEffect, type CallEvent, type CallState } from './call-state';
import { initialCallerLanguage, sameLanguage, type InitialLanguage } from './caller-language';
import { CallerLanguageTracker } from './caller-language-tracker';
import { message, sayLocale } from './messages';
import type { CallMetrics, CallRecords, FrameClock, LanguageMemory, LegStatus, ParticipantMedia, SessionState, SessionStateDetail, Telephony, TranslatedUtterance, TranslationSession, TranslationSessionFactory, Unsubscribe } from './ports';
import type { PromptLibrary } from './prompts';
import { TranslationRoute, type RouteObserver } from './translation-route';

export interface CallDeps {
  clock: FrameClock;
  translators: TranslationSessionFactory;
  telephony: Telephony;
  records: CallRecords;
  prompts: PromptLibrary;
  metrics: CallMetrics;
  logger: Logger;
  /** A fresh echo canceller per leg (none: legs pass audio as received). */
  echoCanceller?: () => EchoControl;
  /** Remembered caller languages (rememberLanguage); none: nothing is remembered. */
  languages?: LanguageMemory;
  ringTimeoutSec?: number;
  /** With callerLanguage auto: how long the agent's words are held for the caller's first speech (default 10 s). */
  autoDetectTimeoutMs?: number;
  now?: () => number;
}

export interface CallInit {
  id: string;
  settings: NumberSettings;
  /** The telephony's reference of the caller's leg. */
  callerLeg: string;
  from: string;
  /** The caller's language as known at answer time (default: from the settings alone). */
  callerLanguage?: InitialLanguage;
}

/** Only every Nth frame's processing time is observed: cheap enough for hundreds of calls. */
const TIMING_SAMPLE_EVERY = 10;
const DEPTH_SAMPLE_EVERY_TICKS = 50;

export class InterpretedCall {
  readonly id: string;
  readonly settings: NumberSettings;
  readonly callerLeg: string;
  readonly from: string;
  /** The telephony's reference of the dialled leg, once known. */
  agentLeg: string | undefined;
  private stateValue: CallState = 'answered';
  private readonly legs = new Map<string, CallLeg>();
  private readonly routes: TranslationRoute[] = [];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  private joinedAtMs = 0;
  private unsubscribeClock: Unsubscribe | undefined;
  private ticks = 0;
  private endedListeners: ((call: InterpretedCall) => void)[] = [];
  private readonly timings: CallLegTimings;
  private released: Promise<void> | undefined;
  private readonly language: CallerLanguageTracker;
  private readonly pendingWrites = new Set<Promise<void>>();

  constructor(
    private readonly deps: CallDeps,
    init: CallInit,
  ) {
    this.id = init.id;
    this.settings = init.settings;
    this.callerLeg = init.callerLeg;
    this.from = init.from;
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
    this.log = deps.logger.child({ callId: init.id });
    this.language = new CallerLanguageTracker({
      settings: init.settings,
      from: init.from,
      initial: init.callerLanguage ?? initialCallerLanguage(init.settings, {}),
      logger: this.log,
      memory: deps.languages,
      autoDetectTimeoutMs: deps.autoDetectTimeoutMs,
      effects: {
        recordLanguage: () => this.recordLegs(),
        translateAgentInto: (language) => this.translateAgentInto(language),
      },
    });
    let inN = 0;
    let outN = 0;
    this.timings = {
      inbound: (ms) => {
        if (inN++ % TIMING_SAMPLE_EVERY === 0) deps.metrics.observeFrameProcessing('in', ms);
      },
      outbound: (ms) => {
        if (outN++ % TIMING_SAMPLE_EVERY === 0) deps.metrics.observeFrameProcessing('out', ms);
      },
    };
    deps.metrics.callStarted();
    this.log.info({ event: 'call.created', number: init.settings.number, from: init.from, destination: init.settings.destination }, 'call created');
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

  onEnded(listener: (call: InterpretedCall) => void): void {
    this.endedListeners.push(listener);
  }

  /** Media for this call connected; `media.endpoint` says whose it is ('caller' or 'agent'). */
  attachMedia(media: ParticipantMedia): void {
    const endpoint = media.endpoint;
    if (this.stateValue === 'ended' || this.legs.has(endpoint) || (endpoint !== 'caller' && endpoint !== 'agent') || media.sampleRate !== SAMPLE_RATE) {
      this.log.warn({ event: 'call.leg_rejected', role: endpoint, sampleRate: media.sampleRate, state: this.stateValue }, 'unexpected media stream');
      media.close();
      return;
    }
    const leg = new CallLeg(
      media,
      new LegPlayout({ originalGain: this.settings.originalVolume }),
      this.log.child({ legId: endpoint, callSid: media.legRef }),
      this.deps.echoCanceller?.(),
      this.timings,
    );
    this.legs.set(endpoint, leg);
    media.on('end', () => this.dispatch({ type: endpoint === 'caller' ? 'caller-left' : 'agent-left' }));
    this.log.info({ event: 'call.leg_attached', legId: endpoint, callSid: media.legRef, streamSid: media.streamRef }, 'leg attached');
    this.recordLegs();
    this.unsubscribeClock ??= this.deps.clock.subscribe(() => this.tick());
    if (endpoint === 'caller') this.dispatch({ type: 'caller-stream-started' });
    else {
      this.agentLeg ??= media.legRef;
      this.dispatch({ type: 'agent-stream-started' });
    }
  }

  /** The phone network reported a status for one of this call's legs. */
  legStatus(legRef: string, status: LegStatus): void {
    if (legRef === this.callerLeg) {
      if (status.state === 'ended') this.dispatch({ type: 'caller-left' });
      return;
    }
    if (legRef === this.agentLeg) this.dispatch({ type: 'agent-status', status });
  }

  /** Ends the call now (tolk is shutting down). */
  shutdown(): Promise<void> {
    this.dispatch({ type: 'shutdown' });
    return this.released ?? Promise.resolve();
  }

  private dispatch(event: CallEvent): void {
    const t = nextState(this.stateValue, event);
    if (!t) return;
    const from = this.stateValue;
    this.stateValue = t.state;
    this.log.info({ event: 'call.transition', from, to: t.state, trigger: event.type, ...(event.type === 'agent-status' ? { status: legStatusName(event.status) } : {}), outcome: t.outcome }, `${from} -> ${t.state}`);
    this.write(this.deps.records.update(this.id, { state: t.state, ...(t.state === 'bridged' ? { answeredAt: new Date(this.now()) } : {}) }));
    for (const effect of t.effects) this.run(effect, t.outcome);
  }

  private run(effect: CallEffect, outcome: CallOutcome | undefined): void {
    switch (effect.type) {
      case 'dial-agent':
        this.dialAgent();
        return;
      case 'ringback':
        this.legs.get('caller')?.playout.setTone(effect.on ? ringbackFor(this.from) : undefined);
        return;
      case 'join-legs':
        this.joinLegs();
        return;
      case 'tell-caller': {
        const key = effect.reason === 'busy' ? 'busy' : effect.reason === 'no-answer' ? 'noAnswer' : 'unreachable';
        const lang = this.language.currentOrProvisional;
        this.background('tell-caller', this.deps.telephony.sayAndHangUp(this.callerLeg, message(key, lang), sayLocale(lang)));
        return;
      }
      case 'end-caller':
        this.background('end-caller', this.deps.telephony.hangUp(this.callerLeg));
        return;
      case 'end-agent':
        if (this.agentLeg) {
          const ringing = !this.legs.has('agent');
          this.background('end-agent', this.deps.telephony.hangUp(this.agentLeg, { ringing }));
        }
        return;
      case 'release':
        this.released = this.release(outcome ?? 'error');
        return;
    }
  }

  private dialAgent(): void {
    this.deps.telephony
      .dial({ callId: this.id, endpoint: 'agent', destination: this.settings.destination, callerId: this.settings.number, ringTimeoutSec: this.deps.ringTimeoutSec ?? 30 })
      .then((legRef) => {
        this.agentLeg = legRef;
        this.log.info({ event: 'call.dialled', agentCallSid: legRef }, 'other party dialled');
        if (this.stateValue === 'ended') this.background('end-agent', this.deps.telephony.hangUp(legRef, { ringing: true }));
      })
      .catch((err: unknown) => {
        this.log.error({ event: 'call.dial_failed', err }, 'could not dial the other party');
        this.dispatch({ type: 'dial-failed' });
      });
  }

  private joinLegs(): void {
    const caller = this.legs.get('caller');
    const agent = this.legs.get('agent');
    if (!caller || !agent) return;
    this.joinedAtMs = this.elapsedMs;
    const s = this.settings;
    const observer = this.routeObserver();
    for (const [from, to, target] of [
      [caller, agent, s.agentLanguage],
      [agent, caller, this.language.current],
    ] as const) {
      const name = `${from.endpoint}->${to.endpoint}`;
      // Into a caller language not known yet there is no translator: the agent's words are held.
      const translator = target === undefined ? undefined : this.newTranslator(name, target);
      const route = new TranslationRoute({ name, from, to, translator, originalGain: s.originalVolume, observer, logger: this.log });
      this.routes.push(route);
      this.deps.metrics.translationSessionOpened();
      route.start().catch((err: unknown) => this.startFailed(route, err));
    }
    this.language.legsJoined();
  }

  private newTranslator(route: string, targetLanguage: string): TranslationSession {
    return this.deps.translators.create({
      targetLanguage,
      echoTargetLanguage: this.settings.echoTargetLanguage,
      inputRate: SAMPLE_RATE,
      outputRate: SAMPLE_RATE,
      logger: this.log.child({ route }),
    });
  }

  private startFailed(route: TranslationRoute, err: unknown): void {
    this.log.error({ event: 'translate.start_failed', route: route.name, err }, 'translation could not start');
    this.translationFailed(route, { kind: 'unknown', reason: err instanceof Error ? err.message : String(err) });
  }

  /** The caller's language became known or changed: the route into the caller translates into it, unless it has failed. */
  private translateAgentInto(language: string): void {
    const route = this.routes.find((r) => r.name === 'agent->caller');
    if (route && !this.failedRoutes.has(route)) {
      route.setTranslator(this.newTranslator(route.name, language)).catch((err: unknown) => this.startFailed(route, err));
    }
  }

  private routeObserver(): RouteObserver {
    return {
      utterance: (route, u) => this.recordUtterance(route, u),
      language: (route, code) => this.languageDetected(route, code),
      state: (route, state, detail) => this.routeState(route, state, detail),
      handover: (route, phase) => this.log.info({ event: 'translate.handover_' + phase, route: route.name }, `translation hand-over ${phase}`),
      latency: (route, ms) => {
        this.deps.metrics.observeUtteranceLatency(route.name, ms);
        this.log.info({ event: 'translate.latency', route: route.name, latencyMs: Math.round(ms) }, 'utterance latency');
      },
      processing: (_route, ms) => this.timings.outbound(ms),
    };
  }

  private recordUtterance(route: TranslationRoute, u: TranslatedUtterance): void {
    const from = route.name.split('->')[0];
    const to = route.name.split('->')[1];
    const utterance = {
      direction: route.name,
      source: { text: u.source.text, languageCode: u.source.languageCode ?? this.languageOf(from) },
      translation: { text: u.translation.text, languageCode: u.translation.languageCode ?? this.languageOf(to) },
      startMs: Math.round(this.joinedAtMs + u.startMs),
      endMs: Math.round(this.joinedAtMs + u.endMs),
    };
    this.log.info({ event: 'transcript.utterance', ...utterance }, `${route.name}: ${u.source.text} => ${u.translation.text}`);
    this.write(this.deps.records.appendUtterance(this.id, utterance));
    if (route.name === 'caller->agent') this.language.heard(u.source.languageCode);
  }

  private recordLegs(): void {
    const legs = [...this.legs.values()].map((l) => ({
      role: l.endpoint as 'caller' | 'agent',
      callSid: l.media.legRef,
      streamSid: l.media.streamRef,
      language: this.languageOf(l.endpoint),
    }));
    this.write(this.deps.records.update(this.id, { legs }));
  }

  private languageOf(role: string): string {
    return role === 'caller' ? this.language.currentOrProvisional : this.settings.agentLanguage;
  }

  /**
   * The translation service reported a speaker's language. The caller's first report settles a
   * caller language being detected; and when a speaker turns out to speak the listener's language,
   * both parties hear each other directly, undelayed.
   */
  private languageDetected(route: TranslationRoute, code: string): void {
    if (route.name === 'caller->agent') this.language.reported(code);
    const target = route.targetLanguage ?? this.language.current;
    const same = target !== undefined && sameLanguage(code, target);
    this.log.info({ event: 'translate.language', route: route.name, languageCode: code, sameAsListener: same }, 'speaker language detected');
    const mode = same ? 'direct' : 'translate';
    if (same || this.routes.every((r) => r.mode === 'direct')) {
      for (const r of this.routes) if (r.mode !== mode && !this.failedRoutes.has(r)) r.setMode(mode);
    }
  }

  private readonly failedRoutes = new Set<TranslationRoute>();

  private routeState(route: TranslationRoute, state: SessionState, detail?: SessionStateDetail): void {
    this.log.info({ event: 'translate.state', route: route.name, state, ...detail }, `translation ${state}`);
    if (state === 'reconnecting') this.deps.metrics.translationReconnected(route.name);
    if (state === 'failed') this.translationFailed(route, detail);
  }

  /** The call goes on with the original voices at full volume, and a spoken notice. */
  private translationFailed(route: TranslationRoute, detail?: SessionStateDetail): void {
    if (this.failedRoutes.has(route) || this.stateValue === 'ended') return;
    this.failedRoutes.add(route);
    this.deps.metrics.translationFailed(detail?.kind ?? 'unknown');
    route.setMode('direct');
    const listener = route.name.split('->')[1];
    const prompt = this.deps.prompts.get('translationUnavailable', this.languageOf(listener));
    if (prompt) this.legs.get(listener)?.playout.pushPrompt(prompt);
    this.log.warn({ event: 'call.translation_unavailable', route: route.name, kind: detail?.kind }, 'continuing without translation');
  }

  private tick(): void {
    for (const leg of this.legs.values()) leg.tick();
    if (++this.ticks % DEPTH_SAMPLE_EVERY_TICKS === 0) {
      for (const leg of this.legs.values()) this.deps.metrics.observePlayoutDepth(leg.playout.depthMs);
    }
  }

  private async release(outcome: CallOutcome): Promise<void> {
    this.language.stop();
    this.unsubscribeClock?.();
    this.unsubscribeClock = undefined;
    const routes = this.routes.splice(0);
    await Promise.all(
      routes.map(async (r) => {
        const stats = r.translatorStats ?? {};
        await r.close().catch((err: unknown) => this.log.warn({ event: 'translate.close_failed', err }, 'close failed'));
        this.deps.metrics.translationSessionClosed();
        this.log.info({ event: 'translate.closed', route: r.name, ...stats }, 'translation closed');
      }),
    );
    // A caller being told why the call failed keeps their media until the telephony replaces it;
    // closing it here would end their call before they hear the message.
    const telling = outcome === 'busy' || outcome === 'no-answer' || outcome === 'failed';
    for (const leg of this.legs.values()) {
      leg.close();
      if (!(telling && leg.endpoint === 'caller')) leg.media.close();
      const stats = leg.playout.stats();
      if (stats.droppedTranslatedMs > 0) this.deps.metrics.playoutOverflow(stats.droppedTranslatedMs);
      this.log.info({ event: 'leg.closed', legId: leg.endpoint, ...stats }, 'leg closed');
    }
    this.deps.metrics.callEnded(outcome);
    // Transcript lines made final while the translators closed are written before the call ends.
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
    await this.deps.records
      .update(this.id, { state: 'ended', outcome, endedAt: new Date(this.now()) })
      .catch((err: unknown) => this.storeFailed(err));
    this.log.info({ event: 'call.ended', outcome, durationMs: this.elapsedMs }, `call ended: ${outcome}`);
    for (const l of this.endedListeners) l(this);
    this.endedListeners = [];
  }

  private background(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.warn({ event: 'call.effect_failed', effect: what, err }, `${what} failed`));
  }

  /** A write to the call record; the call's end waits for every one of them. */
  private write(p: Promise<unknown>): void {
    const tracked = p.then(
      () => undefined,
      (err: unknown) => this.storeFailed(err),
    );
    this.pendingWrites.add(tracked);
    void tracked.finally(() => this.pendingWrites.delete(tracked));
  }

  private storeFailed(err: unknown): void {
    this.log.error({ event: 'call.record_failed', err }, 'could not write the call record');
  }
}

/** A leg status as one word for log lines ('ringing', 'busy', ...). */
function legStatusName(status: LegStatus): string {
  return status.state === 'ended' ? status.reason : status.state;
}
