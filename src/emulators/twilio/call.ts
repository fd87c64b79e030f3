// One emulated call: its Twilio state machine (queued -> ringing -> in-progress -> terminal), the
// callee's reaction to ringing, the party's script (keys, hang-up), status callbacks, the TwiML it
// runs, and its seat in a conference (through <Dial><Conference> or as a participant created by the
// REST API, possibly a TwiML App leg). I/O happens through CallEnv.
import { FRAME_SAMPLES, silentFrame, toneFrame } from './audio';
import type { AudioActivity } from './call-media';
import { CallMedia, type MicSource } from './call-media';
import { callWebhookParams, TERMINAL_STATUSES, type CallRecord, type CallStatus } from './call-record';
import { runTwiml, type TwimlDocument } from './call-runner';
import type { EmulatorClock } from './clock';
import type { Conference, LeaveReason, ParticipantSettings } from './conference/conference';
import { ConferenceError, WHISPER_UNAVAILABLE } from './conference/conference';
import type { ConferenceHub } from './conference/hub';
import { ConferenceEndpoint, membershipActivity } from './conference/seat';
import { statusCallbackConfig } from './conference/status-callback';
import type { EventLog } from './events';
import type { StreamFaults, StreamRefusals } from './faults';
import { FRAME_MS } from './frame-ticker';
import { MediaStreamSession, type HandshakeSignature, type MaskKey, type StreamStats } from './media-stream';
import { PartyVoice, type PartySpec, type Utterance } from './party';
import { Recorder } from './recorder';
import type { SidFactory } from './sids';
import { statusCallbackParams, streamStatusParams, wantsEvent, type ProgressEvent, type StreamEvent } from './status-callbacks';
import type { StreamIdentity } from './stream-messages';
import { parseTwiml, type ConferenceNoun, type StreamNoun } from './twiml';
import { fetchTwiml, fetchTwimlOrLog, sendLogged, twimlFailureCode } from './twiml-fetch';
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
  /** Stream handshakes that fail on purpose. */
  refusals: StreamRefusals;
  sayAudio: 'tone' | 'silence';
  recordAudio: boolean;
  logMediaFrames: boolean;
  maskKey: MaskKey;
  /** Whether the account has Agent Conference (coaching); without it coaching is error 16000. */
  agentConference: boolean;
  /** How the custom parameters of an `app:AP...?k=v` participant reach the app's Voice URL. */
  appParameters: AppParameterDelivery;
}

/** 'params': as request parameters (default); 'query': on the Voice URL's query string; 'none': dropped. */
export type AppParameterDelivery = 'params' | 'query' | 'none';

/** A TwiML App a participant leg runs: its Voice URL and the custom parameters given on `to`. */
export interface AppTarget {
  applicationSid: string;
  voiceUrl: string;
  voiceMethod: string;
  parameters: Record<string, string>;
}

/** A participant created through the REST API: its call joins `conference` when answered. */
export interface ParticipantLeg {
  conference: Conference;
  app?: AppTarget;
}

export class EmulatedCall {
  readonly recorder: Recorder;
  readonly media: CallMedia;
  readonly streams: StreamStats[] = [];
  private readonly digits = { buffer: '' };
  private stream: MediaStreamSession | undefined;
  private run: AbortController | undefined;
  private detach: (() => void) | undefined;
  private cancelTimers: (() => void)[] = [];
  private sayPhase = 0;
  /** The conference this call is a participant of, while it is. */
  private seat: Conference | undefined;
  /** The person at the far end; none for a TwiML App leg, whose far end is the conference. */
  private readonly voice: PartyVoice | undefined;
  private leg: ParticipantLeg | undefined;
  private endpoint: ConferenceEndpoint | undefined;
  /** Resolves when the call reaches a terminal status and its callbacks were sent. */
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private pending = new Set<Promise<unknown>>();

  constructor(
    readonly record: CallRecord,
    private readonly party: PartySpec,
    private readonly env: CallEnv,
    leg?: ParticipantLeg,
  ) {
    let farEnd: MicSource;
    if (leg?.app) farEnd = this.endpoint = new ConferenceEndpoint();
    else farEnd = this.voice = new PartyVoice(party);
    this.recorder = new Recorder(env.recordAudio);
    this.media = new CallMedia(farEnd, this.recorder, (n) => this.onFrame(n));
    this.finished = new Promise((r) => (this.resolveFinished = r));
    env.log.add({ type: 'call.created', callSid: record.sid, direction: record.direction, from: record.from, to: record.to });
    if (leg) this.takeSeat(leg.conference, leg);
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

  private hook(kind: WebhookKind, url: string, method: string, params: Record<string, string>) {
    return sendLogged(this.env, { kind, callSid: this.record.sid, url, method, params });
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
      this.leg?.conference.setStatus(this.record.sid, 'ringing', this.env.wallNow());
      const s = this.party.scenario ?? { kind: 'answer', afterSec: 1 };
      const timeout = this.record.timeoutSec;
      if (s.kind === 'busy') after(s.afterSec ?? 0.5, () => this.end('busy'));
      else if (s.kind === 'fail') after(s.afterSec ?? 0.2, () => this.end('failed'));
      else if (s.kind === 'no-answer' || (s.afterSec ?? 1) > timeout) after(timeout, () => this.end('no-answer'));
      else after(s.afterSec ?? 1, () => void this.answer());
    });
  }

  /** An inbound call that runs its own inline TwiML (a person dialling into a conference). */
  connectInline(): void {
    this.setStatus('ringing');
    void this.answer();
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
    if (this.leg) return this.joinAsParticipant(this.leg);
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

  private twimlRequest(kind: WebhookKind, url: string, method: string, extra: Record<string, string>) {
    return { kind, callSid: this.record.sid, url, method, params: { ...callWebhookParams(this.record), ...extra } };
  }

  /** Fetch failures end the call as Twilio does ("an application error has occurred"), logging 11200/12100. */
  private fetchDocumentSafely(kind: WebhookKind, url: string, method: string, extra: Record<string, string>) {
    return fetchTwimlOrLog(this.env, this.twimlRequest(kind, url, method, extra));
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
          fetchDocument: (k, u, m, e) => fetchTwiml(this.env, this.twimlRequest(k, u, m, e)),
          runStream: (noun, signal) => this.runStream(noun, signal),
          runConference: (noun, signal) => this.runConference(noun, signal),
          sayActivity: () => this.sayActivity(),
          logVerb: (verb, detail) => this.env.log.add({ type: 'twiml', callSid: this.record.sid, verb, detail }),
        },
        ctrl.signal,
      );
    } catch (err) {
      this.fail(twimlFailureCode(err), (err as Error).message);
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
      if (this.env.refusals.refuses(noun.url)) throw new Error('handshake answered HTTP 502 (refused on purpose)');
      session = await MediaStreamSession.open({
        url: noun.url,
        identity,
        customParameters: noun.parameters,
        authToken: this.env.authToken(),
        handshakeSignature: this.env.handshakeSignature,
        faults: this.env.faults,
        clock: this.env.clock,
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
    // A live-call update's TwiML may already run a new stream: only this one ends.
    this.media.endActivity(session);
    if (this.stream === session) this.stream = undefined;
    status('stream-stopped');
    if (by === 'server') this.fail(31921, 'the server closed the Media Stream WebSocket');
    return signal.aborted ? 'aborted' : 'closed';
  }

  // ---- conferences ----

  /** Sits the call in `conference` until it leaves; being removed ends a REST participant's call. */
  private takeSeat(conference: Conference, leg?: ParticipantLeg): void {
    this.seat = conference;
    this.leg = leg;
    void conference.whenRemoved(this.record.sid).then(() => {
      if (this.seat !== conference) return;
      this.seat = undefined;
      if (leg && this.leg === leg) this.end(this.record.answeredAt === undefined ? 'canceled' : 'completed');
    });
  }

  private leaveConference(reason: LeaveReason, callStatus: CallStatus = this.record.status): void {
    const conference = this.seat;
    this.seat = undefined;
    this.leg = undefined;
    this.endpoint?.attach(undefined);
    conference?.leave(this.record.sid, reason, callStatus, this.env.wallNow());
  }

  /** A REST participant answered: a person joins the mix; a TwiML App leg joins it and runs the app. */
  private async joinAsParticipant(leg: ParticipantLeg): Promise<void> {
    const m = leg.conference.connect(this.record.sid, this.env.wallNow());
    if (!leg.app) {
      this.media.setActivity(membershipActivity(m));
      return;
    }
    this.endpoint?.attach(m);
    const { app } = leg;
    const custom = this.env.appParameters;
    let url = app.voiceUrl;
    const query = new URLSearchParams(app.parameters).toString();
    if (custom === 'query' && query) url += (url.includes('?') ? '&' : '?') + query;
    const extra = { ApplicationSid: app.applicationSid, ...(custom === 'params' ? app.parameters : {}) };
    const doc = await this.fetchDocumentSafely('voice', url, app.voiceMethod, extra);
    if (this.isOver || this.leg !== leg) return;
    await this.execute(doc ?? { verbs: [] });
  }

  private participantSettings(noun: ConferenceNoun): ParticipantSettings {
    const beep = noun.beep === 'false' || noun.beep === 'onEnter' || noun.beep === 'onExit' ? noun.beep : 'true';
    return {
      label: noun.participantLabel,
      muted: noun.muted,
      hold: false,
      beep,
      startConferenceOnEnter: noun.startConferenceOnEnter,
      endConferenceOnExit: noun.endConferenceOnExit,
      coaching: noun.coach !== undefined,
      callSidToCoach: noun.coach,
      waitUrl: noun.waitUrl,
    };
  }

  /** <Dial><Conference>: the caller is in the conference until it ends, they are removed, or the call moves on. */
  private async runConference(noun: ConferenceNoun, signal: AbortSignal): Promise<'ended' | 'aborted' | 'failed'> {
    if (noun.name.length === 0 || noun.name.length > 128) {
      this.fail(12100, `<Conference> needs a name of 1 to 128 characters`);
      return 'failed';
    }
    if (noun.coach !== undefined && !this.env.agentConference) {
      this.fail(16000, WHISPER_UNAVAILABLE);
      return 'failed';
    }
    const conference = this.env.conferences.open(noun.name);
    const now = this.env.wallNow();
    try {
      conference.add(this.record.sid, this.participantSettings(noun), now, 'connecting');
    } catch (err) {
      this.fail(err instanceof ConferenceError ? err.code : 12100, (err as Error).message);
      return 'failed';
    }
    conference.useStatusCallback(statusCallbackConfig(noun.statusCallback, noun.statusCallbackMethod, noun.statusCallbackEvents));
    this.takeSeat(conference);
    const m = conference.connect(this.record.sid, now);
    this.media.setActivity(membershipActivity(m));
    const onAbort = (): void => this.leaveConference('participant_updated_via_api');
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

  /** The party says something more: `inSec` from now, or once the other party has spoken (`afterSpeech`). */
  say(audio: Utterance['audio'], when: { inSec?: number; afterSpeech?: boolean } = {}): void {
    if (this.isOver) throw new Error(`call ${this.record.sid} is over (${this.record.status})`);
    if (!this.voice) throw new Error(`call ${this.record.sid} has no person at its end (it is a TwiML App leg)`);
    const nowSec = (this.media.frameNo * FRAME_MS) / 1000;
    this.voice.say({ audio, atSec: nowSec + (when.inSec ?? 0), afterSpeech: when.afterSpeech });
    this.env.log.add({ type: 'party.say', callSid: this.record.sid, atSec: nowSec + (when.inSec ?? 0), afterSpeech: when.afterSpeech === true });
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
    this.leaveConference('participant_updated_via_api');
    this.run?.abort();
    const doc = 'twiml' in target ? this.inline(target.twiml) : await this.fetchDocumentSafely('redirect', target.url, target.method, {});
    if (this.isOver) return;
    await this.execute(doc ?? { verbs: [] });
  }

  /** Ends the call with a terminal status; stops the stream (sending `stop`) and sends `completed`. */
  end(status: CallStatus): void {
    if (this.isOver) return;
    this.leaveConference(this.record.answeredAt !== undefined ? 'participant_hung_up' : 'participant_call_failed', status);
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
