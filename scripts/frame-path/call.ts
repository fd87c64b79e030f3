/**
 * One interpreted call on tolk's frame path, without sockets or timers, for the instruction count
 * (scripts/bench-instructions.ts). Everything on the path is tolk's own, wired as src/app.ts wires it:
 * the Twilio webhooks' handlers answer the call (TwiML with stream tokens), each leg's Media Stream
 * is a MediaStreamSession fed the same pre-encoded messages as the load rig's (token check,
 * parsing, gap-free clock, mu-law), the CallService runs the direct call (echo canceller, jitter
 * buffer, routes, mixers, play-out, the shared frame clock), and each route is a GeminiTranslator
 * with the real SDK, its Live socket in memory (in-memory-live.ts). What is left out is the socket
 * work (WebSocket framing, the kernel): the transport floor of `npm run bench` measures that.
 */
import { Writable } from 'node:stream';
import { EchoCanceller } from '../../src/audio/echo-canceller';
import { RecentLateness } from '../../src/audio/recent-lateness';
import { decodeMulawSample } from '../../src/audio/mulaw';
import { CallService } from '../../src/call/call-service';
import { CallEventBus } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import type { DialRequest, LegReport, Telephony } from '../../src/call/ports';
import { FilePromptLibrary } from '../../src/call/prompts';
import { logCalls } from '../../src/call/subscribers/log';
import { measureCalls } from '../../src/call/subscribers/metrics';
import { recordCalls } from '../../src/call/subscribers/records';
import { StaticNumberDirectory } from '../../src/config/numbers';
import { PROMPTS_DIR, TWIML_DIR } from '../../src/config/paths';
import { Metrics } from '../../src/http/metrics';
import { createLogger } from '../../src/log/logger';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { GeminiTranslatorFactory } from '../../src/translate/gemini-translator';
import { createCallAnswerRenderer } from '../../src/twilio/call-answers';
import { CALL_ID_PARAM, LEG_PARAM } from '../../src/twilio/call-params';
import { callWebhookHandlers } from '../../src/twilio/call-webhooks';
import { TwilioCounters } from '../../src/twilio/counters';
import { MediaStreamSession, type MediaSocket } from '../../src/twilio/media-stream';
import { streamStatusUrl } from '../../src/twilio/module';
import { mediaStreamUrl } from '../../src/twilio/signature';
import { InMemoryReplayStore, StreamTokens } from '../../src/twilio/stream-token';
import { createTwimlRenderer } from '../../src/twilio/twiml';
import { parseTwiml } from '../../src/emulators/twilio/twiml';
import { connectedMessage, startMessage, type StreamIdentity } from '../../src/emulators/twilio/stream-messages';
import { FRAME_B64, MediaMessageWriter } from '../rig/frames';
import type { Timeline } from '../rig/timelines';
import { InMemoryLive } from './in-memory-live';

const ACCOUNT = 'AC' + '0'.repeat(32);
const CALLER_SID = 'CA' + '1'.repeat(32);
const AGENT_SID = 'CA' + '2'.repeat(32);
const PUBLIC_URL = 'https://tolk.example.com';
const TOLK_NUMBER = '+15550001111';
/** A mu-law byte louder than this (linear, of 32767) is the model's voice, far above the original under it. */
const HEARD_LEVEL = 9000;

export interface FramePathOptions {
  /** TRANSLATE_CHUNK_MS. */
  chunkMs: number;
  /** The model's latency, in 20 ms ticks. */
  latencyTicks: number;
}

/** A Media Stream's socket: counts what tolk sends and how much of it is the model's voice. */
class CountingSocket implements MediaSocket {
  readyState = 1;
  readonly bufferedAmount = 0;
  mediaSent = 0;
  voiceFrames = 0;

  send(data: string, cb?: (err?: Error) => void): void {
    if (data.charCodeAt(10) === 0x6d /* {"event":"media" */) {
      this.mediaSent++;
      if (loudMulaw(data)) this.voiceFrames++;
    }
    cb?.();
  }

  close(): void {
    this.readyState = 3;
  }
}

const MULAW_TO_LINEAR = Int16Array.from({ length: 256 }, (_, c) => decodeMulawSample(c));

/** Whether the payload of a media message carries a sample louder than HEARD_LEVEL (a few samples are looked at). */
function loudMulaw(message: string): boolean {
  const at = message.indexOf('"payload":"') + 11;
  const bytes = Buffer.from(message.slice(at, at + FRAME_B64), 'base64');
  for (let i = 0; i < bytes.length; i += 4) if (Math.abs(MULAW_TO_LINEAR[bytes[i]]) > HEARD_LEVEL) return true;
  return false;
}

class HarnessTelephony implements Telephony {
  readonly dials: DialRequest[] = [];
  dial(req: DialRequest): Promise<string> {
    this.dials.push(req);
    return Promise.resolve(AGENT_SID);
  }
  hangUp(): Promise<void> {
    return Promise.resolve();
  }
  sayAndHangUp(): Promise<void> {
    return Promise.resolve();
  }
  lookUp(): Promise<LegReport | undefined> {
    return Promise.resolve({ status: { state: 'answered' } } as LegReport);
  }
}

interface HarnessLeg {
  session: MediaStreamSession;
  socket: CountingSocket;
  writer: MediaMessageWriter;
  timeline: Timeline;
  chunk: number;
  seq: number;
}

/** Lets promise callbacks run (no timer, no I/O: a run does the same work every time). */
async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

export class FramePathCall {
  readonly clock = new ManualFrameClock();
  readonly live: InMemoryLive;
  private readonly legs: HarnessLeg[] = [];
  private readonly calls: CallService;
  private readonly handlers: ReturnType<typeof callWebhookHandlers>;
  private readonly telephony = new HarnessTelephony();
  private readonly tokens = new StreamTokens({ secret: 'frame-path-secret-0123456789abcdefghij', replayStore: new InMemoryReplayStore() });
  private readonly counters = new TwilioCounters();
  private readonly logger = createLogger({ level: 'warn', destination: new Writable({ write: (_c, _e, cb) => cb() }) });
  private tick = 0;
  /** Transcript lines written (final utterances, both directions). */
  private utterances = 0;

  constructor(private readonly opts: FramePathOptions) {
    this.live = new InMemoryLive(opts.latencyTicks);
    const metrics = new Metrics();
    const records = new InMemoryCallRecordStore();
    const events = new CallEventBus(this.logger);
    recordCalls(events, records);
    measureCalls(events, metrics);
    logCalls(events, this.logger);
    events.subscribe((e) => void (e.type === 'utterance.final' && this.utterances++));
    this.calls = new CallService({
      events,
      clock: this.clock,
      translators: new GeminiTranslatorFactory({ apiKey: 'frame-path', baseUrl: 'http://gemini.invalid', chunkMs: opts.chunkMs, openSocket: this.live.open, now: () => this.tick * 20 }),
      telephony: this.telephony,
      records,
      numbers: new StaticNumberDirectory([{ number: TOLK_NUMBER, destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16 }]),
      prompts: new FilePromptLibrary(PROMPTS_DIR),
      metrics,
      logger: this.logger,
      echoCanceller: () => new EchoCanceller(),
      playoutLateness: new RecentLateness(),
    });
    const twiml = createTwimlRenderer({ dir: TWIML_DIR, streamStatusCallback: streamStatusUrl(PUBLIC_URL) });
    const answers = createCallAnswerRenderer({ twiml, tokens: this.tokens, publicUrl: PUBLIC_URL, streamUrl: mediaStreamUrl(PUBLIC_URL) });
    this.handlers = callWebhookHandlers(this.calls, answers, this.tokens, this.logger);
  }

  /** Ends the call (its deadlines and sessions with it), for a process that goes on after the count. */
  async close(): Promise<void> {
    await this.calls.shutdown();
  }

  /** Answers the caller, dials and answers the agent, opens both streams and both translation sessions. */
  async connect(timelines: { caller: Timeline; agent: Timeline }): Promise<void> {
    const callerTwiml = await this.handlers.voice({ CallSid: CALLER_SID, AccountSid: ACCOUNT, From: '+34911234567', To: TOLK_NUMBER, CallStatus: 'ringing', Direction: 'inbound' }, { query: {} });
    await this.openStream(CALLER_SID, callerTwiml, timelines.caller);
    await settle();
    const dial = this.telephony.dials[0];
    if (!dial) throw new Error('tolk did not dial the agent');
    const query = { [CALL_ID_PARAM]: dial.callId, [LEG_PARAM]: dial.endpoint };
    for (const CallStatus of ['ringing', 'in-progress'] as const) await this.handlers.status({ CallSid: AGENT_SID, AccountSid: ACCOUNT, CallStatus }, { query });
    const agentTwiml = await this.handlers.voice({ CallSid: AGENT_SID, AccountSid: ACCOUNT, CallStatus: 'in-progress', Direction: 'outbound-api' }, { query });
    await this.openStream(AGENT_SID, agentTwiml, timelines.agent);
    for (let i = 0; i < 50 && this.live.setUp < 2; i++) await settle();
    if (this.live.setUp < 2) throw new Error(`${this.live.setUp} of 2 translation sessions set up`);
  }

  private async openStream(callSid: string, twiml: string, timeline: Timeline): Promise<void> {
    const connect = parseTwiml(twiml).find((v) => v.verb === 'Connect');
    const noun = connect?.verb === 'Connect' ? connect.stream : undefined;
    if (!noun) throw new Error(`tolk answered ${callSid} without a stream: ${twiml}`);
    const id: StreamIdentity = { accountSid: ACCOUNT, callSid, streamSid: 'MZ' + callSid.slice(2) };
    const socket = new CountingSocket();
    const session = new MediaStreamSession({
      socket,
      logger: this.logger,
      counters: this.counters,
      tokens: this.tokens,
      accountSid: ACCOUNT,
      onLeg: (leg) => this.handlers.leg(leg),
      // The stream's wall clock is the harness's: 20 ms a tick.
      options: { clock: { now: () => this.tick * 20 } },
    });
    session.handleMessage(Buffer.from(JSON.stringify(connectedMessage())), false);
    session.handleMessage(Buffer.from(JSON.stringify(startMessage(id, 1, noun.parameters))), false);
    await settle();
    this.legs.push({ session, socket, writer: new MediaMessageWriter(id.streamSid), timeline, chunk: 0, seq: 1 });
  }

  /** 20 ms of the call: each party's next media message, the model's frames due, then the clock's tick. */
  async step(): Promise<void> {
    for (const leg of this.legs) {
      const t = leg.timeline;
      const frame = leg.chunk % t.frames;
      leg.chunk++;
      leg.seq++;
      leg.session.handleMessage(leg.writer.message(t.payloads, frame * FRAME_B64, leg.chunk, leg.seq), false);
    }
    this.tick++;
    this.live.tick = this.tick;
    this.live.deliver();
    this.clock.tick();
    await settle(4);
  }

  /** What went through: media messages each way, the model's voice heard on each leg, the sessions' input. */
  summary(): Record<string, number> {
    const [caller, agent] = this.legs;
    const sessions = this.live.sessions;
    return {
      framesIn: this.legs.reduce((a, l) => a + l.chunk, 0),
      framesOut: this.legs.reduce((a, l) => a + l.socket.mediaSent, 0),
      voiceFramesHeardByCaller: caller?.socket.voiceFrames ?? 0,
      voiceFramesHeardByAgent: agent?.socket.voiceFrames ?? 0,
      modelInputMessages: sessions.reduce((a, s) => a + s.inputMessages, 0),
      modelInputSeconds: sessions.reduce((a, s) => a + s.inputSamples, 0) / 16_000,
      modelVoiceFrames: sessions.reduce((a, s) => a + s.outputFrames, 0),
      utterances: this.utterances,
      activeCalls: this.calls.activeCalls,
      legsStarted: this.counters.snapshot().legs_started ?? 0,
      // Anything else the edge counted (refused, malformed or late messages, gaps): none on a sound path.
      edgeProblems: Object.entries(this.counters.snapshot()).reduce((a, [k, v]) => (k === 'legs_started' || k === 'ws_connections' ? a : a + v), 0),
    };
  }
}
