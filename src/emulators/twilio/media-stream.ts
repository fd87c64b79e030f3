// One bidirectional Media Stream (<Connect><Stream>): the WebSocket client Twilio opens to the
// application. Sends connected + start on open, one `media` frame per 20 ms of the caller's
// microphone, `dtmf` for key presses and `stop` at the end; plays what the server sends through a
// PlayoutBuffer, echoing marks when their audio has played and on clear.
import WebSocket from 'ws';
import { decodeMulaw, encodeMulaw, FRAME_SAMPLES } from './audio';
import type { AudioActivity } from './call-media';
import type { NewEvent } from './events';
import type { EmulatorClock } from './clock';
import { FaultPlan, JitterPlan, malformedMessage, type StreamFaults } from './faults';
import { PlayoutBuffer } from './playout';
import { signatureFor } from './webhooks';
import {
  connectedMessage,
  dtmfMessage,
  markMessage,
  mediaMessage,
  readServerMessage,
  startMessage,
  stopMessage,
  type StreamIdentity,
} from './stream-messages';

/** How the WebSocket handshake is signed: Twilio's docs say to validate X-Twilio-Signature, but
 * whether the upgrade is signed is not settled, so this is configurable. 'sign' uses the stream URL
 * (wss) with no params, as Twilio's own validator samples assume. */
export type HandshakeSignature = 'sign' | 'none';

/** WebSocket masking keys: random per frame (what a client must do), or all zero (load runs). */
export type MaskKey = 'random' | 'zero';
const zeroMask = (mask: Buffer): void => {
  mask.fill(0);
};

export interface StreamStats {
  streamSid: string;
  url: string;
  /** Where the stream began on the call's timeline (ms after answer); media timestamps count from here. */
  callOffsetMs: number;
  customParameters: Record<string, string>;
  handshakeHeaders: Record<string, string>;
  mediaFramesSent: number;
  framesDropped: number;
  malformedSent: number;
  mediaMessagesReceived: number;
  mediaBytesReceived: number;
  bytesPlayed: number;
  marksReceived: string[];
  marksEchoed: string[];
  clears: number;
  invalidMessages: { code: number; reason: string }[];
  discardedBytes: number;
}

export interface OpenStreamOptions {
  url: string;
  identity: StreamIdentity;
  customParameters: Record<string, string>;
  authToken: string;
  handshakeSignature: HandshakeSignature;
  faults?: StreamFaults;
  /** The emulator's clock: the network delays of `faults.jitterMs` are emulated time. */
  clock: Pick<EmulatorClock, 'now' | 'after'>;
  log: (e: NewEvent) => void;
  /** Log a `stream.received` event per media message (default true). */
  logMediaFrames?: boolean;
  maskKey?: MaskKey;
  handshakeTimeoutMs?: number;
}

const OPEN = 1;

export class MediaStreamSession implements AudioActivity {
  readonly stats: StreamStats;
  /** Resolves when the WebSocket has closed, with who closed it. */
  readonly closed: Promise<'server' | 'emulator' | 'error'>;
  private readonly playout = new PlayoutBuffer();
  private readonly encoded = new Uint8Array(FRAME_SAMPLES);
  private readonly faults: FaultPlan;
  /** Network jitter, when the faults ask for it: messages on their way, in order. */
  private readonly jitter: JitterPlan | undefined;
  private readonly inFlight: { due: number; data: string | Buffer; binary: boolean }[] = [];
  private drained: (() => void) | undefined;
  private seq = 0;
  private chunk = 0;
  private frames = 0;
  private stopping = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly opts: OpenStreamOptions,
    headers: Record<string, string>,
  ) {
    const sid = opts.identity.streamSid;
    this.faults = new FaultPlan(opts.faults);
    const jitterMs = opts.faults?.jitterMs ?? 0;
    this.jitter = jitterMs > 0 ? new JitterPlan(jitterMs, opts.faults?.seed) : undefined;
    this.stats = {
      streamSid: sid,
      url: opts.url,
      callOffsetMs: 0,
      customParameters: opts.customParameters,
      handshakeHeaders: headers,
      mediaFramesSent: 0,
      framesDropped: 0,
      malformedSent: 0,
      mediaMessagesReceived: 0,
      mediaBytesReceived: 0,
      bytesPlayed: 0,
      marksReceived: [],
      marksEchoed: [],
      clears: 0,
      invalidMessages: [],
      discardedBytes: 0,
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        const by = this.stopping ? 'emulator' : 'server';
        opts.log({ type: 'stream.closed', callSid: opts.identity.callSid, streamSid: sid, by, code });
        resolve(by);
      });
      ws.on('error', () => undefined); // 'close' follows
    });
    this.send(connectedMessage());
    this.send(startMessage(opts.identity, ++this.seq, opts.customParameters));
  }

  /** Opens the WebSocket; rejects (Twilio error 31920) if the handshake fails. */
  static open(opts: OpenStreamOptions): Promise<MediaStreamSession> {
    const headers: Record<string, string> = {};
    if (opts.handshakeSignature === 'sign') headers['X-Twilio-Signature'] = signatureFor(opts.authToken, opts.url, {});
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, {
        headers,
        handshakeTimeout: opts.handshakeTimeoutMs ?? 5000,
        ...(opts.maskKey === 'zero' ? { generateMask: zeroMask } : {}),
      });
      const fail = (err: Error): void => {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(err);
      };
      ws.once('error', fail);
      ws.once('unexpected-response', (_req, res) => fail(new Error(`handshake answered HTTP ${res.statusCode}`)));
      ws.once('open', () => {
        ws.removeAllListeners();
        const session = new MediaStreamSession(ws, opts, headers);
        opts.log({ type: 'stream.open', callSid: opts.identity.callSid, streamSid: opts.identity.streamSid, url: opts.url, headers });
        resolve(session);
      });
    });
  }

  private send(msg: object): void {
    this.deliver(JSON.stringify(msg), false);
  }

  /** Sends at once, or (under jitter) when the network delivers it, after every message sent before. */
  private deliver(data: string | Buffer, binary: boolean): void {
    if (!this.jitter) {
      if (this.ws.readyState === OPEN) this.ws.send(data, { binary });
      return;
    }
    this.inFlight.push({ due: this.jitter.arrival(this.opts.clock.now()), data, binary });
    if (this.inFlight.length === 1) this.deliverDue();
  }

  /** Sends the messages whose time has come, in order (one timer for the stream: timers do not keep order). */
  private readonly deliverDue = (): void => {
    const now = this.opts.clock.now();
    while (this.inFlight.length > 0 && this.inFlight[0].due <= now) {
      const m = this.inFlight.shift()!;
      if (this.ws.readyState === OPEN) this.ws.send(m.data, { binary: m.binary });
    }
    if (this.inFlight.length > 0) this.opts.clock.after(this.inFlight[0].due - now, this.deliverDue);
    else this.drained?.();
  };

  private log(e: NewEvent): void {
    this.opts.log(e);
  }

  private echoMarks(names: string[], reason: 'played' | 'empty' | 'cleared'): void {
    for (const name of names) {
      this.send(markMessage(this.opts.identity, ++this.seq, name));
      this.stats.marksEchoed.push(name);
      this.log({ type: 'stream.mark-echoed', callSid: this.opts.identity.callSid, streamSid: this.stats.streamSid, name, reason });
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const { callSid, streamSid } = this.opts.identity;
    const r = readServerMessage(data, isBinary, streamSid);
    if (!r.ok) {
      this.stats.invalidMessages.push({ code: r.code, reason: r.reason });
      this.log({ type: 'stream.invalid', callSid, streamSid, code: r.code, reason: r.reason });
      return;
    }
    const m = r.message;
    if (m.event === 'media') {
      this.stats.mediaMessagesReceived += 1;
      this.stats.mediaBytesReceived += m.payload.length;
      this.playout.enqueue(m.payload);
      this.stats.discardedBytes = this.playout.discardedBytes;
      if (this.opts.logMediaFrames !== false) this.log({ type: 'stream.received', callSid, streamSid, event: 'media', bytes: m.payload.length });
    } else if (m.event === 'mark') {
      this.stats.marksReceived.push(m.name);
      this.log({ type: 'stream.received', callSid, streamSid, event: 'mark', name: m.name });
      this.echoMarks(this.playout.addMark(m.name), 'empty');
    } else {
      this.stats.clears += 1;
      this.log({ type: 'stream.received', callSid, streamSid, event: 'clear' });
      this.echoMarks(this.playout.clear(), 'cleared');
    }
  }

  mic(frame: Int16Array): void {
    if (this.stopping) return;
    const ts = this.frames * 20;
    this.frames += 1;
    const d = this.faults.next();
    if (d.drop) {
      this.stats.framesDropped += 1;
    } else {
      const bytes = frame.length <= this.encoded.length ? encodeMulaw(frame, this.encoded) : encodeMulaw(frame);
      const payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
      this.send(mediaMessage(this.opts.identity, ++this.seq, ++this.chunk, ts, payload));
      this.stats.mediaFramesSent += 1;
    }
    if (d.malformed && this.ws.readyState === OPEN) {
      const bad = malformedMessage(d.malformed, this.stats.streamSid);
      this.deliver(bad.data, bad.binary);
      this.stats.malformedSent += 1;
      this.log({ type: 'stream.fault', callSid: this.opts.identity.callSid, streamSid: this.stats.streamSid, fault: d.malformed });
    }
  }

  hear(): Int16Array {
    const f = this.playout.nextFrame();
    this.stats.bytesPlayed += f.playedBytes;
    this.echoMarks(f.marks, 'played');
    return decodeMulaw(f.audio);
  }

  sendDtmf(digit: string): void {
    this.send(dtmfMessage(this.opts.identity, ++this.seq, digit));
  }

  get isOpen(): boolean {
    return this.ws.readyState === OPEN && !this.stopping;
  }

  /** Sends `stop` and closes the WebSocket (the call ended or moved on to other TwiML). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.ws.readyState === OPEN) {
      this.send(stopMessage(this.opts.identity, ++this.seq));
      // Under jitter, `stop` is still on its way: the socket closes once it has arrived.
      if (this.inFlight.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          this.drained = resolve;
          timer = setTimeout(resolve, 2000); // the emulator was disposed with messages on their way
        });
        clearTimeout(timer);
      }
      this.ws.close(1000, 'stream stopped');
      const t = setTimeout(() => this.ws.terminate(), 2000);
      await this.closed;
      clearTimeout(t);
    } else {
      this.ws.terminate();
    }
  }
}
