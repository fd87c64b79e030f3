/**
 * One direction of interpretation: what the speaker's leg says is translated and played to the
 * listener's leg, with the speaker's own voice under it. A call holds legs and routes between
 * them, so a third participant (an interpreter joining a conference) is more routes, not a rewrite.
 *
 *   speaker leg -> 8 kHz PCM -> upsample 16 kHz -> Translator -> 24 kHz -> downsample 8 kHz -> listener play-out
 *               \-> listener play-out (original voice at originalVolume)
 */
import { performance } from 'node:perf_hooks';
import { Downsampler24to8, Upsampler8to16 } from '../audio';
import type { Logger } from '../log/logger';
import type { Translator, TranslatorEvents, TranslatorState, StateDetail, Utterance as TranslatedUtterance } from '../translate/translator';
import type { CallLeg } from './call-leg';
import { LatencyTracker } from './latency-tracker';
import { SampleQueue } from '../audio/sample-queue';
import { SpeechDetector } from '../audio/speech-detector';

export interface RouteObserver {
  /** A final utterance with its translation; times are ms since the route was joined. */
  utterance(route: TranslationRoute, u: TranslatedUtterance): void;
  /** The speaker's language as the translation service detected it. */
  language(route: TranslationRoute, languageCode: string): void;
  state(route: TranslationRoute, state: TranslatorState, detail?: StateDetail): void;
  latency(route: TranslationRoute, ms: number): void;
  /** tolk's own processing of translated audio (downsampling, queueing), ms per chunk. */
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
  translator?: Translator;
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
  private readonly upsampler = new Upsampler8to16();
  private readonly downsampler = new Downsampler24to8();
  /** 16 kHz speech for the translator, reused every frame (the translator copies what it keeps). */
  private upsampled = new Int16Array(320);
  /** 8 kHz translated speech for the play-out, reused every chunk (the play-out copies it). */
  private downsampled = new Int16Array(1600);
  private readonly detector = new SpeechDetector();
  private readonly latency: LatencyTracker;
  private translator: Translator | undefined;
  /** 16 kHz speech held while there is no translator. */
  private readonly held: SampleQueue;
  private detach: (() => void) | undefined;
  /** The translator whose events are followed (also while it is still connecting). */
  private attached: Translator | undefined;
  private modeValue: RouteMode = 'translate';
  private closed = false;

  constructor(private readonly opts: TranslationRouteOptions) {
    this.name = opts.name;
    this.held = new SampleQueue(16 * (opts.holdMs ?? 10_000));
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

  get translatorStats(): ReturnType<Translator['stats']> | undefined {
    return (this.translator ?? this.attached)?.stats();
  }

  /** Ms of speech held for a translator not set yet. */
  get heldMs(): number {
    return this.held.length / 16;
  }

  /** Algorithmic delay tolk adds on this route (both resamplers), ms. */
  get resamplingDelayMs(): number {
    return this.upsampler.delayMs + this.downsampler.delayMs;
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
  async setTranslator(next: Translator): Promise<void> {
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

  private attach(t: Translator): void {
    const { observer } = this.opts;
    const onAudio = (pcm24k: Int16Array): void => this.onTranslatedAudio(pcm24k);
    const onUtterance: TranslatorEvents['utterance'] = (u) => observer.utterance(this, u);
    const onLanguage = (code: string): void => observer.language(this, code);
    const onState: TranslatorEvents['state'] = (state, detail) => observer.state(this, state, detail);
    t.on('audio', onAudio).on('utterance', onUtterance).on('language', onLanguage).on('state', onState);
    this.translator = t;
    this.attached = t;
    this.detach = () => {
      t.off('audio', onAudio).off('utterance', onUtterance).off('language', onLanguage).off('state', onState);
    };
  }

  private onSpeech(pcm8k: Int16Array, atMs: number): void {
    if (this.closed) return;
    this.opts.to.playout.pushOriginal(pcm8k);
    const edge = this.detector.push(pcm8k, atMs);
    if (edge?.type === 'start') this.latency.speechStarted();
    else if (edge?.type === 'end') this.latency.speechEnded(edge.atMs);
    // The model hears everything, silence included, so its own voice detection keeps working.
    if (this.upsampled.length < 2 * pcm8k.length) this.upsampled = new Int16Array(2 * pcm8k.length);
    const pcm16k = this.upsampler.process(pcm8k, this.upsampled);
    if (this.translator) this.translator.sendAudio(pcm16k);
    else this.held.push(pcm16k); // copied: the buffer is reused for the next frame
  }

  private onTranslatedAudio(pcm24k: Int16Array): void {
    if (this.closed) return;
    const t0 = performance.now();
    const count = this.downsampler.outputLength(pcm24k.length);
    if (this.downsampled.length < count) this.downsampled = new Int16Array(count);
    // The play-out copies what it queues, so one buffer serves every chunk.
    this.opts.to.playout.pushTranslated(this.downsampler.process(pcm24k, this.downsampled));
    this.opts.observer.processing(this, performance.now() - t0);
  }
}
