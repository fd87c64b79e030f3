/**
 * A route: one translation session, fed by one endpoint's inbound audio (its source), heard by
 * any number of listener endpoints. The session's output fans out: each listener's mixer gets its
 * own translated-speech input for this route (`speech:<route id>`), so each plays it out on its own
 * cushion. Several routes may play into one endpoint (an open conference leg hears every language);
 * one route may reach several (parties sharing a language share one session).
 *
 *   source endpoint -> 8 kHz PCM -> TranslationSession (asked for 8 kHz in and out) -> listeners' mixers
 *
 * A route whose target language is not known yet (a caller whose language is being detected) has
 * no session: the source's audio is held, up to `holdMs`, and handed to the session set later. A
 * route started while its source is already speaking is given that utterance so far (`leadIn`), so
 * its listeners hear it from the first word. A route that keeps its recent speech (`handOverMs`)
 * can hand the utterance in progress to another instance taking the call (`handOver`), which
 * translates it whole; this route then writes no line of it.
 */
import { performance } from 'node:perf_hooks';
import { FRAME_SAMPLES, SAMPLE_RATE, samplesToMs } from '../audio/frame';
import type { SpeechInput } from '../audio/mixer';
import { SampleQueue } from '../audio/sample-queue';
import { SpeechDetector } from '../audio/speech-detector';
import { SpeechLeadIn } from '../audio/speech-lead-in';
import type { Logger } from '../log/logger';
import type { Endpoint } from './endpoint';
import { LatencyTracker } from './latency-tracker';
import { SpokenTimes } from './spoken-times';
import type { SessionState, SessionStateDetail, SessionStats, TranscriptPiece, TranslatedUtterance, TranslationSession, TranslationSessionEvents } from './ports/translation';
import type { UtteranceDelay } from './ports/metrics';

/** An utterance starting this little before the handed-over speech is taken for it (the detector and the service time onsets apart). */
const HAND_OVER_SLACK_MS = 250;

export interface RouteObserver {
  /** A session was given to the route (`sessionId` names it in events). */
  sessionOpened(route: TranslationRoute, sessionId: string, targetLanguage: string): void;
  /** A session of the route was closed (replaced, or the route closed). */
  sessionClosed(route: TranslationRoute, sessionId: string, targetLanguage: string, stats: SessionStats): void;
  state(route: TranslationRoute, sessionId: string, state: SessionState, detail?: SessionStateDetail): void;
  /** The session is moving to a new connection ('started') or has moved ('completed'). */
  handover(route: TranslationRoute, sessionId: string, phase: 'started' | 'completed'): void;
  /** Text of the utterance in progress. */
  partial(route: TranslationRoute, side: 'source' | 'translation', piece: TranscriptPiece): void;
  /** A final utterance with its translation; times are ms since the call started, when it was said. */
  utterance(route: TranslationRoute, u: TranslatedUtterance): void;
  /** The speaker's language as the translation service detected it. */
  language(route: TranslationRoute, languageCode: string): void;
  /** The listeners started hearing translated speech: how long after the speech it translates. */
  latency(route: TranslationRoute, delay: UtteranceDelay): void;
  /** Whether the next chunk's processing is timed (then `processing` gets its time). */
  timeProcessing(): boolean;
  /** tolk's own processing of translated audio (fan-out to the listeners' queues), ms per chunk. */
  processing(route: TranslationRoute, ms: number): void;
}

export interface TranslationRouteOptions {
  /** Unique in the call; names the listeners' mixer inputs (direct calls: `caller->agent`, `agent->caller`). */
  id: string;
  source: Endpoint;
  /** Most speech held while there is no session (default 10 s); older is dropped. */
  holdMs?: number;
  /**
   * What the source said before the route started (the utterance in progress when its listener
   * joined): handed to the first session before anything newer.
   */
  leadIn?: Int16Array;
  /** Keeps this much of the source's latest speech, so the utterance in progress can be handed over (default 0: none). */
  handOverMs?: number;
  /** Ms since the call started, for utterance times. */
  elapsedMs: () => number;
  observer: RouteObserver;
  logger: Logger;
}

export type RouteMode = 'translate' | 'direct';

export class TranslationRoute {
  readonly id: string;
  readonly source: Endpoint;
  /** The session failed for good: the route stays silent (its listeners hear the originals). */
  failed = false;
  private readonly detector = new SpeechDetector();
  private readonly latency: LatencyTracker;
  private readonly spoken = new SpokenTimes();
  /**
   * One moment on both of the route's clocks, taken when it started: the call's (ms since it
   * started, which times utterances) and the source's media clock (which times speech and what a
   * session hears). Media is put on the call's clock from there, so both agree at any pace.
   */
  private readonly anchor: { callMs: number; mediaMs: number };
  private readonly inputs = new Map<Endpoint, SpeechInput>();
  /** The listeners' inputs as an array, for the per-chunk fan-out, and their endpoints. */
  private fanOut: SpeechInput[] = [];
  private fanOutTo: Endpoint[] = [];
  /** The session audio goes to; undefined while holding (no session yet, or the next one connecting). */
  private session: TranslationSession | undefined;
  /** 8 kHz speech held while there is no session. */
  private readonly held: SampleQueue;
  private readonly stopListening: () => void;
  private detach: (() => void) | undefined;
  /** The session whose events are followed (also while it is still connecting). */
  private attached: { session: TranslationSession; id: string; offsetMs: number } | undefined;
  private sessions = 0;
  private modeValue: RouteMode = 'translate';
  private closed = false;
  /** The source's utterance in progress, as its detector times it (`handOverMs`). */
  private readonly speech: SpeechLeadIn | undefined;
  /** Handed over: utterances from this time on the call's clock are the adopter's to write. */
  private handedOverFromMs: number | undefined;

  constructor(private readonly opts: TranslationRouteOptions) {
    this.id = opts.id;
    this.source = opts.source;
    this.held = new SampleQueue((SAMPLE_RATE / 1000) * (opts.holdMs ?? 10_000));
    this.anchor = { callMs: opts.elapsedMs(), mediaMs: opts.source.receivedMs };
    this.latency = new LatencyTracker((delay) => opts.observer.latency(this, delay));
    if (opts.handOverMs) this.speech = new SpeechLeadIn({ maxMs: opts.handOverMs, detector: this.detector });
    if (opts.leadIn) {
      this.held.push(opts.leadIn);
      this.hearLeadIn(opts.leadIn);
    }
    this.stopListening = opts.source.listen((pcm, atMs) => this.onSpeech(pcm, atMs));
  }

  get mode(): RouteMode {
    return this.modeValue;
  }

  /** The language it translates into, or undefined while that is not known yet. */
  get targetLanguage(): string | undefined {
    return this.attached?.session.targetLanguage;
  }

  /** The current session's id in events, once the route has one. */
  get sessionId(): string | undefined {
    return this.attached?.id;
  }

  /** Ms of speech held for a session not set yet. */
  get heldMs(): number {
    return (this.held.length * 1000) / SAMPLE_RATE;
  }

  get listeners(): Endpoint[] {
    return [...this.inputs.keys()];
  }

  /** `endpoint` hears this route from now on (through a translated-speech input of its mixer). */
  addListener(endpoint: Endpoint): void {
    if (this.inputs.has(endpoint) || this.closed) return;
    const input = endpoint.mixer.addSpeech(`speech:${this.id}`);
    input.playout.setMuted(this.modeValue === 'direct');
    input.playout.onEvent((e) => {
      if (e === 'translation-start') this.latency.translationStarted(this.source.receivedMs);
      else this.latency.translationEnded(this.source.receivedMs);
    });
    this.inputs.set(endpoint, input);
    this.fanOut = [...this.inputs.values()];
    this.fanOutTo = [...this.inputs.keys()];
  }

  removeListener(endpoint: Endpoint): void {
    const input = this.inputs.get(endpoint);
    if (!input) return;
    input.playout.onEvent(undefined);
    endpoint.mixer.remove(input.name);
    this.inputs.delete(endpoint);
    this.fanOut = [...this.inputs.values()];
    this.fanOutTo = [...this.inputs.keys()];
  }

  /**
   * Translates with `next` from now on (the target language became known, or changed). The old
   * session is closed at once (its last utterance still reaches the observer); speech is held while
   * the new one connects, then handed to it in order, before any newer speech. Resolves when it is
   * set up.
   */
  async setSession(next: TranslationSession): Promise<void> {
    const previous = this.attached;
    const detachPrevious = this.detach;
    this.detach = undefined;
    this.session = undefined; // hold from now on
    if (previous) void this.closeSession(previous, detachPrevious);
    else detachPrevious?.();
    if (this.closed) {
      await next.close();
      return;
    }
    this.attach(next);
    await next.start();
    if (this.closed || this.attached?.session !== next) return;
    if (this.held.length > 0) {
      const audio = new Int16Array(this.held.length);
      this.held.read(audio);
      next.sendAudio(audio);
    }
    this.session = next;
  }

  /**
   * 'direct': the listeners hear no translation (the speaker speaks their language, or translation
   * failed); 'translate' restores it. Original voices, where tolk carries them, are the call's.
   */
  setMode(mode: RouteMode): void {
    if (mode === this.modeValue) return;
    this.modeValue = mode;
    for (const input of this.inputs.values()) input.playout.setMuted(mode === 'direct');
  }

  /**
   * The utterance in progress (from just before its start, at most `handOverMs`; empty when nobody
   * speaks), for another instance to translate: from now on no line of it is written here.
   */
  handOver(): Int16Array {
    const out = this.speech?.inProgress() ?? new Int16Array(0);
    if (out.length > 0) this.handedOverFromMs = this.callMsAt(this.source.receivedMs - samplesToMs(out.length));
    return out;
  }

  /** What `handOver` gave was not taken: its lines are written here after all. */
  keepHandedOver(): void {
    this.handedOverFromMs = undefined;
  }

  /** Closes the session (flushing the utterance in progress) and leaves the listeners' mixers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.held.clear();
    for (const endpoint of [...this.inputs.keys()]) this.removeListener(endpoint);
    const current = this.attached;
    this.attached = undefined;
    this.session = undefined;
    if (current) await this.closeSession(current, this.detach);
    this.detach = undefined;
  }

  private async closeSession(s: { session: TranslationSession; id: string }, detach: (() => void) | undefined): Promise<void> {
    const stats = s.session.stats();
    // Closing flushes the utterance in progress: its events still reach the observer until then.
    await s.session.close().catch((err: unknown) => this.opts.logger.warn({ event: 'translate.close_failed', route: this.id, err }, 'close failed'));
    detach?.();
    this.opts.observer.sessionClosed(this, s.id, s.session.targetLanguage, { ...stats, ...s.session.stats() });
  }

  private attach(t: TranslationSession): void {
    const { observer } = this.opts;
    const id = `${this.id}#${++this.sessions}`;
    // Its input clock starts with the speech held for it.
    const current = { session: t, id, offsetMs: this.callMsAt(this.source.receivedMs - this.heldMs) };
    const onAudio = (pcm: Int16Array): void => this.onTranslatedAudio(pcm);
    const onUtterance: TranslationSessionEvents['utterance'] = (u) => {
      const said = this.spoken.place(Math.round(current.offsetMs + u.startMs), Math.round(current.offsetMs + u.endMs));
      if (this.handedOverFromMs !== undefined && said.endMs > this.handedOverFromMs && said.startMs >= this.handedOverFromMs - HAND_OVER_SLACK_MS) {
        this.opts.logger.info({ event: 'translate.utterance_handed_over', route: this.id, startMs: said.startMs }, 'the utterance in progress is translated where the call moved');
        return;
      }
      // Its speech waits for no translation (one still to play keeps its lag).
      if (u.translation.text.trim() === '' || this.modeValue === 'direct') this.latency.utteranceDone(this.mediaMsAt(said.endMs));
      observer.utterance(this, { ...u, ...said });
    };
    const onLanguage = (code: string): void => observer.language(this, code);
    const onState: TranslationSessionEvents['state'] = (state, detail) => observer.state(this, id, state, detail);
    const onHandover: TranslationSessionEvents['handover'] = (phase) => observer.handover(this, id, phase);
    const onInput: TranslationSessionEvents['inputTranscript'] = (p) => {
      if (p.text.trim() !== '') this.latency.wordsHeard(this.source.receivedMs);
      observer.partial(this, 'source', p);
    };
    const onOutput: TranslationSessionEvents['outputTranscript'] = (p) => observer.partial(this, 'translation', p);
    t.on('audio', onAudio).on('utterance', onUtterance).on('language', onLanguage).on('state', onState).on('handover', onHandover);
    t.on('inputTranscript', onInput).on('outputTranscript', onOutput);
    this.attached = current;
    this.detach = () => {
      t.off('audio', onAudio).off('utterance', onUtterance).off('language', onLanguage).off('state', onState).off('handover', onHandover);
      t.off('inputTranscript', onInput).off('outputTranscript', onOutput);
    };
    observer.sessionOpened(this, id, t.targetLanguage);
  }

  private onSpeech(pcm: Int16Array, atMs: number): void {
    if (this.closed) return;
    const edge = this.detector.push(pcm, atMs);
    this.speech?.push(pcm);
    if (edge?.type === 'start') {
      this.latency.speechStarted(edge.atMs, this.translationPlaying());
      this.spoken.started(this.callMsAt(edge.atMs));
    } else if (edge) {
      this.latency.speechEnded(edge.atMs);
      this.spoken.ended(this.callMsAt(edge.atMs));
    }
    // The model hears everything, silence included, so its own voice detection keeps working.
    if (this.session) this.session.sendAudio(pcm);
    else this.held.push(pcm); // copied: the buffer is reused for the next frame
  }

  /**
   * The speech heard before the route started is timed as it was said, for the transcript, and
   * kept for a hand-over; for the lag, speech under way when the listeners joined counts from then.
   */
  private hearLeadIn(pcm: Int16Array): void {
    const startMs = this.anchor.mediaMs - samplesToMs(pcm.length);
    let i = 0;
    for (; i + FRAME_SAMPLES <= pcm.length; i += FRAME_SAMPLES) {
      const frame = pcm.subarray(i, i + FRAME_SAMPLES);
      const edge = this.detector.push(frame, startMs + samplesToMs(i + FRAME_SAMPLES));
      this.speech?.push(frame);
      if (edge?.type === 'start') this.spoken.started(this.callMsAt(edge.atMs));
      else if (edge) this.spoken.ended(this.callMsAt(edge.atMs));
    }
    this.speech?.push(pcm.subarray(i));
    if (this.detector.isSpeaking) this.latency.speechStarted(this.anchor.mediaMs, false);
  }

  /** A time on the source's media clock, on the call's. */
  private callMsAt(mediaMs: number): number {
    return Math.round(this.anchor.callMs + mediaMs - this.anchor.mediaMs);
  }

  /** A time on the call's clock, on the source's media clock. */
  private mediaMsAt(callMs: number): number {
    return this.anchor.mediaMs + callMs - this.anchor.callMs;
  }

  private translationPlaying(): boolean {
    for (const input of this.fanOut) if (input.playout.isPlaying) return true;
    return false;
  }

  /** 8 kHz translated speech; the session may reuse the array, each listener's queue copies it. */
  private onTranslatedAudio(pcm: Int16Array): void {
    if (this.closed) return;
    const t0 = this.opts.observer.timeProcessing() ? performance.now() : -1;
    const fanOut = this.fanOut;
    for (let i = 0; i < fanOut.length; i++) fanOut[i].push(pcm);
    // A listener whose far end runs short of translation gets it now, not on the next tick.
    const listeners = this.fanOutTo;
    for (let i = 0; i < listeners.length; i++) listeners[i].topUp();
    if (t0 >= 0) this.opts.observer.processing(this, performance.now() - t0);
  }
}
