/**
 * One Media Streams WebSocket connection, from the first frame to the close. Nothing is accepted
 * and no leg exists until `start` carries a valid stream token for that call SID; a connection
 * that does not authenticate in time is closed. After that, inbound messages become `MediaLeg`
 * events (audio placed on a gap-free clock) and the leg's sends become Twilio messages.
 */
import { EventEmitter } from 'node:events';
import type { MediaEnd } from '../call/ports';
import type { Logger } from '../log/logger';
import type { TwilioCounters, TwilioCounterName } from './counters';
import { ListenerList } from './listener-list';
import { MediaClock, SequenceTracker, type MediaClockOptions } from './media-clock';
import type { LegRole, MediaFrame, MediaLeg, MediaLegEvents } from './media-leg';
import {
  decodeBase64Strict,
  outboundClear,
  outboundMark,
  OutboundMediaWriter,
  parseInboundMessage,
  plainStreamSid,
  type InboundMessage,
  type StartMessage,
} from './media-messages';
import type { StreamTokens } from './stream-token';

/** The part of a `ws` WebSocket the session uses (a fake in unit tests). */
export interface MediaSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
const ENDED: MediaEnd = { cause: 'ended' };

export interface MediaStreamOptions {
  /** A connection without an authenticated `start` by then is closed. Default 1000 ms. */
  startTimeoutMs: number;
  /** Larger text messages are dropped and counted. Default 32 KiB (Twilio sends ~0.4 KiB frames). */
  maxMessageBytes: number;
  /** Messages kept while the token is being checked; beyond this they are dropped. Default 250. */
  maxPendingMessages: number;
  /** `sendMedia` returns false above this many buffered bytes. Default 256 KiB (~20 s of audio). */
  highWaterBytes: number;
  /** 'drain' is emitted once the buffer is back under this. Default 64 KiB. */
  lowWaterBytes: number;
  /** Audio sent while this much is buffered is dropped and counted. Default 1 MiB. */
  hardCapBytes: number;
  /** The `<Parameter>` name that carries the stream token. Default 'token'. */
  tokenParameter: string;
  /**
   * Messages an authenticated stream may have dropped (malformed, duplicate, leaping sequence
   * numbers or timestamps) before it is closed as misbehaving (1008). Default 50; Twilio sends none.
   */
  maxMisbehaviour: number;
  /**
   * An authenticated stream that sends no message for this long is closed as dead (Twilio sends a
   * media message every 20 ms while the call is up, silence included). Default 10 s.
   */
  idleTimeoutMs: number;
  clock: MediaClockOptions;
}

export const DEFAULT_MEDIA_STREAM_OPTIONS: MediaStreamOptions = {
  startTimeoutMs: 1000,
  maxMessageBytes: 32 * 1024,
  maxPendingMessages: 250,
  highWaterBytes: 256 * 1024,
  lowWaterBytes: 64 * 1024,
  hardCapBytes: 1024 * 1024,
  tokenParameter: 'token',
  maxMisbehaviour: 50,
  idleTimeoutMs: 10_000,
  clock: {},
};

export interface MediaStreamSessionDeps {
  socket: MediaSocket;
  logger: Logger;
  counters: TwilioCounters;
  tokens: StreamTokens;
  /** The account whose streams are accepted. */
  accountSid: string;
  onLeg(leg: MediaLeg): void;
  options?: Partial<MediaStreamOptions>;
}

type State = 'awaiting_start' | 'verifying' | 'active' | 'ended';

export class MediaStreamSession {
  private state: State = 'awaiting_start';
  private readonly opts: MediaStreamOptions;
  private readonly pending: InboundMessage[] = [];
  private readonly loggedOnce = new Set<string>();
  private startTimer: NodeJS.Timeout | undefined;
  private leg: StreamLeg | undefined;
  /** The leg's stream id for parseInboundMessage when it is plain (see plainStreamSid); undefined before the leg starts. */
  private knownSid: string | undefined;
  private log: Logger;
  private misbehaviour = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastMessageAt = 0;

  constructor(private readonly deps: MediaStreamSessionDeps) {
    this.opts = { ...DEFAULT_MEDIA_STREAM_OPTIONS, ...deps.options };
    this.log = deps.logger;
    deps.counters.inc('ws_connections');
    this.startTimer = setTimeout(() => this.onStartTimeout(), this.opts.startTimeoutMs);
  }

  /**
   * Feed every frame the socket receives. Never throws. `isBinary` comes from ws 8; ws 7 (used by
   * express-ws) passes text frames as strings and binary frames as Buffers, without the flag.
   */
  handleMessage(data: Buffer | ArrayBuffer | Buffer[] | string, isBinary?: boolean): void {
    if (this.state === 'ended') return;
    this.lastMessageAt = Date.now();
    if (isBinary ?? typeof data !== 'string') return this.reject('binary_frame', 'binary frame');
    const text = typeof data === 'string' ? data : toBuffer(data).toString('utf8');
    // A UTF-16 code unit is at most 3 UTF-8 bytes: short text needs no byte count.
    if (text.length * 3 > this.opts.maxMessageBytes && Buffer.byteLength(text) > this.opts.maxMessageBytes) {
      return this.reject('oversized', `${text.length} bytes`);
    }
    const parsed = parseInboundMessage(text, this.knownSid);
    if (!parsed.ok) return this.reject(parsed.reason, parsed.detail);
    this.dispatch(parsed.message);
  }

  /** The socket reported an error (e.g. a message over the server's maxPayload). */
  handleError(err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.reject('oversized', 'over server maxPayload');
    else this.log.warn({ event: 'twilio.media.socket_error', code: err.code, message: err.message }, 'media socket error');
  }

  /** The socket closed (either side). */
  handleClose(code?: number): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.clearStartTimer();
    this.stopIdleWatch();
    this.pending.length = 0;
    this.log.info({ event: 'twilio.media.closed', code }, 'media stream closed');
    this.leg?.end();
  }

  private dispatch(msg: InboundMessage): void {
    switch (this.state) {
      case 'awaiting_start':
        if (msg.event === 'connected') return;
        if (msg.event === 'start') return void this.authenticate(msg);
        return this.reject('before_start', msg.event);
      case 'verifying':
        if (this.pending.length >= this.opts.maxPendingMessages) return this.reject('before_start', 'pending queue full');
        this.pending.push(msg);
        return;
      case 'active':
        return this.handleActive(msg);
      case 'ended':
        return;
    }
  }

  private async authenticate(msg: StartMessage): Promise<void> {
    this.state = 'verifying';
    const { callSid, accountSid, streamSid, customParameters } = msg.start;
    this.log = this.deps.logger.child({ callSid, streamSid });
    const outcome = await this.checkStart(msg).catch((err: unknown) => {
      this.log.error({ event: 'twilio.media.auth_error', err }, 'stream token check failed');
      return 'token_error' as const;
    });
    if (this.state !== 'verifying') return; // closed meanwhile
    if (outcome === 'media_format_unsupported') {
      this.deps.counters.inc(outcome);
      this.log.warn({ event: 'twilio.media.unsupported_format', mediaFormat: msg.start.mediaFormat }, 'media stream refused: not 8 kHz mono mu-law');
      this.end(1003, 'unsupported media format');
      return;
    }
    if (typeof outcome === 'string') {
      if (outcome !== 'token_error') this.deps.counters.inc(outcome);
      this.log.warn({ event: 'twilio.media.auth_failed', reason: outcome }, 'media stream refused');
      this.end(1008, 'unauthorized');
      return;
    }
    this.clearStartTimer();
    this.state = 'active';
    this.watchIdle();
    const params = { ...customParameters };
    delete params[this.opts.tokenParameter];
    this.leg = new StreamLeg({
      callSid,
      streamSid,
      accountSid,
      role: outcome.role,
      customParameters: Object.freeze(params),
      socket: this.deps.socket,
      counters: this.deps.counters,
      logger: this.log,
      opts: this.opts,
      sequence: new SequenceTracker(),
      clock: new MediaClock(this.opts.clock),
    });
    this.knownSid = plainStreamSid(streamSid);
    if (msg.sequenceNumber !== undefined) this.leg.sequence.observe(Number(msg.sequenceNumber));
    this.deps.counters.inc('legs_started');
    this.log.info(
      { event: 'twilio.media.leg_started', role: outcome.role, parameters: Object.keys(params) },
      'media stream authenticated',
    );
    try {
      this.deps.onLeg(this.leg);
    } catch (err) {
      this.log.error({ event: 'twilio.media.leg_handler_error', err }, 'leg handler threw');
    }
    for (const queued of this.pending.splice(0)) if (this.state === 'active') this.handleActive(queued);
  }

  private async checkStart(msg: StartMessage): Promise<TwilioCounterName | { role: LegRole }> {
    if (msg.start.accountSid !== this.deps.accountSid) return 'token_wrong_account';
    if (msg.streamSid !== msg.start.streamSid) return 'token_malformed';
    const token = msg.start.customParameters[this.opts.tokenParameter];
    if (!token) return 'token_missing';
    const check = await this.deps.tokens.verify(token, msg.start.callSid);
    if (!check.ok) return `token_${check.reason}`;
    // Bidirectional streams are documented as 8 kHz mono mu-law; anything else would be heard as noise.
    const f = msg.start.mediaFormat;
    if (f && (f.encoding !== 'audio/x-mulaw' || f.sampleRate !== 8000 || f.channels !== 1)) return 'media_format_unsupported';
    return { role: check.role };
  }

  private handleActive(msg: InboundMessage): void {
    const leg = this.leg;
    if (!leg) return;
    if (msg.event === 'connected') return;
    if (msg.event === 'start') return this.reject('invalid_message', 'second start');
    if (msg.streamSid !== leg.streamSid) return this.reject('wrong_stream', msg.event);
    if (msg.sequenceNumber !== undefined) {
      const seq = leg.sequence.observe(Number(msg.sequenceNumber));
      if (seq.kind === 'duplicate') return this.reject('duplicate_message', msg.event);
      if (seq.kind === 'jump') return this.reject('sequence_jump', `${msg.event} ${msg.sequenceNumber}`);
      if (seq.kind === 'gap') this.deps.counters.inc('sequence_gap_messages', seq.missing);
    }
    switch (msg.event) {
      case 'media': {
        const payload = decodeBase64Strict(msg.media.payload);
        if (!payload) return this.reject('bad_base64', 'media payload');
        const skippedMs = leg.receiveAudio(Number(msg.media.timestamp), payload);
        if (skippedMs > 0) this.reject('timestamp_jump', `timestamp ${msg.media.timestamp}: ${skippedMs} ms not filled`);
        return;
      }
      case 'dtmf':
        leg.emitEvent('dtmf', msg.dtmf.digit);
        return;
      case 'mark':
        leg.emitEvent('mark', msg.mark.name);
        return;
      case 'stop':
        this.log.info({ event: 'twilio.media.stop' }, 'media stream stopped by Twilio');
        leg.end();
        return;
    }
  }

  private onStartTimeout(): void {
    this.startTimer = undefined;
    if (this.state !== 'awaiting_start' && this.state !== 'verifying') return;
    this.deps.counters.inc('start_timeout');
    this.log.warn({ event: 'twilio.media.start_timeout', ms: this.opts.startTimeoutMs }, 'no authenticated start');
    this.end(1008, 'no authenticated start');
  }

  /** Closes the stream once it has been silent (no message at all) for idleTimeoutMs. */
  private watchIdle(): void {
    const limit = this.opts.idleTimeoutMs;
    this.lastMessageAt = Date.now();
    this.idleTimer = setInterval(() => {
      const silentMs = Date.now() - this.lastMessageAt;
      if (silentMs < limit || this.state !== 'active') return;
      this.deps.counters.inc('stream_idle');
      this.log.warn({ event: 'twilio.media.idle', silentMs }, 'media stream closed: no message from Twilio');
      this.end(1001, 'no media', `no media from Twilio for ${Math.round(silentMs / 1000)} s`);
    }, Math.max(20, Math.min(1000, limit / 4)));
    this.idleTimer.unref();
  }

  private stopIdleWatch(): void {
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
  }

  private reject(counter: TwilioCounterName, detail: string): void {
    this.deps.counters.inc(counter);
    if (!this.loggedOnce.has(counter)) {
      this.loggedOnce.add(counter);
      this.log.warn({ event: 'twilio.media.message_rejected', reason: counter, detail }, 'media stream message dropped');
    }
    if (this.state === 'active' && ++this.misbehaviour >= this.opts.maxMisbehaviour) {
      this.deps.counters.inc('stream_closed_misbehaving');
      this.log.warn({ event: 'twilio.media.misbehaving', dropped: this.misbehaviour }, 'media stream closed: too many bad messages');
      this.end(1008, 'misbehaving media stream', `${this.misbehaviour} malformed or out-of-order messages from Twilio`);
    }
  }

  /** Closes the stream from tolk's side; `lost`: why its media is taken as lost (the leg's end says so). */
  private end(code: number, reason: string, lost?: string): void {
    this.clearStartTimer();
    this.stopIdleWatch();
    this.state = 'ended';
    this.pending.length = 0;
    this.leg?.end(lost === undefined ? ENDED : { cause: 'lost', detail: lost });
    this.deps.socket.close(code, reason);
  }

  private clearStartTimer(): void {
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = undefined;
  }
}

interface StreamLegInit {
  callSid: string;
  streamSid: string;
  accountSid: string;
  role: LegRole;
  customParameters: Readonly<Record<string, string>>;
  socket: MediaSocket;
  counters: TwilioCounters;
  logger: Logger;
  opts: MediaStreamOptions;
  sequence: SequenceTracker;
  clock: MediaClock;
}

/** The `MediaLeg` handed to the bridge. */
class StreamLeg implements MediaLeg {
  readonly callSid: string;
  readonly streamSid: string;
  readonly accountSid: string;
  readonly role: LegRole;
  readonly customParameters: Readonly<Record<string, string>>;
  readonly sequence: SequenceTracker;
  private readonly emitter = new EventEmitter();
  /** The `media` listeners, called with every inbound frame. */
  private readonly mediaListeners = new ListenerList<MediaLegEvents['media']>();
  private readonly mediaWriter: OutboundMediaWriter;
  private ended = false;
  private waitingForDrain = false;
  private loggedDrop = false;

  constructor(private readonly init: StreamLegInit) {
    this.callSid = init.callSid;
    this.streamSid = init.streamSid;
    this.accountSid = init.accountSid;
    this.role = init.role;
    this.customParameters = init.customParameters;
    this.sequence = init.sequence;
    this.mediaWriter = new OutboundMediaWriter(init.streamSid);
  }

  get bufferedBytes(): number {
    return this.init.socket.bufferedAmount;
  }

  sendMedia(mulaw: Uint8Array): boolean {
    const { socket, opts, counters } = this.init;
    if (this.ended || socket.readyState !== OPEN) return false;
    if (mulaw.length === 0) return socket.bufferedAmount <= opts.highWaterBytes;
    if (socket.bufferedAmount >= opts.hardCapBytes) {
      counters.inc('outbound_dropped_frames');
      counters.inc('outbound_dropped_bytes', mulaw.length);
      if (!this.loggedDrop) {
        this.loggedDrop = true;
        this.init.logger.warn(
          { event: 'twilio.media.outbound_dropped', bufferedBytes: socket.bufferedAmount },
          'outbound audio dropped: socket buffer over hard cap',
        );
      }
      this.waitingForDrain = true;
      return false;
    }
    socket.send(this.mediaWriter.message(mulaw), this.afterSend);
    if (socket.bufferedAmount > opts.highWaterBytes) {
      this.waitingForDrain = true;
      return false;
    }
    return true;
  }

  sendMark(name: string): void {
    this.sendControl(outboundMark(this.streamSid, name));
  }

  clear(): void {
    this.sendControl(outboundClear(this.streamSid));
  }

  close(): void {
    const { socket } = this.init;
    if (socket.readyState === OPEN) socket.close(1000, 'closed by tolk');
  }

  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    if (event === 'media') this.mediaListeners.add(listener as MediaLegEvents['media']);
    else this.emitter.on(event, listener);
    return this;
  }

  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): this {
    if (event === 'media') this.mediaListeners.remove(listener as MediaLegEvents['media']);
    else this.emitter.off(event, listener);
    return this;
  }

  /** Places received audio on the leg's clock and emits it; returns the ms of gap not filled. */
  receiveAudio(timestampMs: number, payload: Uint8Array): number {
    const placed = this.init.clock.place(timestampMs, payload);
    if (placed.filledMs > 0) this.init.counters.inc('gap_fill_ms', placed.filledMs);
    if (placed.skippedMs > 0) this.init.counters.inc('gap_skipped_ms', placed.skippedMs);
    for (const frame of placed.frames) this.emitMedia(frame);
    return placed.skippedMs;
  }

  /** Hands a media frame to the leg's 'media' listeners in order (no EventEmitter: one per frame); a throw is logged. */
  private emitMedia(frame: MediaFrame): void {
    const listeners = this.mediaListeners.all;
    try {
      for (let i = 0; i < listeners.length; i++) listeners[i](frame);
    } catch (err) {
      this.init.logger.error({ event: 'twilio.media.listener_error', leg_event: 'media', err }, 'leg listener threw');
    }
  }

  emitEvent(event: 'dtmf' | 'mark', value: string): void;
  emitEvent(event: 'stop', why: MediaEnd): void;
  emitEvent(event: 'drain'): void;
  emitEvent(event: Exclude<keyof MediaLegEvents, 'media'>, value?: unknown): void {
    try {
      this.emitter.emit(event, value);
    } catch (err) {
      this.init.logger.error({ event: 'twilio.media.listener_error', leg_event: event, err }, 'leg listener threw');
    }
  }

  /** Emits 'stop' (with why) once and detaches every listener. */
  end(why: MediaEnd = ENDED): void {
    if (this.ended) return;
    this.ended = true;
    this.emitEvent('stop', why);
    this.emitter.removeAllListeners();
    this.mediaListeners.clear();
  }

  private readonly afterSend = (err?: Error): void => {
    if (err || !this.waitingForDrain || this.ended) return;
    if (this.init.socket.bufferedAmount <= this.init.opts.lowWaterBytes) {
      this.waitingForDrain = false;
      this.emitEvent('drain');
    }
  };

  private sendControl(text: string): void {
    if (this.ended || this.init.socket.readyState !== OPEN) return;
    this.init.socket.send(text, this.afterSend);
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
