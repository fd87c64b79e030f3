// One emulated call: its Twilio state machine (queued -> ringing -> in-progress -> terminal), the
// callee's reaction to ringing, the party's script (keys, hang-up), status callbacks, and the
// TwiML it runs. I/O happens through CallEnv.
import { FRAME_SAMPLES, silentFrame, toneFrame } from './audio';
import type { AudioActivity } from './call-media';
import { CallMedia } from './call-media';
import { callWebhookParams, TERMINAL_STATUSES, type CallRecord, type CallStatus } from './call-record';
import { runTwiml, type TwimlDocument } from './call-runner';
import type { EmulatorClock } from './clock';
import type { ConferenceHub } from './conference';
import type { EventLog } from './events';
import type { StreamFaults } from './faults';
import { FRAME_MS } from './frame-ticker';
import { MediaStreamSession, type HandshakeSignature, type MaskKey, type StreamStats } from './media-stream';
import { PartyVoice, type PartySpec } from './party';
import { Recorder } from './recorder';
import type { SidFactory } from './sids';
import { statusCallbackParams, streamStatusParams, wantsEvent, type ProgressEvent, type StreamEvent } from './status-callbacks';
import type { StreamIdentity } from './stream-messages';
import { parseTwiml, TwimlError, type ConferenceNoun, type StreamNoun } from './twiml';
import type { WebhookKind, WebhookSender } from './webhooks';

export interface CallEnv {
  clock: EmulatorClock;
  log: EventLog;
  webhooks: WebhookSender;
  conferences: ConferenceHub;
  authToken: () => string;
  sid: SidFactory;
  wallNow: () => Date;
  /** Puts the call's media on the emulator's 20 ms ticker; returns a detach function. */
  attachMedia(media: CallMedia): () => void;
  handshakeSignature: HandshakeSignature;
  faults?: StreamFaults;
  sayAudio: 'tone' | 'silence';
  recordAudio: boolean;
  logMediaFrames: boolean;
  maskKey: MaskKey;
}

export class EmulatedCall {
  readonly recorder: Recorder;
  readonly media: CallMedia;
  readonly streams: StreamStats[] = [];
  private readonly voice: PartyVoice;
  private readonly digits = { buffer: '' };
  private stream: MediaStreamSession | undefined;
  private run: AbortController | undefined;
  private detach: (() => void) | undefined;
  private cancelTimers: (() => void)[] = [];
  private sayPhase = 0;
  /** Resolves when the call reaches a terminal status and its callbacks were sent. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private pending = new Set<Promise<unknown>>();

  constructor(
    readonly record: CallRecord,
    private readonly party: PartySpec,
    private readonly env: CallEnv,
  ) {
    this.voice = new PartyVoice(party);
    this.recorder = new Recorder(env.recordAudio);
    this.media = new CallMedia(this.voice, this.recorder, (n) => this.onFrame(n));
    this.finished = new Promise((r) => (this.resolveFinished = r));
    env.log.add({ type: 'call.created', callSid: record.sid, direction: record.direction, from: record.from, to: record.to });
  }

  get isOver(): boolean {
    return TERMINAL_STATUSES.has(this.record.status);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private setStatus(status: CallStatus): void {
    this.record.status = status;
    this.record.dateUpdated = this.env.wallNow();
    this.env.log.add({ type: 'call.status', callSid: this.record.sid, status });
  }

  private progress(event: ProgressEvent): void {
    if (!wantsEvent(this.record, event)) return;
    const params = statusCallbackParams(this.record, event, this.env.wallNow());
    void this.track(this.hook('status', this.record.statusCallback!, this.record.statusCallbackMethod, params).catch(() => undefined));
  }

  /**
   * The `<Stream statusCallback>` requests of one stream (none if the noun has no callback), sent
   * one after another so the application sees stream-started before stream-stopped.
   */
  private streamStatus(noun: StreamNoun, identity: StreamIdentity): (event: StreamEvent, error?: string) => void {
    let previous: Promise<unknown> = Promise.resolve();
    return (event, error) => {
      const url = noun.statusCallback;
      if (!url) return;
      const params = streamStatusParams({ ...identity, name: noun.name }, event, this.env.wallNow(), error);
      const method = noun.statusCallbackMethod ?? 'POST';
      previous = this.track(previous.then(() => this.hook('stream-status', url, method, params)).catch(() => undefined));
    };
  }

  private async hook(kind: WebhookKind, url: string, method: string, params: Record<string, string>) {
    const base = { type: 'webhook' as const, callSid: this.record.sid, kind, url, method, params };
    try {
      const res = await this.env.webhooks.send({ kind, callSid: this.record.sid, url, method, params });
      this.env.log.add({ ...base, status: res.status });
      return res;
    } catch (err) {
      this.env.log.add({ ...base, error: (err as Error).message });
      throw err;
    }
  }

  private fail(code: number, message: string): void {
    this.env.log.add({ type: 'error', callSid: this.record.sid, code, message });
  }

  // ---- outbound: ringing and the callee's scenario ----

  /** An outbound-api call: initiated, ringing, then the callee's scenario decides. */
  dialOut(): void {
    const after = (sec: number, fn: () => void) => this.cancelTimers.push(this.env.clock.after(sec * 1000, fn));
    this.progress('initiated');
    after(0.1, () => {
      if (this.isOver) return;
      this.setStatus('ringing');
      this.progress('ringing');
      const s = this.party.scenario ?? { kind: 'answer', afterSec: 1 };
      const timeout = this.record.timeoutSec;
      if (s.kind === 'busy') after(s.afterSec ?? 0.5, () => this.end('busy'));
      else if (s.kind === 'fail') after(s.afterSec ?? 0.2, () => this.end('failed'));
      else if (s.kind === 'no-answer' || (s.afterSec ?? 1) > timeout) after(timeout, () => this.end('no-answer'));
      else after(s.afterSec ?? 1, () => void this.answer());
    });
  }

  /** An inbound call to one of the account's numbers: fetch its Voice URL, then answer. */
  async ringIn(voiceUrl: string, voiceMethod: string): Promise<void> {
    this.setStatus('ringing');
    const doc = await this.fetchDocumentSafely('voice', voiceUrl, voiceMethod, {});
    if (this.isOver) return;
    await this.answer(doc ?? { verbs: [] });
  }

  private async answer(doc?: TwimlDocument): Promise<void> {
    if (this.isOver) return;
    const now = this.env.wallNow();
    this.record.startTime = now;
    this.record.answeredAt = this.env.clock.now();
    this.setStatus('in-progress');
    this.progress('answered');
    this.detach = this.env.attachMedia(this.media);
    if (doc) return this.execute(doc);
    if (this.record.twiml !== undefined) return this.execute(this.inline(this.record.twiml));
    const fetched = await this.fetchDocumentSafely('voice', this.record.url ?? '', this.record.method, {});
    if (!this.isOver) await this.execute(fetched ?? { verbs: [] });
  }

  private inline(twiml: string): TwimlDocument {
    try {
      return { verbs: parseTwiml(twiml) };
    } catch (err) {
      this.fail(12100, (err as Error).message);
      return { verbs: [] };
    }
  }

  // ---- TwiML execution ----

  private async fetchDocument(kind: WebhookKind, url: string, method: string, extra: Record<string, string>): Promise<TwimlDocument> {
    const res = await this.hook(kind, url, method, { ...callWebhookParams(this.record), ...extra });
    if (res.status < 200 || res.status >= 300) throw new TwimlError(`HTTP ${res.status} from ${url}`);
    return { verbs: parseTwiml(res.body), url };
  }

  /** Fetch failures end the call as Twilio does ("an application error has occurred"), logging 11200/12100. */
  private async fetchDocumentSafely(kind: WebhookKind, url: string, method: string, extra: Record<string, string>) {
    try {
      return await this.fetchDocument(kind, url, method, extra);
    } catch (err) {
      this.fail(err instanceof TwimlError && !/^HTTP/.test(err.message) ? 12100 : 11200, (err as Error).message);
      return undefined;
    }
  }

  /** Runs a document, replacing whatever runs now (REST redirect). */
  private async execute(doc: TwimlDocument): Promise<void> {
    this.run?.abort();
    const ctrl = new AbortController();
    this.run = ctrl;
    let outcome;
    try {
      outcome = await runTwiml(
        doc,
        {
          media: this.media,
          digits: this.digits,
          fetchDocument: (k, u, m, e) => this.fetchDocument(k, u, m, e),
          runStream: (noun, signal) => this.runStream(noun, signal),
          runConference: (noun, signal) => this.runConference(noun, signal),
          sayActivity: () => this.sayActivity(),
          logVerb: (verb, detail) => this.env.log.add({ type: 'twiml', callSid: this.record.sid, verb, detail }),
        },
        ctrl.signal,
      );
    } catch (err) {
      this.fail(err instanceof TwimlError && !/^HTTP/.test(err.message) ? 12100 : 11200, (err as Error).message);
      outcome = 'end';
    }
    if (outcome !== 'aborted' && this.run === ctrl) this.end('completed');
  }

  private sayActivity(): AudioActivity {
    if (this.env.sayAudio === 'silence') return { mic: () => undefined, hear: silentFrame };
    return {
      mic: () => undefined,
      hear: () => toneFrame(440, 3000, (this.sayPhase++ % 400) * FRAME_SAMPLES),
    };
  }

  private async runStream(noun: StreamNoun, signal: AbortSignal): Promise<'closed' | 'failed' | 'aborted'> {
    const streamSid = this.env.sid('MZ');
    const identity = { accountSid: this.record.accountSid, callSid: this.record.sid, streamSid };
    const status = this.streamStatus(noun, identity);
    if (!/^wss:/.test(noun.url)) this.fail(31922, `stream url ${noun.url} is not wss:// (Twilio would refuse it)`);
    if (noun.url.includes('?')) this.fail(31920, `stream url ${noun.url} has a query string (unsupported by Twilio)`);
    let session: MediaStreamSession;
    try {
      session = await MediaStreamSession.open({
        url: noun.url,
        identity,
        customParameters: noun.parameters,
        authToken: this.env.authToken(),
        handshakeSignature: this.env.handshakeSignature,
        faults: this.env.faults,
        log: (e) => this.env.log.add(e),
        logMediaFrames: this.env.logMediaFrames,
        maskKey: this.env.maskKey,
      });
    } catch (err) {
      const message = `stream handshake failed: ${(err as Error).message}`;
      this.fail(31920, message);
      status('stream-error', message);
      return 'failed';
    }
    status('stream-started');
    if (signal.aborted || this.isOver) {
      await session.stop();
      status('stream-stopped');
      return 'aborted';
    }
    this.stream = session;
    session.stats.callOffsetMs = this.media.frameNo * FRAME_MS;
    this.streams.push(session.stats);
    this.media.setActivity(session);
    const onAbort = (): void => void this.track(session.stop());
    signal.addEventListener('abort', onAbort);
    const by = await session.closed;
    signal.removeEventListener('abort', onAbort);
    this.media.setActivity(undefined);
    this.stream = undefined;
    status('stream-stopped');
    if (by === 'server') this.fail(31921, 'the server closed the Media Stream WebSocket');
    return signal.aborted ? 'aborted' : 'closed';
  }

  private async runConference(noun: ConferenceNoun, signal: AbortSignal): Promise<'ended' | 'aborted'> {
    const m = this.env.conferences.join(noun.name, this.record.sid, noun);
    this.media.setActivity(m);
    const onAbort = (): void => m.leave();
    signal.addEventListener('abort', onAbort);
    await m.ended;
    signal.removeEventListener('abort', onAbort);
    this.media.setActivity(undefined);
    return signal.aborted ? 'aborted' : 'ended';
  }

  // ---- the party's script ----

  private onFrame(n: number): void {
    const sec = (n * FRAME_MS) / 1000;
    const prevSec = ((n - 1) * FRAME_MS) / 1000;
    for (const d of this.party.dtmf ?? []) if (d.atSec > prevSec && d.atSec <= sec) this.pressDigits(d.digits);
    const h = this.party.hangupAfterSec;
    if (h !== undefined && h > prevSec && h <= sec) this.end('completed');
  }

  /** The party presses keys: sent on the Media Stream if one is open, else kept for <Gather>. */
  pressDigits(digits: string): void {
    this.env.log.add({ type: 'dtmf', callSid: this.record.sid, digits });
    if (this.stream?.isOpen) for (const d of digits) this.stream.sendDtmf(d);
    else this.digits.buffer += digits;
  }

  // ---- REST updates and the end ----

  /** REST update with Url/Twiml: Twilio stops what the call does and runs the new TwiML. */
  async redirect(target: { url: string; method: string } | { twiml: string }): Promise<void> {
    this.run?.abort();
    const doc = 'twiml' in target ? this.inline(target.twiml) : await this.fetchDocumentSafely('redirect', target.url, target.method, {});
    if (this.isOver) return;
    await this.execute(doc ?? { verbs: [] });
  }

  /** Ends the call with a terminal status; stops the stream (sending `stop`) and sends `completed`. */
  end(status: CallStatus): void {
    if (this.isOver) return;
    for (const c of this.cancelTimers) c();
    this.cancelTimers = [];
    this.run?.abort();
    this.media.abortAll();
    this.detach?.();
    this.detach = undefined;
    if (this.stream) void this.track(this.stream.stop());
    const now = this.env.wallNow();
    if (this.record.answeredAt !== undefined) {
      this.record.endTime = now;
      // Measured on the call's own 20 ms timeline, the same one the recording uses.
      this.record.durationSec = Math.ceil((this.media.frameNo * FRAME_MS) / 1000);
    } else {
      this.record.durationSec = 0;
    }
    this.setStatus(status);
    this.progress('completed');
    // settle(), not the webhooks pending now: the stream's stream-stopped request is only sent
    // once its WebSocket has closed.
    void this.settle().then(() => this.resolveFinished());
  }

  /** Waits for outstanding webhooks and stream shutdowns. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
