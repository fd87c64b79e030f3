/**
 * One emulated Gemini Live translate connection: protocol state machine, translation behaviour,
 * periodic messages and injected faults. Transport-free: frames go through `SessionIO`, so the
 * logic can be driven by the ws server or directly.
 */
import { randomBytes } from 'node:crypto';
import { base64ToInt16, int16ToBase64 } from '../../audio/bytes';
import { EnergyDetector, type DetectorEvent, type EnergyDetectorOptions } from './energy-detector';
import { CLOSE, REASONS, applyTokenConstraints, formatDuration, validateSetup, type LiveEndpoint, type TranslateSetup } from './protocol';
import type { Interpreter, InterpreterFactory, ModelOutput } from './responder';
import type { StoredToken } from './tokens';

export interface SessionIO {
  /** Sends one server message as a binary frame of UTF-8 JSON. */
  send(msg: Record<string, unknown>): void;
  /** Sends raw bytes as a binary frame (fault injection). */
  sendRaw(text: string): void;
  close(code: number, reason: string): void;
  /** Abrupt TCP drop, no close frame. */
  drop(): void;
}

export interface EmulatorFaults {
  /** Send goAway this long after setup, then close 1008 when timeLeft runs out. */
  goAwayAfterMs?: number;
  /** timeLeft announced in goAway (default 1,000 ms; the real service says 50 s). */
  goAwayTimeLeftMs?: number;
  /** Close 1011 with the quota text this long after setup. */
  quotaAfterMs?: number;
  /** Close 1011 "Internal error occurred." this long after setup. */
  internalErrorAfterMs?: number;
  /** Drop the TCP connection (no close frame) this long after setup. */
  dropAfterMs?: number;
  /** Send a non-JSON frame this long after setup. */
  malformedAfterMs?: number;
  /** Delay before setupComplete. */
  setupDelayMs?: number;
  /** Never answer the setup message. */
  neverSetup?: boolean;
  /** Refuse the setup message: close as for quota (1011), internal error (1011), an invalid argument (1007), or drop. */
  setupFailure?: 'quota' | 'internal' | 'invalid' | 'drop';
  /** Send each reply's audio at once instead of in real time. */
  burst?: boolean;
}

export interface SessionConfig {
  id: number;
  endpoint: LiveEndpoint;
  knownModels: readonly string[];
  isSupportedLanguage: (code: string) => boolean;
  interpreter: InterpreterFactory;
  /** How far the translation trails the speech it translates (service ms). */
  lagMs: number;
  /** Real seconds per emulated second (all durations are multiplied by it): 0.1 = ten times faster. */
  timeScale: number;
  usageIntervalMs: number;
  resumptionIntervalMs: number;
  /** Output audio frame duration (service ms). */
  outputChunkMs: number;
  faults: EmulatorFaults;
  detector?: Partial<EnergyDetectorOptions>;
  /** The ephemeral token this connection was opened with (Constrained endpoint). */
  token?: StoredToken;
  /** Spends one of the token's uses for a new (not resumed) session; false when none is left or its window has passed. */
  spendTokenUse?: () => boolean;
  handles: HandleRegistry;
}

/**
 * Session-resumption handles issued by the emulator, valid across its connections for as long as
 * the service documents: until 2 hours (service time) after the connection that issued them ended.
 * A handle the emulator never issued (one from before it restarted) or one past that is refused,
 * as the real service refuses it: 1007 "Request contains an invalid argument."
 */
export class HandleRegistry {
  /** Handle -> wall-clock expiry (Infinity while its connection is open). */
  private readonly handles = new Map<string, number>();
  private readonly bySession = new Map<number, string[]>();

  constructor(
    private readonly ttlMs = 2 * 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(sessionId: number): string {
    const h = randomBytes(24).toString('base64url');
    this.handles.set(h, Infinity);
    const list = this.bySession.get(sessionId) ?? [];
    list.push(h);
    this.bySession.set(sessionId, list);
    return h;
  }

  /** The connection `sessionId` ended: its handles now expire after the TTL (`timeScale` applied). */
  sessionEnded(sessionId: number, timeScale = 1): void {
    const until = this.now() + this.ttlMs * timeScale;
    for (const h of this.bySession.get(sessionId) ?? []) this.handles.set(h, until);
    this.bySession.delete(sessionId);
    for (const [h, expiry] of this.handles) if (expiry <= this.now()) this.handles.delete(h);
  }

  has(h: string): boolean {
    const expiry = this.handles.get(h);
    return expiry !== undefined && expiry > this.now();
  }
}

export interface SessionStats {
  samplesReceived: number;
  audioMessages: number;
  utterances: number;
  outputSamples: number;
  framesSent: number;
  resumedFrom?: string;
  /** The connection negotiated permessage-deflate (set by the transport). */
  compressed?: boolean;
}

const TOKENS_PER_SECOND = 25;

export class EmulatorSession {
  readonly stats: SessionStats = { samplesReceived: 0, audioMessages: 0, utterances: 0, outputSamples: 0, framesSent: 0 };
  setup: TranslateSetup | undefined;
  private setupSeen = false;
  private ended = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly detector: EnergyDetector;
  private interpreter: Interpreter | undefined;
  private outputFreeAt = 0;
  private output: { at: number; fn: () => void }[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private usageSamples = 0;
  private usageOutput = 0;
  private totals = { prompt: 0, response: 0 };

  constructor(
    private readonly cfg: SessionConfig,
    private readonly io: SessionIO,
  ) {
    this.detector = new EnergyDetector({ sampleRate: 16_000, ...cfg.detector });
  }

  get id(): number {
    return this.cfg.id;
  }

  get isSetUp(): boolean {
    return this.setup !== undefined;
  }

  /** Handles one client frame (text of a JSON message). */
  onFrame(text: string): void {
    if (this.ended) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.end(CLOSE.invalidArgument, 'Invalid JSON payload received. Unexpected token.');
      return;
    }
    if (typeof msg !== 'object' || msg === null) return this.end(CLOSE.invalidArgument, REASONS.invalidArgument);
    const m = msg as Record<string, unknown>;
    if (!this.setupSeen) {
      if (!('setup' in m)) return this.end(CLOSE.invalidArgument, REASONS.invalidArgument);
      this.setupSeen = true;
      this.onSetup(m.setup);
      return;
    }
    if (!this.setup) return; // setup still pending (slow setup): the service buffers nothing useful
    if ('realtimeInput' in m) this.onRealtimeInput(m.realtimeInput);
    else if ('clientContent' in m) this.end(CLOSE.invalidArgument, REASONS.invalidArgument); // translate: audio only
  }

  // ---- fault controls (also used by tests, per connection) ----

  goAway(timeLeftMs = this.cfg.faults.goAwayTimeLeftMs ?? 1000): void {
    if (this.ended) return;
    this.send({ goAway: { timeLeft: formatDuration(timeLeftMs) } });
    this.after(timeLeftMs, () => this.end(CLOSE.policy, REASONS.deadline));
  }

  quota(): void {
    this.end(CLOSE.internal, REASONS.quota);
  }

  internalError(): void {
    this.end(CLOSE.internal, REASONS.internal);
  }

  drop(): void {
    if (this.ended) return;
    this.dispose();
    this.io.drop();
  }

  malformed(): void {
    if (this.ended) return;
    this.stats.framesSent++;
    this.io.sendRaw('<html>502 Bad Gateway</html>');
  }

  /** The transport closed (either side). Releases every timer; the handles it issued start to expire. */
  dispose(): void {
    if (!this.ended) this.cfg.handles.sessionEnded(this.cfg.id, this.cfg.timeScale);
    this.ended = true;
    this.output = [];
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- internals ----

  private onSetup(raw: unknown): void {
    const clientSetup = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const effective = this.cfg.token ? applyTokenConstraints(clientSetup, this.cfg.token.setup, this.cfg.token.fieldMask) : clientSetup;
    const v = validateSetup(effective, this.cfg.endpoint.version, this.cfg.knownModels, this.cfg.isSupportedLanguage);
    if (!v.ok) return this.end(v.code, v.reason);
    if (v.setup.resumptionHandle !== undefined && !this.cfg.handles.has(v.setup.resumptionHandle)) {
      return this.end(CLOSE.invalidArgument, REASONS.invalidArgument);
    }
    // A token's uses count new sessions only: resuming one does not spend a use.
    if (this.cfg.token && v.setup.resumptionHandle === undefined && !(this.cfg.spendTokenUse?.() ?? true)) {
      return this.end(CLOSE.invalidArgument, REASONS.badToken);
    }
    const f = this.cfg.faults;
    if (f.setupFailure === 'quota') return this.quota();
    if (f.setupFailure === 'internal') return this.internalError();
    if (f.setupFailure === 'invalid') return this.end(CLOSE.invalidArgument, REASONS.invalidArgument);
    if (f.setupFailure === 'drop') return this.drop();
    if (f.neverSetup) return;
    this.after(f.setupDelayMs ?? 0, () => {
      this.setup = v.setup;
      this.interpreter = this.cfg.interpreter(v.setup, { outputChunkMs: this.cfg.outputChunkMs });
      this.stats.resumedFrom = v.setup.resumptionHandle;
      this.send({ setupComplete: {} });
      this.startPeriodic();
    });
  }

  private startPeriodic(): void {
    const f = this.cfg.faults;
    if (f.goAwayAfterMs !== undefined) this.after(f.goAwayAfterMs, () => this.goAway());
    if (f.quotaAfterMs !== undefined) this.after(f.quotaAfterMs, () => this.quota());
    if (f.internalErrorAfterMs !== undefined) this.after(f.internalErrorAfterMs, () => this.internalError());
    if (f.dropAfterMs !== undefined) this.after(f.dropAfterMs, () => this.drop());
    if (f.malformedAfterMs !== undefined) this.after(f.malformedAfterMs, () => this.malformed());
    const usage = (): void => {
      if (this.usageSamples > 0 || this.usageOutput > 0) {
        const prompt = Math.round((this.usageSamples / 16_000) * TOKENS_PER_SECOND);
        const response = Math.round((this.usageOutput / 24_000) * TOKENS_PER_SECOND);
        this.totals.prompt += prompt;
        this.totals.response += response;
        this.usageSamples = 0;
        this.usageOutput = 0;
        this.send({
          usageMetadata: {
            promptTokenCount: prompt,
            responseTokenCount: response,
            totalTokenCount: prompt + response,
            promptTokensDetails: [{ modality: 'AUDIO', tokenCount: prompt }],
            responseTokensDetails: [{ modality: 'AUDIO', tokenCount: response }],
          },
        });
      }
      this.after(this.cfg.usageIntervalMs, usage);
    };
    this.after(this.cfg.usageIntervalMs, usage);
    const resumption = (): void => {
      this.send({ sessionResumptionUpdate: { newHandle: this.cfg.handles.issue(this.cfg.id), resumable: true } });
      this.after(this.cfg.resumptionIntervalMs, resumption);
    };
    this.after(this.cfg.resumptionIntervalMs, resumption);
  }

  private onRealtimeInput(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return;
    const ri = raw as { audio?: { data?: unknown; mimeType?: unknown }; audioStreamEnd?: unknown };
    if (ri.audio) {
      const mime = typeof ri.audio.mimeType === 'string' ? ri.audio.mimeType : '';
      if (typeof ri.audio.data !== 'string' || !mime.startsWith('audio/pcm')) return this.end(CLOSE.invalidArgument, REASONS.invalidArgument);
      const samples = base64ToInt16(ri.audio.data, { partialSample: 'drop' });
      this.stats.samplesReceived += samples.length;
      this.stats.audioMessages++;
      this.usageSamples += samples.length;
      this.onSpeech(this.detector.push(samples));
    }
    if (ri.audioStreamEnd === true) this.onSpeech(this.detector.flush());
  }

  /** What the model makes of the speech heard so far, sent as soon as it may be. */
  private onSpeech(events: DetectorEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'start' && !ev.continuation) this.stats.utterances++;
      for (const out of this.interpreter!.onEvent(ev)) this.emit(out);
    }
  }

  /**
   * Input transcripts go out at once; the translation (its preamble, audio and text) no earlier
   * than `lagMs` after the speech it translates, audio in real time unless bursting, in order.
   */
  private emit(out: ModelOutput): void {
    const setup = this.setup!;
    const now = Date.now();
    if (out.type === 'input') {
      if (setup.inputTranscription) this.enqueue(now, () => this.send({ serverContent: { inputTranscription: out.text ? { text: out.text, languageCode: out.languageCode } : { languageCode: out.languageCode } } }));
      return;
    }
    const at = Math.max(now + this.cfg.lagMs * this.cfg.timeScale, this.outputFreeAt);
    if (out.type === 'output-preamble' || out.type === 'output-text') {
      const transcription = out.type === 'output-text' ? { text: out.text, languageCode: out.languageCode } : { languageCode: out.languageCode };
      if (setup.outputTranscription) this.enqueue(at, () => this.send({ serverContent: { outputTranscription: transcription } }));
      this.outputFreeAt = at;
      return;
    }
    const pcm = out.pcm24k;
    const content: Record<string, unknown> = { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: int16ToBase64(pcm) } }] } };
    if (setup.outputTranscription && out.text) content.outputTranscription = { text: out.text, languageCode: out.languageCode };
    this.enqueue(at, () => {
      this.stats.outputSamples += pcm.length;
      this.usageOutput += pcm.length;
      this.send({ serverContent: content });
    });
    this.outputFreeAt = this.cfg.faults.burst ? at : at + (pcm.length / 24) * this.cfg.timeScale;
  }

  /** Output frames go out in time order (in the order given, for equal times), each not before its time. */
  private enqueue(at: number, fn: () => void): void {
    let i = this.output.length;
    while (i > 0 && this.output[i - 1].at > at) i--;
    this.output.splice(i, 0, { at, fn });
    if (i === 0) this.pump();
  }

  /** Keeps one timer, for the earliest output. */
  private pump(): void {
    const head = this.output[0];
    if (this.pumpTimer) {
      clearTimeout(this.pumpTimer);
      this.timers.delete(this.pumpTimer);
      this.pumpTimer = undefined;
    }
    if (!head || this.ended) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.pumpTimer = undefined;
      if (this.ended) return;
      const now = Date.now();
      while (this.output.length > 0 && this.output[0].at <= now + 1) this.output.shift()!.fn();
      this.pump();
    }, Math.max(0, head.at - Date.now()));
    this.pumpTimer = t;
    this.timers.add(t);
  }

  private send(msg: Record<string, unknown>): void {
    if (this.ended) return;
    this.stats.framesSent++;
    this.io.send(msg);
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.dispose();
    this.io.close(code, reason);
  }

  /** Runs `fn` after `ms` of service time. */
  private after(ms: number, fn: () => void): void {
    this.at(Date.now() + ms * this.cfg.timeScale, fn);
  }

  private at(wallMs: number, fn: () => void): void {
    if (this.ended) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.ended) fn();
    }, Math.max(0, wallMs - Date.now()));
    this.timers.add(t);
  }
}
