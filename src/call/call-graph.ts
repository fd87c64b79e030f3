/**
 * A call as a graph:
 *  - participants: the people in the call, each with a language (undefined while it is being
 *    detected); a participant need not have media of its own at tolk (a conference party known by
 *    id and language only);
 *  - endpoints: the media connections tolk holds (endpoint.ts), each carrying some participants'
 *    voices and reaching some participants' ears, each with its own mixer;
 *  - voice links: one endpoint's inbound audio into another's mixer at a gain (the other party's
 *    own voice under the translation; none where a conference carries the voices itself);
 *  - routes: one translation session each, fed by one endpoint, heard by any number of endpoints
 *    (translation-route.ts).
 * A direct call, a whispered conference and an open conference are different graphs built by
 * their configurations (direct-call.ts builds the first); the graph carries the audio, ticks its
 * endpoints on the shared clock, publishes what happens as call events, and applies the rules that
 * hold for every shape: a route whose session fails for good goes quiet, its listeners hear the
 * originals at full volume and a spoken notice, and the other routes carry on.
 */
import { SAMPLE_RATE } from '../audio/frame';
import type { ToneSpec } from '../audio/tones';
import type { MixerStats } from '../audio/mixer';
import type { Logger } from '../log/logger';
import type { RecentLateness } from '../audio/recent-lateness';
import { Endpoint, type EchoControl, type EndpointSpec, type EndpointTimings, type InboundJitterObserver } from './endpoint';
import { stamp, type CallEvent, type CallEventOf, type SessionPhase, type UnstampedCallEvent } from './events';
import { FRAME_MS } from './ports/clock';
import type { CallMetrics, FrameClock, UtteranceDelay, ParticipantMedia, SessionStateDetail, TranslatedUtterance, TranslationSessionFactory, Unsubscribe } from './ports';
import { TranslationError } from './ports/translation';
import { sameLanguage } from './caller-language';
import type { PromptLibrary, StreamPromptKey } from './prompts';
import { TranslationRoute, type RouteMode, type RouteObserver } from './translation-route';

export interface Participant {
  id: string;
  /** What the participant is in this call ('caller', 'agent', ...). */
  role: string;
  /** The language they speak; undefined while it is being detected. */
  language?: string;
  /** How `language` became known, where it was not given (see `participant.language`). */
  languageSource?: string;
  /** The language to speak to them in (notices, records) until `language` is known. */
  provisionalLanguage?: string;
  /** The telephony's references of their own leg and its media, when tolk holds them. */
  legRef?: string;
  streamRef?: string;
}

export interface RouteSpec {
  id: string;
  /** The endpoint whose inbound audio the session translates. */
  source: string;
  /** The session's target language; none yet: the source's audio is held until `retarget`. */
  targetLanguage?: string;
  /** Endpoints that hear the translation. */
  listeners: readonly string[];
  /** Speech the source said before the route started, translated first (see TranslationRoute). */
  leadIn?: Int16Array;
  /** Keeps this much of the source's latest speech, to hand the utterance in progress over (TranslationRoute.handOver). */
  handOverMs?: number;
}

/** What a call's configuration decides on top of the graph's own rules. */
export interface GraphHooks {
  /** A route's session detected the language its speaker speaks. */
  language?(route: TranslationRoute, languageCode: string): void;
  /** A final utterance was published. */
  utterance?(route: TranslationRoute, u: CallUtterance): void;
  /**
   * Who said an utterance (times in ms since the call started) on a route whose source carries
   * several participants (a conference leg hears the whole room); undefined when it cannot be told.
   */
  speaker?(route: TranslationRoute, u: TranslatedUtterance): string | undefined;
  /**
   * The call's frame tick threw (logged as `call.tick_failed`): the graph has stopped ticking for
   * good and carries no audio any more; the call is expected to end as failed (unless its media is
   * moving to another instance, which carries it on).
   */
  tickFailed?(err: unknown): void;
}

/** A final utterance as the graph publishes it (languages filled in where the service gave none). */
export type CallUtterance = CallEventOf<'utterance.final'>;

export interface CallGraphOptions {
  callId: string;
  conferenceId?: string;
  clock: FrameClock;
  translators: TranslationSessionFactory;
  prompts: PromptLibrary;
  metrics: Pick<CallMetrics, 'observeFrameProcessing' | 'observePlayoutDepth' | 'playoutOverflow' | 'playoutUnderruns' | 'playoutConcealments' | 'inboundUnderrun' | 'inboundLateFrame' | 'observeInboundJitterDelay'>;
  publish: (event: CallEvent) => void;
  logger: Logger;
  /** Sessions repeat speech already in their target language (default false: they stay silent). */
  echoTargetLanguage?: boolean;
  /**
   * Whether a final utterance already in its route's language (nothing to translate) is published
   * (default true: in a two-party call it is the only line that holds what was said). Routes that
   * all hear the same room (a conference) leave it out: another route publishes it, translated.
   */
  sameLanguageLines?: boolean;
  /** Ms since the call started. */
  elapsedMs: () => number;
  /** The lateness of translated speech the process's routes have seen lately (see SpeechPlayout). */
  playoutLateness?: RecentLateness;
  hooks?: GraphHooks;
}

type PlayoutLosses = Pick<MixerStats, 'droppedTranslatedMs' | 'underruns' | 'concealments' | 'concealedMs'>;
const NO_LOSSES: PlayoutLosses = { droppedTranslatedMs: 0, underruns: 0, concealments: 0, concealedMs: 0 };

/** Only every Nth frame's processing time is observed: cheap enough for hundreds of calls. */
const TIMING_SAMPLE_EVERY = 10;
/** Ticks after a notice's last frame before `announce` resolves (the telephony plays what it was sent). */
const ANNOUNCE_TAIL_TICKS = 25;
/** Every this many ticks (a second) each leg's play-out depth is sampled and its losses reported. */
const DEPTH_SAMPLE_EVERY_TICKS = 50;
/** The longest a measured delay waits for the line it belongs to (far beyond one turn's words). */
const PENDING_DELAY_MS = 120_000;

interface VoiceLink {
  from: Endpoint;
  to: Endpoint;
  gain: number;
  stop: () => void;
}

export class CallGraph {
  private readonly participants = new Map<string, Participant>();
  private readonly endpoints = new Map<string, Endpoint>();
  /** The endpoints as an array, for the per-tick loop (no iterator per tick). */
  private ticking: Endpoint[] = [];
  private readonly routes = new Map<string, TranslationRoute>();
  private links: VoiceLink[] = [];
  private readonly timings: EndpointTimings;
  private readonly jitter: InboundJitterObserver;
  private readonly observer: RouteObserver;
  private unsubscribeClock: Unsubscribe | undefined;
  /**
   * Per route: the first delays measured since its last final utterance, which the next one
   * carries if it comes within `PENDING_DELAY_MS` (translated audio with no words never ends one).
   */
  private readonly pendingLatency = new Map<string, { delay: UtteranceDelay; atMs: number }>();
  private ticks = 0;
  private closed = false;
  /** A tick threw: the graph never ticks again (an endpoint added later does not subscribe it). */
  private tickBroken = false;
  /** Per leg: its play-out losses already counted in the metrics (reported as they happen, not at its end). */
  private readonly reportedLosses = new Map<Endpoint, PlayoutLosses>();

  constructor(private readonly opts: CallGraphOptions) {
    let inN = 0;
    let outN = 0;
    this.timings = {
      timeInbound: () => inN++ % TIMING_SAMPLE_EVERY === 0,
      inbound: (ms) => opts.metrics.observeFrameProcessing('in', ms),
      timeOutbound: () => outN++ % TIMING_SAMPLE_EVERY === 0,
      outbound: (ms) => opts.metrics.observeFrameProcessing('out', ms),
    };
    this.jitter = { underrun: () => opts.metrics.inboundUnderrun(), lateFrame: () => opts.metrics.inboundLateFrame() };
    this.observer = this.routeObserver();
  }

  // ---- participants ----

  addParticipant(p: Participant): void {
    this.participants.set(p.id, { ...p });
    this.publish({
      type: 'participant.joined',
      participantId: p.id,
      role: p.role,
      ...(p.language ? { language: p.language } : {}),
      ...(p.language && p.languageSource ? { languageSource: p.languageSource } : {}),
      ...(p.provisionalLanguage ? { provisionalLanguage: p.provisionalLanguage } : {}),
      ...(p.legRef ? { legRef: p.legRef } : {}),
      ...(p.streamRef ? { streamRef: p.streamRef } : {}),
    });
  }

  /** The participant left the call (their endpoints, if any, are removed separately). */
  removeParticipant(id: string): void {
    if (this.participants.delete(id)) this.publish({ type: 'participant.left', participantId: id });
  }

  participant(id: string): Readonly<Participant> | undefined {
    return this.participants.get(id);
  }

  /** The participant's language became known or changed (`source`: how it was decided). */
  setParticipantLanguage(id: string, language: string, source: string): void {
    const p = this.participants.get(id);
    if (!p || p.language === language) return;
    const previous = p.language;
    p.language = language;
    p.languageSource = source;
    this.publish({ type: 'participant.language', participantId: id, language, ...(previous ? { previous } : {}), source });
  }

  /** The language `id` speaks, or the one assumed until it is known. */
  languageOf(id: string): string | undefined {
    const p = this.participants.get(id);
    return p?.language ?? p?.provisionalLanguage;
  }

  // ---- endpoints ----

  /** Media connected for an endpoint: from now on its mixer is played into it on every tick. */
  addEndpoint(spec: EndpointSpec, media: ParticipantMedia, echo?: EchoControl): Endpoint {
    if (this.endpoints.has(spec.id)) throw new Error(`call ${this.opts.callId} already has an endpoint ${spec.id}`);
    const endpoint = new Endpoint(spec, media, {
      logger: this.opts.logger.child({ legId: spec.id, callSid: media.legRef }),
      clock: this.opts.clock,
      ...(echo ? { echo } : {}),
      timings: this.timings,
      jitter: this.jitter,
      ...(this.opts.playoutLateness ? { playoutLateness: this.opts.playoutLateness } : {}),
    });
    this.endpoints.set(spec.id, endpoint);
    this.ticking = [...this.endpoints.values()];
    if (!this.tickBroken) this.unsubscribeClock ??= this.opts.clock.subscribe(() => this.tickOrReport());
    return endpoint;
  }

  endpoint(id: string): Endpoint | undefined {
    return this.endpoints.get(id);
  }

  /**
   * The endpoint's media is gone (a conference leg left): it leaves every route it listened to,
   * its voice links are cut, and routes it fed are closed.
   */
  async removeEndpoint(id: string): Promise<void> {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) return;
    this.endpoints.delete(id);
    this.ticking = [...this.endpoints.values()];
    for (const l of this.links) if (l.from === endpoint || l.to === endpoint) l.stop();
    this.links = this.links.filter((l) => l.from !== endpoint && l.to !== endpoint);
    const fed: TranslationRoute[] = [];
    for (const route of this.routes.values()) {
      route.removeListener(endpoint);
      if (route.source === endpoint) fed.push(route);
    }
    for (const route of fed) this.routes.delete(route.id);
    this.closeEndpoint(endpoint, false);
    if (this.endpoints.size === 0) {
      this.unsubscribeClock?.();
      this.unsubscribeClock = undefined;
    }
    await Promise.all(fed.map((r) => r.close()));
  }

  /** One endpoint's inbound audio into another's mixer (input `voice:<from>`) at `gain`. */
  link(fromId: string, toId: string, gain: number): void {
    const from = this.requireEndpoint(fromId);
    const to = this.requireEndpoint(toId);
    const input = to.mixer.addVoice(`voice:${from.id}`, gain);
    const stop = from.listenInTime((pcm) => input.push(pcm));
    this.links = [...this.links, { from, to, gain, stop }];
  }

  setTone(endpointId: string, tone: ToneSpec | undefined): void {
    this.endpoints.get(endpointId)?.mixer.setTone(tone);
  }

  /** Speaks a notice into an endpoint in `language` (its base language, else English). */
  playPrompt(endpointId: string, key: StreamPromptKey, language: string): void {
    const prompt = this.opts.prompts.get(key, language);
    if (prompt) this.endpoints.get(endpointId)?.mixer.pushPrompt(prompt);
  }

  /**
   * Speaks a notice into every endpoint, in the language of each participant it reaches (one after
   * another where they differ; English where none is known). Resolves once all of it has played
   * out, or after `limitMs` on the call's clock.
   */
  announce(key: StreamPromptKey, limitMs: number): Promise<void> {
    for (const e of this.endpoints.values()) {
      const languages = new Set(e.reaches.map((id) => this.languageOf(id)).filter((l): l is string => l !== undefined));
      for (const language of languages.size > 0 ? languages : ['en']) this.playPrompt(e.id, key, language);
    }
    // Long enough for the longest queue of notices (one language after another), within the limit.
    const queuedMs = Math.max(0, ...[...this.endpoints.values()].map((e) => e.mixer.promptMs));
    const limitTicks = Math.ceil(Math.min(limitMs, queuedMs + 1000) / FRAME_MS);
    return new Promise((resolve) => {
      let ticks = 0;
      let quietTicks = 0;
      const unsubscribe = this.opts.clock.subscribe(() => {
        ticks++;
        const playing = !this.closed && [...this.endpoints.values()].some((e) => e.mixer.promptMs > 0);
        quietTicks = playing ? 0 : quietTicks + 1;
        // A few frames after the last one, so the telephony has played it before the call ends.
        if (quietTicks >= ANNOUNCE_TAIL_TICKS || ticks >= limitTicks) {
          unsubscribe();
          resolve();
        }
      });
    });
  }

  // ---- routes ----

  /** A translation route; its session starts at once when its target language is known. */
  addRoute(spec: RouteSpec): TranslationRoute {
    if (this.routes.has(spec.id)) throw new Error(`call ${this.opts.callId} already has a route ${spec.id}`);
    const route = new TranslationRoute({
      id: spec.id,
      source: this.requireEndpoint(spec.source),
      ...(spec.leadIn ? { leadIn: spec.leadIn } : {}),
      ...(spec.handOverMs ? { handOverMs: spec.handOverMs } : {}),
      elapsedMs: this.opts.elapsedMs,
      observer: this.observer,
      logger: this.opts.logger,
    });
    for (const l of spec.listeners) route.addListener(this.requireEndpoint(l));
    this.routes.set(spec.id, route);
    if (spec.targetLanguage) this.retarget(spec.id, spec.targetLanguage);
    return route;
  }

  route(id: string): TranslationRoute | undefined {
    return this.routes.get(id);
  }

  get allRoutes(): TranslationRoute[] {
    return [...this.routes.values()];
  }

  /** Closes a route (its session flushes the utterance in progress first). */
  async removeRoute(id: string): Promise<void> {
    const route = this.routes.get(id);
    if (!route) return;
    this.routes.delete(id);
    await route.close();
    // A route made again under this id starts with nothing measured.
    this.pendingLatency.delete(id);
  }

  addRouteListener(routeId: string, endpointId: string): void {
    this.routes.get(routeId)?.addListener(this.requireEndpoint(endpointId));
  }

  removeRouteListener(routeId: string, endpointId: string): void {
    const endpoint = this.endpoints.get(endpointId);
    if (endpoint) this.routes.get(routeId)?.removeListener(endpoint);
  }

  /** The route translates into `language` from now on (a new session), unless it has failed. */
  retarget(routeId: string, language: string): void {
    const route = this.routes.get(routeId);
    if (!route || route.failed || this.closed) return;
    const session = this.opts.translators.create({
      targetLanguage: language,
      echoTargetLanguage: this.opts.echoTargetLanguage ?? false,
      inputRate: SAMPLE_RATE,
      outputRate: SAMPLE_RATE,
      logger: this.opts.logger.child({ route: routeId }),
    });
    route.setSession(session).catch((err: unknown) => {
      // A session's own failure is logged where it failed (once at error level for a setting to check).
      if (err instanceof TranslationError) this.opts.logger.warn({ event: 'translate.start_failed', route: routeId, kind: err.kind }, 'translation could not start');
      else this.opts.logger.error({ event: 'translate.start_failed', route: routeId, err }, 'translation could not start');
      this.sessionFailed(route, { kind: err instanceof TranslationError ? err.kind : 'unknown', reason: err instanceof Error ? err.message : String(err) });
    });
  }

  /**
   * 'direct': the route's listeners hear no translation, and the speaker's own voice at full volume
   * where tolk carries it; 'translate' restores the translation and the voices' configured gain.
   */
  setRouteMode(routeId: string, mode: RouteMode): void {
    const route = this.routes.get(routeId);
    if (!route || (route.failed && mode === 'translate')) return;
    route.setMode(mode);
    const listeners = new Set(route.listeners);
    for (const l of this.links) {
      if (l.from !== route.source || !listeners.has(l.to)) continue;
      const input = l.to.mixer.input(`voice:${l.from.id}`);
      if (input?.kind === 'voice') input.setGain(mode === 'direct' ? 1 : l.gain);
    }
  }

  /**
   * Closes every route (their sessions flush the utterance in progress first) and endpoint. Media
   * is closed too, except where `keepMedia` says the telephony still needs it (a caller being told
   * something).
   */
  async close(keepMedia: (endpoint: Endpoint) => boolean = () => false): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeClock?.();
    this.unsubscribeClock = undefined;
    const routes = [...this.routes.values()];
    this.routes.clear();
    await Promise.all(routes.map((r) => r.close()));
    for (const l of this.links) l.stop();
    this.links = [];
    for (const endpoint of this.endpoints.values()) this.closeEndpoint(endpoint, keepMedia(endpoint));
  }

  // ---- internals ----

  private closeEndpoint(endpoint: Endpoint, keepMedia: boolean): void {
    endpoint.close();
    if (!keepMedia) endpoint.media.close();
    const stats = endpoint.mixer.stats();
    this.reportLosses(endpoint, stats);
    this.reportedLosses.delete(endpoint);
    this.opts.logger.info({ event: 'leg.closed', legId: endpoint.id, ...stats, inbound: endpoint.jitterStats() }, 'leg closed');
  }

  /**
   * A tick that throws is logged with this call's ids, the graph leaves the clock for good and tells
   * the call (`hooks.tickFailed`), and the error is thrown on for the clock to report.
   */
  private tickOrReport(): void {
    try {
      this.tick();
    } catch (err) {
      this.tickBroken = true;
      this.unsubscribeClock?.();
      this.unsubscribeClock = undefined;
      this.opts.logger.error({ event: 'call.tick_failed', err }, "the call's frame tick threw: its audio here stops for good");
      try {
        this.opts.hooks?.tickFailed?.(err);
      } catch (hookErr) {
        this.opts.logger.error({ event: 'call.tick_failed_unended', err: hookErr }, 'the call could not be ended after its tick threw');
      }
      throw err;
    }
  }

  /** Every endpoint's inbound frame is played into the mixes it is linked to before any mix is sent. */
  private tick(): void {
    const endpoints = this.ticking;
    for (let i = 0; i < endpoints.length; i++) endpoints[i].pull();
    for (let i = 0; i < endpoints.length; i++) endpoints[i].tick();
    if (++this.ticks % DEPTH_SAMPLE_EVERY_TICKS === 0) {
      for (const endpoint of endpoints) {
        this.opts.metrics.observePlayoutDepth(endpoint.mixer.depthMs);
        this.opts.metrics.observeInboundJitterDelay(endpoint.jitterDelayMs);
        this.reportLosses(endpoint, endpoint.mixer.stats());
      }
    }
  }

  /** Counts what the leg's play-out lost since it was last reported. */
  private reportLosses(endpoint: Endpoint, stats: PlayoutLosses): void {
    const before = this.reportedLosses.get(endpoint) ?? NO_LOSSES;
    const droppedMs = stats.droppedTranslatedMs - before.droppedTranslatedMs;
    const underruns = stats.underruns - before.underruns;
    const concealments = stats.concealments - before.concealments;
    if (droppedMs > 0) this.opts.metrics.playoutOverflow(droppedMs);
    if (underruns > 0) this.opts.metrics.playoutUnderruns(underruns);
    if (concealments > 0) this.opts.metrics.playoutConcealments(concealments, stats.concealedMs - before.concealedMs);
    if (droppedMs > 0 || underruns > 0 || concealments > 0) {
      this.reportedLosses.set(endpoint, { droppedTranslatedMs: stats.droppedTranslatedMs, underruns: stats.underruns, concealments: stats.concealments, concealedMs: stats.concealedMs });
    }
  }

  private requireEndpoint(id: string): Endpoint {
    const endpoint = this.endpoints.get(id);
    if (!endpoint) throw new Error(`call ${this.opts.callId} has no endpoint ${id}`);
    return endpoint;
  }

  private publish(event: UnstampedCallEvent): void {
    this.opts.publish(stamp(event, this.opts, Date.now()));
  }

  /** The one participant a route's source carries, when it carries exactly one. */
  private speakerOf(route: TranslationRoute): string | undefined {
    return route.source.carries.length === 1 ? route.source.carries[0] : undefined;
  }

  private sessionState(route: TranslationRoute, sessionId: string, state: SessionPhase, detail?: SessionStateDetail): void {
    this.publish({ type: 'session.state', routeId: route.id, sessionId, targetLanguage: route.targetLanguage ?? '', state, ...detail });
  }

  /** The route goes quiet for good: its listeners hear the originals and a notice; other routes carry on. */
  private sessionFailed(route: TranslationRoute, detail?: SessionStateDetail): void {
    if (route.failed || this.closed) return;
    this.setRouteMode(route.id, 'direct');
    route.failed = true;
    this.sessionState(route, route.sessionId ?? '', 'failed', { kind: detail?.kind ?? 'unknown', ...(detail?.reason ? { reason: detail.reason } : {}) });
    const language = route.targetLanguage;
    if (language) for (const l of route.listeners) this.playPrompt(l.id, 'translationUnavailable', language);
    this.opts.logger.warn({ event: 'call.translation_unavailable', route: route.id, kind: detail?.kind }, 'continuing without translation');
  }

  private routeObserver(): RouteObserver {
    return {
      sessionOpened: (route, sessionId, targetLanguage) =>
        this.publish({ type: 'session.state', routeId: route.id, sessionId, targetLanguage, state: 'connecting' }),
      sessionClosed: (route, sessionId, targetLanguage, stats) =>
        this.publish({ type: 'session.state', routeId: route.id, sessionId, targetLanguage, state: 'closed', stats }),
      state: (route, sessionId, state, detail) => {
        if (state === 'failed') this.sessionFailed(route, detail);
        else if (state === 'open' || state === 'reconnecting') this.sessionState(route, sessionId, state, detail);
      },
      handover: (route, sessionId, phase) => this.sessionState(route, sessionId, phase === 'started' ? 'handing-over' : 'open'),
      partial: (route, side, piece) => {
        if (piece.text === '') return;
        const participantId = this.speakerOf(route);
        this.publish({ type: 'utterance.partial', routeId: route.id, ...(participantId ? { participantId } : {}), side, text: piece.text, ...(piece.languageCode ? { languageCode: piece.languageCode } : {}) });
      },
      utterance: (route, u) => this.utterance(route, u),
      language: (route, code) => {
        this.opts.hooks?.language?.(route, code);
        const target = route.targetLanguage;
        const participantId = this.speakerOf(route);
        this.publish({
          type: 'language.detected',
          routeId: route.id,
          ...(participantId ? { participantId } : {}),
          languageCode: code,
          ...(target ? { targetLanguage: target } : {}),
          sameAsTarget: target !== undefined && sameLanguage(code, target),
        });
      },
      latency: (route, delay) => {
        const participantId = this.speakerOf(route);
        const rounded: UtteranceDelay = { latencyMs: Math.round(delay.latencyMs), ...(delay.lagMs !== undefined ? { lagMs: Math.round(delay.lagMs) } : {}) };
        // An utterance's delays are those of its first translation heard.
        const pending = this.pendingLatency.get(route.id);
        const now = Date.now();
        if (!pending || now - pending.atMs > PENDING_DELAY_MS) this.pendingLatency.set(route.id, { delay: rounded, atMs: now });
        this.publish({ type: 'utterance.latency', routeId: route.id, ...(participantId ? { participantId } : {}), ...rounded });
      },
      timeProcessing: () => this.timings.timeOutbound(),
      processing: (_route, ms) => this.timings.outbound(ms),
    };
  }

  private utterance(route: TranslationRoute, u: TranslatedUtterance): void {
    const target = route.targetLanguage;
    if (this.opts.sameLanguageLines === false && target && u.source.languageCode && sameLanguage(u.source.languageCode, target)) {
      this.pendingLatency.delete(route.id);
      return;
    }
    const speaker = this.speakerOf(route) ?? this.opts.hooks?.speaker?.(route, u);
    const pending = this.pendingLatency.get(route.id);
    this.pendingLatency.delete(route.id);
    const delay = pending && Date.now() - pending.atMs <= PENDING_DELAY_MS ? pending.delay : undefined;
    const event = stamp({
      type: 'utterance.final',
      routeId: route.id,
      ...(speaker ? { participantId: speaker } : {}),
      source: { text: u.source.text, languageCode: u.source.languageCode ?? (speaker ? this.languageOf(speaker) : undefined) ?? '' },
      translation: { text: u.translation.text, languageCode: u.translation.languageCode ?? route.targetLanguage ?? '' },
      startMs: u.startMs,
      endMs: u.endMs,
      ...delay,
    }, this.opts, Date.now()) as CallUtterance;
    this.opts.publish(event);
    this.opts.hooks?.utterance?.(route, event);
  }
}
