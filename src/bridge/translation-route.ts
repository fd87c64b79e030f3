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
import type { Translator, TranslatorState, StateDetail, Utterance as TranslatedUtterance } from '../translate/translator';
import type { CallLeg } from './call-leg';
import { LatencyTracker } from './latency-tracker';
import { SpeechDetector } from './speech-detector';

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
  translator: Translator;
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
  private readonly detector = new SpeechDetector();
  private readonly latency: LatencyTracker;
  private readonly translator: Translator;
  private modeValue: RouteMode = 'translate';
  private closed = false;

  constructor(private readonly opts: TranslationRouteOptions) {
    this.name = opts.name;
    this.translator = opts.translator;
    this.latency = new LatencyTracker((ms) => opts.observer.latency(this, ms));
    opts.to.playout.setOriginalGain(opts.originalGain);
    opts.to.playout.onEvent((e) => {
      if (e === 'translation-start') this.latency.translationStarted(opts.from.receivedMs);
    });
    opts.from.onSpeech((pcm, atMs) => this.onSpeech(pcm, atMs));
    this.translator
      .on('audio', (pcm24k) => this.onTranslatedAudio(pcm24k))
      .on('utterance', (u) => opts.observer.utterance(this, u))
      .on('language', (code) => opts.observer.language(this, code))
      .on('state', (s, detail) => opts.observer.state(this, s, detail));
  }

  get mode(): RouteMode {
    return this.modeValue;
  }

  get targetLanguage(): string {
    return this.translator.targetLanguage;
  }

  get translatorStats(): ReturnType<Translator['stats']> {
    return this.translator.stats();
  }

  /** Algorithmic delay tolk adds on this route (both resamplers), ms. */
  get resamplingDelayMs(): number {
    return this.upsampler.delayMs + this.downsampler.delayMs;
  }

  start(): Promise<void> {
    return this.translator.start();
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
    await this.translator.close();
  }

  private onSpeech(pcm8k: Int16Array, atMs: number): void {
    if (this.closed) return;
    this.opts.to.playout.pushOriginal(pcm8k);
    const edge = this.detector.push(pcm8k, atMs);
    if (edge?.type === 'start') this.latency.speechStarted();
    else if (edge?.type === 'end') this.latency.speechEnded(edge.atMs);
    // The model hears everything, silence included, so its own voice detection keeps working.
    if (this.upsampled.length < 2 * pcm8k.length) this.upsampled = new Int16Array(2 * pcm8k.length);
    this.translator.sendAudio(this.upsampler.process(pcm8k, this.upsampled));
  }

  private onTranslatedAudio(pcm24k: Int16Array): void {
    if (this.closed) return;
    const t0 = performance.now();
    this.opts.to.playout.pushTranslated(this.downsampler.process(pcm24k));
    this.opts.observer.processing(this, performance.now() - t0);
  }
}
