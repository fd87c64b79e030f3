/**
 * Gemini Live translate behind the call core's TranslationSession port: one logical, long-lived
 * translation stream made of successive WebSocket connections. Handles goAway hand-overs
 * (replacement opened at once, input switched when it is set up, old one drained), reconnects with
 * capped exponential backoff and jitter, bounded input buffering, non-retryable failures, utterance
 * segmentation, and the conversion between the rates the session was asked for and Gemini's own.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger';
import { backoffDelay, type BackoffPolicy } from './backoff';
import { classifyClose } from './close-classifier';
import { logServiceServed, logSessionFailure } from './failure-notice';
import { ConnectFailure, GeminiConnection, type GeminiEndpoint } from './gemini-connection';
import type { OpenClientSocket } from './guarded-socket';
import { BoundedChunkQueue, InputChunker } from './input-queue';
import { assertSupportedLanguage } from './languages';
import { UtteranceSegmenter } from './segmenter';
import type { ServerEvent } from './server-message';
import { GEMINI_INPUT_RATE, GEMINI_OUTPUT_RATE, inputConverter, outputConverter, type RateConverter } from './rates';
import {
  TranslationError,
  type SessionFailureKind,
  type SessionState,
  type SessionStateDetail,
  type SessionStats,
  type TranscriptPiece,
  type TranslationSession,
  type TranslationSessionEvents,
  type TranslationSessionFactory,
  type TranslationSessionOptions,
} from '../call/ports/translation';

export const DEFAULT_TRANSLATE_MODEL = 'gemini-3.5-live-translate-preview';

export interface GeminiTranslatorConfig {
  apiKey: string;
  /** Default gemini-3.5-live-translate-preview. */
  model?: string;
  /** Optional base URL (e.g. the emulator's http://127.0.0.1:PORT). */
  baseUrl?: string;
  /** Default v1beta (set explicitly; the SDK's own default, v1, is undocumented for Live). */
  apiVersion?: string;
  /** Input chunk duration, default 100 ms (1,600 samples at 16 kHz). */
  chunkMs?: number;
  /** Time allowed from dialling to setupComplete, default 15,000 ms. */
  setupTimeoutMs?: number;
  /**
   * Reconnect backoff, default 250 ms doubling to 1,500 ms, 50 % jitter: a service back after an
   * outage is found again within 1.5 s.
   */
  backoff?: BackoffPolicy;
  /** Failed attempts in a row before giving up, default 20 (an outage of about 25 s). */
  maxRetries?: number;
  /**
   * A connection lost sooner than this after its setup counts as a failed attempt (backoff, and
   * towards maxRetries); only one that lived longer resets the count, and tells the failure notices
   * the service works. Default 10,000 ms.
   */
  stableAfterMs?: number;
  /** Input kept while (re)connecting, default 5,000 ms; older audio is dropped and counted. */
  maxBufferMs?: number;
  /**
   * Transcript silence that ends an utterance, default 1,200 ms: a pause in the speech the service
   * was given, counted as that speech went by (a stall of this process or of the audio's source is
   * no pause; see UtteranceSegmenter).
   */
  segmentPauseMs?: number;
  /** With no audio coming in at all, an utterance ends this long after anything last arrived, default 5,000 ms (at least segmentPauseMs). */
  segmentStallMs?: number;
  /** How long a replaced connection may still deliver output after a hand-over, default 3,000 ms. */
  handoverDrainMs?: number;
  /** Request and use session-resumption handles, default true. */
  sessionResumption?: boolean;
  /** Random source for jitter (tests). */
  random?: () => number;
  /**
   * The wall clock utterances' pauses are counted on, ms (default Date.now). The benchmark's
   * instruction count (scripts/frame-path), which runs its call faster than real time, gives the
   * call's own clock, so its utterances end as they would in real time.
   */
  now?: () => number;
  /**
   * How each Live WebSocket is opened; default: over the network (`ws`). The benchmark's
   * instruction count (scripts/frame-path) opens in-memory ones.
   */
  openSocket?: OpenClientSocket;
}

type Role = 'pending' | 'active' | 'draining';

interface Slot {
  id: number;
  conn: GeminiConnection;
  role: Role;
  goAway: boolean;
  /** The session-resumption handle it was opened with, if any. */
  resumedFrom?: string;
  /** When its setup completed (Date.now()), once it has. */
  openedAt?: number;
  drainTimer?: NodeJS.Timeout;
  /** Runs once it has served stableAfterMs: the service works (failure-notice). */
  servedTimer?: NodeJS.Timeout;
}

const SAMPLES_PER_MS = 16;

export class GeminiTranslatorFactory implements TranslationSessionFactory {
  constructor(private readonly config: GeminiTranslatorConfig) {
    if (!config.apiKey) throw new Error('Gemini translator: apiKey is required');
  }

  create(opts: TranslationSessionOptions): TranslationSession {
    assertSupportedLanguage(opts.targetLanguage);
    return new GeminiTranslator(this.config, opts);
  }
}

export class GeminiTranslator implements TranslationSession {
  readonly targetLanguage: string;
  private _state: SessionState = 'connecting';
  private readonly emitter = new EventEmitter();
  private readonly log: Logger;
  private readonly endpoint: GeminiEndpoint;
  private readonly cfg: Required<Omit<GeminiTranslatorConfig, 'baseUrl' | 'apiKey' | 'model' | 'apiVersion' | 'openSocket'>>;
  private readonly chunker: InputChunker;
  private readonly queue: BoundedChunkQueue;
  private readonly segmenter: UtteranceSegmenter;
  private readonly slots = new Set<Slot>();
  private readonly releasing = new Set<Promise<void>>();
  private active: Slot | undefined;
  private pending: Slot | undefined;
  private nextId = 1;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private segmentTimer: NodeJS.Timeout | undefined;
  private handle: string | undefined;
  private detectedLanguage: string | undefined;
  /** A goAway hand-over is under way (reported as 'handover' started, then completed). */
  private handingOver = false;
  private audioClockSamples = 0;
  private started: Promise<void> | undefined;
  private resolveStart: (() => void) | undefined;
  private rejectStart: ((e: TranslationError) => void) | undefined;
  private closing: Promise<void> | undefined;
  /** The caller's rates to Gemini's 16 kHz in and from its 24 kHz out. */
  private readonly input: RateConverter;
  private readonly output: RateConverter;
  private readonly counters = { reconnects: 0, handovers: 0, inputSamplesSent: 0, outputSamples: 0, malformedFrames: 0 };

  constructor(config: GeminiTranslatorConfig, opts: TranslationSessionOptions) {
    this.targetLanguage = opts.targetLanguage;
    this.log = opts.logger.child({ component: 'translator', targetLanguage: opts.targetLanguage });
    this.endpoint = {
      apiKey: config.apiKey,
      model: config.model ?? DEFAULT_TRANSLATE_MODEL,
      baseUrl: config.baseUrl,
      apiVersion: config.apiVersion ?? 'v1beta',
      ...(config.openSocket ? { openSocket: config.openSocket } : {}),
    };
    this.cfg = {
      chunkMs: config.chunkMs ?? 100,
      setupTimeoutMs: config.setupTimeoutMs ?? 15_000,
      backoff: config.backoff ?? { baseMs: 250, capMs: 1_500, jitter: 0.5 },
      maxRetries: config.maxRetries ?? 20,
      stableAfterMs: config.stableAfterMs ?? 10_000,
      maxBufferMs: config.maxBufferMs ?? 5_000,
      segmentPauseMs: config.segmentPauseMs ?? 1_200,
      segmentStallMs: config.segmentStallMs ?? 5_000,
      handoverDrainMs: config.handoverDrainMs ?? 3_000,
      sessionResumption: config.sessionResumption ?? true,
      random: config.random ?? Math.random,
      now: config.now ?? Date.now,
    };
    this.echoTargetLanguage = opts.echoTargetLanguage ?? false;
    this.chunker = new InputChunker(Math.max(1, Math.round(this.cfg.chunkMs * SAMPLES_PER_MS)));
    this.queue = new BoundedChunkQueue(this.cfg.maxBufferMs * SAMPLES_PER_MS);
    this.segmenter = new UtteranceSegmenter(this.cfg.segmentPauseMs, this.cfg.segmentStallMs);
    this.input = inputConverter(opts.inputRate ?? GEMINI_INPUT_RATE);
    this.output = outputConverter(opts.outputRate ?? GEMINI_OUTPUT_RATE);
  }

  private readonly echoTargetLanguage: boolean;

  get state(): SessionState {
    return this._state;
  }

  on<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this {
    this.emitter.on(e, l);
    return this;
  }

  off<E extends keyof TranslationSessionEvents>(e: E, l: TranslationSessionEvents[E]): this {
    this.emitter.off(e, l);
    return this;
  }

  stats(): SessionStats {
    return { ...this.counters, inputSamplesDropped: this.queue.droppedSamples };
  }

  start(): Promise<void> {
    if (this.started) return this.started;
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
    if (this.isTerminal()) {
      this.rejectStart?.(new TranslationError('unknown', 'translator already closed'));
      return this.started;
    }
    this.setState('connecting');
    this.connect('start');
    return this.started;
  }

  sendAudio(pcm: Int16Array): void {
    if (this.isTerminal() || pcm.length === 0) return;
    const pcm16k = this.input.convert(pcm);
    this.audioClockSamples += pcm16k.length;
    this.chunker.push(pcm16k, this.forwardChunk);
    if (this.segmenter.pending) {
      this.segmenter.heard(this.audioClockSamples / SAMPLES_PER_MS, this.cfg.now());
      if (this.segmenter.paused) this.endUtterance();
    }
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.shutdown();
    return this.closing;
  }

  // ---- internals ----

  private isTerminal(): boolean {
    return this.closing !== undefined || this._state === 'failed' || this._state === 'closed';
  }

  /** A chunk from the chunker: its array is reused, so it is copied if it has to wait. */
  private readonly forwardChunk = (chunk: Int16Array): void => this.forward(chunk, true);

  private forward(chunk: Int16Array, borrowed = false): void {
    const target = this.active;
    if (target && this._state === 'open' && target.conn.sendAudio(chunk)) {
      this.counters.inputSamplesSent += chunk.length;
      return;
    }
    const before = this.queue.droppedSamples;
    this.queue.push(borrowed ? chunk.slice() : chunk);
    if (this.queue.droppedSamples > before && before === 0) {
      this.log.warn({ event: 'translate.input_dropped', bufferMs: this.cfg.maxBufferMs }, 'input buffer full while reconnecting; dropping oldest audio');
    }
  }

  private flushQueue(): void {
    for (const chunk of this.queue.drain()) this.forward(chunk);
  }

  private connect(why: 'start' | 'reconnect' | 'handover'): void {
    const slot: Slot = { id: this.nextId++, role: 'pending', goAway: false, resumedFrom: this.handle } as Slot;
    slot.conn = new GeminiConnection(
      {
        ...this.endpoint,
        targetLanguage: this.targetLanguage,
        echoTargetLanguage: this.echoTargetLanguage,
        sessionResumption: this.cfg.sessionResumption,
        resumptionHandle: this.handle,
        setupTimeoutMs: this.cfg.setupTimeoutMs,
      },
      {
        onEvent: (e) => this.onServerEvent(slot, e),
        onClose: (code, reason) => this.onConnectionClosed(slot, code, reason),
        onMalformedFrame: (detail) => {
          this.counters.malformedFrames++;
          this.log.warn({ event: 'translate.malformed_frame', connection: slot.id, detail }, 'dropped a malformed frame from the service');
        },
      },
    );
    this.slots.add(slot);
    this.pending = slot;
    if (why === 'reconnect') this.counters.reconnects++;
    this.log.info({ event: 'translate.connecting', connection: slot.id, why, resuming: this.handle !== undefined }, 'opening translation connection');
    slot.conn.open().then(
      () => this.onConnectionOpen(slot),
      (err: unknown) => this.onConnectFailed(slot, err),
    );
  }

  private onConnectionOpen(slot: Slot): void {
    if (this.pending === slot) this.pending = undefined;
    if (this.isTerminal()) {
      void this.release(slot);
      return;
    }
    const openedAt = Date.now();
    slot.openedAt = openedAt;
    slot.servedTimer = setTimeout(() => {
      slot.servedTimer = undefined;
      logServiceServed(this.log, openedAt);
    }, this.cfg.stableAfterMs);
    const previous = this.active;
    if (previous && previous.conn.isOpen) {
      previous.role = 'draining';
      this.counters.handovers++;
      previous.drainTimer = setTimeout(() => void this.release(previous), this.cfg.handoverDrainMs);
      this.log.info({ event: 'translate.handover', from: previous.id, to: slot.id }, 'input switched to the replacement connection');
    }
    slot.role = 'active';
    this.active = slot;
    this.log.info({ event: 'translate.open', connection: slot.id }, 'translation connection set up');
    this.setState('open');
    if (this.handingOver) {
      this.handingOver = false;
      this.emit('handover', 'completed');
    }
    this.flushQueue();
    this.resolveStart?.();
  }

  private onConnectFailed(slot: Slot, err: unknown): void {
    void this.release(slot);
    if (this.pending === slot) this.pending = undefined;
    if (this.isTerminal()) return;
    const f = err instanceof ConnectFailure ? err : new ConnectFailure({ retryable: true, kind: 'unknown' }, undefined, String(err));
    this.log.warn({ event: 'translate.connect_failed', connection: slot.id, code: f.code, reason: f.reason, kind: f.verdict.kind, retryable: f.verdict.retryable }, 'translation connection failed');
    if (f.verdict.kind === 'invalid_argument' && slot.resumedFrom !== undefined) {
      // The service no longer knows the session (it restarted, or the handle is stale): start a
      // fresh one at once. Only a fresh setup refused as invalid is a real configuration error.
      if (this.handle === slot.resumedFrom) this.handle = undefined;
      this.log.warn({ event: 'translate.resumption_refused', connection: slot.id, reason: f.reason }, 'session resumption refused: starting a fresh session');
      if (!this.pending && !this.retryTimer) this.connect(this.active?.conn.isOpen ? 'handover' : 'reconnect');
      return;
    }
    if (!f.verdict.retryable) {
      this.fail(f.verdict.kind, f.reason);
      return;
    }
    this.failures++;
    if (this.failures > this.cfg.maxRetries) {
      this.fail('retries_exhausted', `gave up after ${this.failures} failed attempts; last: ${f.reason}`);
      return;
    }
    if (!this.active?.conn.isOpen && this._state !== 'connecting') this.setState('reconnecting', { reason: f.reason });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.pending) return;
    const delay = backoffDelay(this.cfg.backoff, this.failures, this.cfg.random);
    this.log.info({ event: 'translate.reconnect_scheduled', attempt: this.failures + 1, delayMs: delay }, 'reconnecting after backoff');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.isTerminal() && !this.pending) this.connect('reconnect');
    }, delay);
  }

  private onConnectionClosed(slot: Slot, code: number, reason: string): void {
    this.slots.delete(slot);
    if (slot.drainTimer) clearTimeout(slot.drainTimer);
    if (slot.servedTimer) clearTimeout(slot.servedTimer);
    if (this.isTerminal()) return;
    if (slot.role === 'draining') {
      this.log.info({ event: 'translate.drained', connection: slot.id, code }, 'replaced connection closed');
      return;
    }
    if (slot !== this.active) return;
    this.active = undefined;
    const verdict = classifyClose(code, reason);
    this.log.warn({ event: 'translate.connection_lost', connection: slot.id, code, reason, afterGoAway: slot.goAway }, 'translation connection closed by the service');
    if (!verdict.retryable && !slot.goAway) {
      this.fail(verdict.kind, reason || `closed with code ${code}`);
      return;
    }
    const why = reason || `closed with code ${code}`;
    this.setState('reconnecting', { reason: why });
    const lived = slot.openedAt === undefined ? 0 : Date.now() - slot.openedAt;
    if (slot.goAway || lived >= this.cfg.stableAfterMs) {
      // A connection that served a while (or was retired by goAway): start afresh at once.
      this.failures = 0;
      if (!this.pending && !this.retryTimer) this.connect('reconnect');
      return;
    }
    // Dropped soon after setup: a service that accepts and then drops every connection must not
    // be redialled in a tight loop. Count it, back off, and give up after maxRetries.
    this.failures++;
    if (this.failures > this.cfg.maxRetries) {
      this.fail('retries_exhausted', `gave up after ${this.failures} connections in a row were lost soon after setup; last: ${why}`);
      return;
    }
    this.scheduleRetry();
  }

  private onServerEvent(slot: Slot, e: ServerEvent): void {
    if (this.isTerminal()) return;
    const at = this.audioClockSamples / SAMPLES_PER_MS;
    switch (e.type) {
      case 'audio':
        this.counters.outputSamples += e.pcm24k.length;
        if (this.segmenter.pending) {
          this.segmenter.touch(at, this.cfg.now());
          this.armSegmentTimer();
        }
        this.emit('audio', this.output.convert(e.pcm24k));
        break;
      case 'inputTranscription':
        if (e.languageCode && e.languageCode !== this.detectedLanguage) {
          this.detectedLanguage = e.languageCode;
          this.emit('language', e.languageCode);
        }
        this.transcript('source', { text: e.text, languageCode: e.languageCode ?? this.detectedLanguage, atMs: at });
        break;
      case 'outputTranscription':
        this.transcript('translation', { text: e.text, languageCode: e.languageCode, atMs: at });
        break;
      case 'goAway':
        this.onGoAway(slot, e.timeLeftMs);
        break;
      case 'resumption':
        if (e.resumable && e.handle) this.handle = e.handle;
        break;
      default:
        break;
    }
  }

  private onGoAway(slot: Slot, timeLeftMs: number | undefined): void {
    slot.goAway = true;
    this.log.info({ event: 'translate.goaway', connection: slot.id, timeLeftMs }, 'service announced the connection will end');
    if (slot === this.active && !this.pending && !this.retryTimer) {
      this.handingOver = true;
      this.emit('handover', 'started');
      this.connect('handover');
    }
  }

  private transcript(side: 'source' | 'translation', piece: TranscriptPiece): void {
    // Speech in another language is someone else speaking (in a conference): the utterance before it is over.
    if (side === 'source' && piece.languageCode && this.segmenter.pending && this.segmenter.sourceLanguage && piece.languageCode !== this.segmenter.sourceLanguage) this.flushUtterance();
    this.segmenter.add(side, piece, this.cfg.now());
    if (piece.text !== '') this.emit(side === 'source' ? 'inputTranscript' : 'outputTranscript', piece);
    this.armSegmentTimer();
  }

  private armSegmentTimer(): void {
    if (this.segmentTimer) clearTimeout(this.segmentTimer);
    this.segmentTimer = undefined;
    const deadline = this.segmenter.deadline();
    if (deadline === undefined) return;
    this.segmentTimer = setTimeout(() => {
      this.segmentTimer = undefined;
      const u = this.segmenter.take(this.cfg.now());
      if (u) this.emit('utterance', u);
      else this.armSegmentTimer();
    }, Math.max(0, deadline - this.cfg.now()));
  }

  /** The pause after the utterance in progress has been heard: it is over. */
  private endUtterance(): void {
    const u = this.segmenter.take(this.cfg.now());
    if (!u) return;
    if (this.segmentTimer) clearTimeout(this.segmentTimer);
    this.segmentTimer = undefined;
    this.emit('utterance', u);
  }

  private setState(s: SessionState, detail?: SessionStateDetail): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s, detail);
  }

  private emit<E extends keyof TranslationSessionEvents>(e: E, ...args: Parameters<TranslationSessionEvents[E]>): void {
    try {
      this.emitter.emit(e, ...args);
    } catch (err) {
      this.log.error({ event: 'translate.listener_error', listenerOf: e, err }, 'a translator event listener threw');
    }
  }

  private fail(kind: SessionFailureKind, reason: string): void {
    if (this.isTerminal()) return;
    logSessionFailure(this.log, kind, reason);
    this.flushUtterance();
    this.setState('failed', { kind, reason });
    this.rejectStart?.(new TranslationError(kind, `Translation to '${this.targetLanguage}' failed (${kind}): ${reason}`));
    void this.releaseAll();
  }

  private flushUtterance(): void {
    const u = this.segmenter.take(this.cfg.now(), true);
    if (u) this.emit('utterance', u);
  }

  private async shutdown(): Promise<void> {
    const wasFailed = this._state === 'failed';
    const tail = this.chunker.flush();
    if (!wasFailed && tail.length > 0 && this.active?.conn.sendAudio(tail)) this.counters.inputSamplesSent += tail.length;
    if (!wasFailed) this.flushUtterance();
    this.rejectStart?.(new TranslationError('unknown', 'translator closed before the session was set up'));
    if (!wasFailed) this.setState('closed');
    await this.releaseAll();
    this.emitter.removeAllListeners();
    this.log.info({ event: 'translate.closed', ...this.stats() }, 'translator closed');
  }

  private async releaseAll(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.segmentTimer) clearTimeout(this.segmentTimer);
    this.retryTimer = undefined;
    this.segmentTimer = undefined;
    this.queue.clear();
    this.pending = undefined;
    this.active = undefined;
    for (const s of [...this.slots]) void this.release(s);
    await Promise.all([...this.releasing]);
  }

  private release(slot: Slot): Promise<void> {
    if (slot.drainTimer) clearTimeout(slot.drainTimer);
    if (slot.servedTimer) clearTimeout(slot.servedTimer);
    slot.drainTimer = undefined;
    slot.servedTimer = undefined;
    this.slots.delete(slot);
    const p = slot.conn.close().finally(() => this.releasing.delete(p));
    this.releasing.add(p);
    return p;
  }
}
