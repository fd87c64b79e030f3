/**
 * One direction of interpretation: what the speaker's leg says is translated and played to the
 * listener's leg, with the speaker's own voice under it. A call holds legs and routes between
 * them, so a third participant (an interpreter joining a conference) is more routes, not a rewrite.
 *
 *   speaker leg -> 8 kHz PCM -> TranslationSession (asked for 8 kHz in and out) -> listener play-out
 *               \-> listener play-out (original voice at originalVolume)
 */
import { performance } from 'node:perf_hooks';
import { SAMPLE_RATE } from '../audio/playout';
import { SampleQueue } from '../audio/sample-queue';
import { SpeechDetector } from '../audio/speech-detector';
import type { Logger } from '../log/logger';
import type { CallLeg } from './call-leg';
import { LatencyTracker } from './latency-tracker';
import type { SessionState, SessionStateDetail, TranslatedUtterance, TranslationSession, TranslationSessionEvents } from './ports/translation';

export interface RouteObserver {
  /** A final utterance with its translation; times are ms since the route was joined. */
  utterance(route: TranslationRoute, u: TranslatedUtterance): void;
  /** The speaker's language as the translation service detected it. */
  language(route: TranslationRoute, languageCode: string): void;
  state(route: TranslationRoute, state: SessionState, detail?: SessionStateDetail): void;
  /** The session is moving to a new connection ('started') or has moved ('completed'). */
  handover(route: TranslationRoute, phase: 'started' | 'completed'): void;
  latency(route: TranslationRoute, ms: number): void;
  /** tolk's own processing of translated audio (queueing), ms per chunk. */
  processing(route: TranslationRoute, ms: number): void;
}

export interface TranslationRouteOptions {
  /** `<speaker role>-><listener role>`, e.g. 'caller->agent'. */
  name: string;
  from: CallLeg;
  to: CallLeg;
  /**
   * None yet when the listener's language is still unknown (the caller's language is being
   * detected): the speaker's audio is then held, up to `holdMs`, and given to the translator
   * set later with `setTranslator`.
   */
  translator?: TranslationSession;
  /** Most speech held while there is no translator (default 10 s); older is dropped. */
  holdMs?: number;
  /** Gain of the speaker's own voice under the translation (0..1). */
  originalGain: number;
  observer: RouteObserver;
  logger: Logger;
}

export type RouteMode = 'translate' | 'direct';

export class TranslationRoute {
  readonly name: string;
  private readonly detector = new SpeechDetector();
  private readonly latency: LatencyTracker;
  private translator: TranslationSession | undefined;
  /** 8 kHz speech held while there is no translator. */
  private readonly held: SampleQueue;
  private detach: (() => void) | undefined;
  /** The translator whose events are followed (also while it is still connecting). */
  private attached: TranslationSession | undefined;
  private modeValue: RouteMode = 'translate';
  private closed = false;

  constructor(private readonly opts: TranslationRouteOptions) {
    this.name = opts.name;
    this.held = new SampleQueue((SAMPLE_RATE / 1000) * (opts.holdMs ?? 10_000));
    this.latency = new LatencyTracker((ms) => opts.observer.latency(this, ms));
    opts.to.playout.setOriginalGain(opts.originalGain);
    opts.to.playout.onEvent((e) => {
      if (e === 'translation-start') this.latency.translationStarted(opts.from.receivedMs);
    });
    opts.from.onSpeech((pcm, atMs) => this.onSpeech(pcm, atMs));
    if (opts.translator) this.attach(opts.translator);
  }

  get mode(): RouteMode {
    return this.modeValue;
  }

  /** The listener's language, or undefined while it is not known yet. */
  get targetLanguage(): string | undefined {
    return (this.translator ?? this.attached)?.targetLanguage;
  }

  get translatorStats(): ReturnType<TranslationSession['stats']> | undefined {
    return (this.translator ?? this.attached)?.stats();
  }

  /** Ms of speech held for a translator not set yet. */
  get heldMs(): number {
    return (this.held.length * 1000) / SAMPLE_RATE;
  }

  /** Starts the translator (resolves at once when there is none yet). */
  start(): Promise<void> {
    return this.translator?.start() ?? Promise.resolve();
  }

  /**
   * Translates into another language from now on (the listener's language became known, or the
   * speaker switched language). The old translator is closed at once; speech is held while the new
   * one connects, then handed to it in order, before any newer speech. Resolves when it is set up.
   */
  async setTranslator(next: TranslationSession): Promise<void> {
    const previous = this.translator ?? this.attached;
    const detachPrevious = this.detach;
    this.detach = undefined;
    this.translator = undefined; // hold from now on
    // The old translator's last utterance is flushed as it closes; its events are followed until then.
    if (previous) void previous.close().catch(() => undefined).finally(() => detachPrevious?.());
    else detachPrevious?.();
    if (this.closed) {
      await next.close();
      return;
    }
    this.attach(next);
    this.translator = undefined; // attached for its events, but still holding input until set up
    await next.start();
    if (this.closed) return;
    if (this.held.length > 0) {
      const audio = new Int16Array(this.held.length);
      this.held.read(audio);
      next.sendAudio(audio);
    }
    this.translator = next;
  }

  /**
   * 'direct': the listener hears the speaker's own voice at full volume and no translation
   * (both speak the same language, or translation failed). 'translate' restores the mix.
   */
  setMode(mode: RouteMode): void {
    if (mode === this.modeValue) return;
    this.modeValue = mode;
    const playout = this.opts.to.playout;
    playout.setTranslationMuted(mode === 'direct');
    playout.setOriginalGain(mode === 'direct' ? 1 : this.opts.originalGain);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.opts.to.playout.onEvent(undefined);
    this.held.clear();
    // Closing flushes the utterance in progress: its events still reach the observer.
    await (this.translator ?? this.attached)?.close();
    this.detach?.();
  }

  private attach(t: TranslationSession): void {
    const { observer } = this.opts;
    const onAudio = (pcm: Int16Array): void => this.onTranslatedAudio(pcm);
    const onUtterance: TranslationSessionEvents['utterance'] = (u) => observer.utterance(this, u);
    const onLanguage = (code: string): void => observer.language(this, code);
    const onState: TranslationSessionEvents['state'] = (state, detail) => observer.state(this, state, detail);
    const onHandover: TranslationSessionEvents['handover'] = (phase) => observer.handover(this, phase);
    t.on('audio', onAudio).on('utterance', onUtterance).on('language', onLanguage).on('state', onState).on('handover', onHandover);
    this.translator = t;
    this.attached = t;
    this.detach = () => {
      t.off('audio', onAudio).off('utterance', onUtterance).off('language', onLanguage).off('state', onState).off('handover', onHandover);
    };
  }

  private onSpeech(pcm8k: Int16Array, atMs: number): void {
    if (this.closed) return;
    this.opts.to.playout.pushOriginal(pcm8k);
    const edge = this.detector.push(pcm8k, atMs);
    if (edge?.type === 'start') this.latency.speechStarted();
    else if (edge?.type === 'end') this.latency.speechEnded(edge.atMs);
    // The model hears everything, silence included, so its own voice detection keeps working.
    if (this.translator) this.translator.sendAudio(pcm8k);
    else this.held.push(pcm8k); // copied: the buffer is reused for the next frame
  }

  /** 8 kHz translated speech; the session may reuse the array, the play-out copies what it queues. */
  private onTranslatedAudio(pcm: Int16Array): void {
    if (this.closed) return;
    const t0 = performance.now();
    this.opts.to.playout.pushTranslated(pcm);
    this.opts.observer.processing(this, performance.now() - t0);
  }
}
