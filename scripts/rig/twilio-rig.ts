/**
 * The Twilio side of the bench's load rig (one process, started by scripts/bench.ts with IPC). It
 * speaks Twilio's documented protocols to tolk, as the emulator does, but is built for load:
 *  - control: signed voice and status webhooks, the REST calls tolk makes (create, update, fetch),
 *    `<Stream statusCallback>` requests; TwiML read with the emulator's parser;
 *  - media: every leg on one 20 ms clock, each frame a pre-encoded payload patched into a reused
 *    WebSocket frame (frames.ts) written in one write on the leg's socket (raw-ws.ts: a zero masking
 *    key, no copy); what tolk sends is read where it lies in the socket's buffer: a media message is
 *    recognised by its bytes (tolk's own layout, the leg's stream) and counted, anything else is
 *    parsed, and what is none of Twilio's media, mark or clear messages is counted as unexpected.
 *    On a sample of calls what tolk sends is timed: when the listener hears the translation of each
 *    utterance, against when the speaker said it (`addedDelayMs`).
 * With `record`, what the listeners of sampled calls hear is kept, placed in time as Twilio plays it
 * (`recordings`: the path test's audio check). It can also open the same legs straight at the
 * transport floor (`floorDial`).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callJson, callWebhookParams, type CallRecord } from '../../src/emulators/twilio/call-record';
import { randomSid } from '../../src/emulators/twilio/sids';
import { statusCallbackParams, streamStatusParams, wantsEvent, type ProgressEvent } from '../../src/emulators/twilio/status-callbacks';
import { connectedMessage, markMessage, startMessage, stopMessage, type StreamIdentity } from '../../src/emulators/twilio/stream-messages';
import { parseTwiml, type StreamNoun } from '../../src/emulators/twilio/twiml';
import { signatureFor, WebhookSender } from '../../src/emulators/twilio/webhooks';
import { commandListener, type FailedReply } from './commands';
import { FRAME_B64, FRAME_MS, FRAME_SAMPLES, firstLoudMulaw, HEARD_LEVEL, MediaMessageWriter, mulawSampleAt } from './frames';
import { connect, type RawWs } from './raw-ws';
import { loadTimelines, type Timeline } from './timelines';
import type { RigRecording, TwilioRigCommand, TwilioRigConfig, TwilioRigReply, TwilioRigStats } from './protocol';

const config = JSON.parse(process.argv[2] ?? '{}') as TwilioRigConfig;
const timelines = loadTimelines(config.callSec);
const webhooks = new WebhookSender(() => config.authToken, (url, init) => fetch(url, init));
/** The end of tolk's media message, after the payload. */
const MEDIA_TAIL = Buffer.from('"}}', 'latin1');

type Role = 'caller' | 'agent';

interface Pair {
  sampled: boolean;
  legs: Partial<Record<Role, Leg>>;
}

/** Callers whose other party tolk has not dialled yet, oldest first: the next leg tolk places is theirs. */
const awaitingAgent: Pair[] = [];

interface RigCall {
  record: CallRecord;
  role: Role;
  pair: Pair;
  leg?: Leg;
  ended: boolean;
}

/** One Media Stream: its socket, its timeline, and (sampled calls) the listener's clock. */
class Leg {
  readonly writer: MediaMessageWriter;
  /** How tolk's media messages to this leg start, up to the payload. */
  readonly mediaHead: Buffer;
  chunk = 0;
  seq = 1;
  open = true;
  /** When what has been sent to this party so far ends playing (Twilio plays it in real time). */
  playEnd = 0;
  /** Speech onsets (ms) of the other party whose translation this listener has not heard yet. */
  readonly pending: number[] = [];
  /** With `record`, on sampled calls: what this party heard, from when the leg opened (8 kHz). */
  heard: Int16Array | undefined;
  heardEnd = 0;
  readonly openedAt = Date.now();

  constructor(
    readonly ws: RawWs,
    readonly id: StreamIdentity,
    readonly timeline: Timeline,
    readonly pair: Pair,
    readonly role: Role,
    readonly streamNoun: StreamNoun | undefined,
  ) {
    this.writer = new MediaMessageWriter(id.streamSid);
    this.mediaHead = Buffer.from(`{"event":"media","streamSid":${JSON.stringify(id.streamSid)},"media":{"payload":"`, 'latin1');
    if (config.record && pair.sampled) {
      this.heard = new Int16Array((config.callSec + 10) * 8000);
      recorded.push(this);
    }
  }
}

const recorded: Leg[] = [];

const calls = new Map<string, RigCall>();
const legs = new Set<Leg>();
const delays: number[] = [];
let measureFrom = Number.POSITIVE_INFINITY;
let framesSent = 0;
let framesReceived = 0;
let sendSkipped = 0;
let ticks = 0;
let tickLateMaxMs = 0;
let unexpectedMessages = 0;
let errors = 0;
let callIndex = 0;

function sendJson(leg: Leg, msg: object): void {
  if (leg.open && leg.ws.open) leg.ws.sendText(JSON.stringify(msg));
}

/** The one media clock: every open leg sends its next frame each 20 ms. */
function startClock(): void {
  const start = performance.now();
  let n = 0;
  const tick = (): void => {
    const now = performance.now();
    tickLateMaxMs = Math.max(tickLateMaxMs, now - (start + n * FRAME_MS));
    const wall = Date.now();
    for (const leg of legs) sendFrame(leg, wall);
    ticks++;
    n++;
    setTimeout(tick, Math.max(0, start + n * FRAME_MS - performance.now()));
  };
  setTimeout(tick, FRAME_MS);
}

function sendFrame(leg: Leg, wall: number): void {
  if (!leg.open || !leg.ws.open) return;
  // A socket this far behind would have its ring's buffers overwritten: the frame is not sent.
  if (leg.ws.buffered > 8 * 512) {
    sendSkipped++;
    return;
  }
  const t = leg.timeline;
  const frame = leg.chunk % t.frames;
  leg.chunk++;
  leg.seq++;
  leg.ws.sendFrame(leg.writer.frame(t.payloads, frame * FRAME_B64, leg.chunk, leg.seq));
  framesSent++;
  if (leg.pair.sampled) {
    const offset = t.onsetInFrame[frame];
    // The frame's audio was spoken during the 20 ms before it is sent.
    if (offset >= 0) leg.pair.legs[leg.role === 'caller' ? 'agent' : 'caller']?.pending.push(wall - FRAME_MS + offset / 8);
  }
}

/** A message from tolk, bytes `start` to `end` of `buf`. */
function onServerMessage(leg: Leg, buf: Buffer, start: number, end: number): void {
  // tolk's media message, as it writes it: its fixed head (this leg's stream) and 20 ms of payload.
  const head = leg.mediaHead;
  const payload = start + head.length;
  if (end === payload + FRAME_B64 + MEDIA_TAIL.length && buf.compare(head, 0, head.length, start, payload) === 0 && buf.compare(MEDIA_TAIL, 0, MEDIA_TAIL.length, end - MEDIA_TAIL.length, end) === 0) {
    onMedia(leg, buf, payload);
    return;
  }
  let msg: { event?: unknown; streamSid?: unknown; media?: { payload?: unknown }; mark?: { name?: unknown } };
  try {
    msg = JSON.parse(buf.toString('utf8', start, end)) as typeof msg;
  } catch {
    unexpectedMessages++;
    return;
  }
  if (msg.streamSid !== leg.id.streamSid) unexpectedMessages++;
  else if (msg.event === 'media' && typeof msg.media?.payload === 'string' && msg.media.payload.length === FRAME_B64) onMedia(leg, Buffer.from(msg.media.payload, 'latin1'), 0);
  else if (msg.event === 'mark' && typeof msg.mark?.name === 'string') {
    const name = msg.mark.name;
    setTimeout(() => sendJson(leg, markMessage(leg.id, ++leg.seq, name)), Math.max(0, leg.playEnd - Date.now()));
  } else if (msg.event === 'clear') leg.playEnd = 0;
  else unexpectedMessages++;
}

/** A 20 ms media message from tolk, its base64 payload at `p` in `buf`: counted, and on sampled calls timed. */
function onMedia(leg: Leg, buf: Buffer, p: number): void {
  framesReceived++;
  if (!leg.pair.sampled) return;
  const now = Date.now();
  const start = Math.max(now, leg.playEnd);
  leg.playEnd = start + FRAME_MS;
  if (leg.heard) record(leg, buf, p, start);
  const spoken = leg.pending[0];
  if (spoken === undefined || start + FRAME_MS <= spoken) return;
  if (start - spoken > 5000) {
    leg.pending.shift(); // never heard: not counted as a delay
    return;
  }
  const k = firstLoudMulaw(buf, p, FRAME_SAMPLES, HEARD_LEVEL);
  if (k < 0) return;
  const heard = start + k / 8;
  if (heard < spoken) return;
  leg.pending.shift();
  if (spoken >= measureFrom) delays.push(heard - spoken - config.modelLatencyMs);
}

/** Keeps the frame (base64 at `p` in `buf`) where it plays, `start` (ms). */
function record(leg: Leg, buf: Buffer, p: number, start: number): void {
  const heard = leg.heard;
  const at = Math.round((start - leg.openedAt) * 8);
  if (!heard || at < 0 || at + FRAME_SAMPLES > heard.length) return;
  for (let k = 0; k < FRAME_SAMPLES; k++) heard[at + k] = mulawSampleAt(buf, p, k);
  leg.heardEnd = Math.max(leg.heardEnd, at + FRAME_SAMPLES);
}

function recordings(): RigRecording[] {
  return recorded.map((l) => {
    const pcm = l.heard?.subarray(0, l.heardEnd) ?? new Int16Array(0);
    return { role: l.role, callSid: l.id.callSid, heard: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64') };
  });
}

/** Opens a Media Stream to `url` with Twilio's connected and start messages. */
async function openLeg(url: string, id: StreamIdentity, parameters: Record<string, string>, pair: Pair, role: Role, noun?: StreamNoun): Promise<Leg> {
  // The leg is made once the socket is open; tolk says nothing before the start message.
  const opened: { leg?: Leg } = {};
  const ws = await connect(url, { 'X-Twilio-Signature': signatureFor(config.authToken, url, {}) }, {
    onMessage: (buf, start, end) => {
      if (opened.leg) onServerMessage(opened.leg, buf, start, end);
    },
    onClose: () => {
      if (!opened.leg) return;
      opened.leg.open = false;
      legs.delete(opened.leg);
    },
    onProtocolError: () => void unexpectedMessages++,
  }, config.handshakeTimeoutMs);
  const leg = new Leg(ws, id, timelines[role], pair, role, noun);
  opened.leg = leg;
  pair.legs[role] = leg;
  ws.sendText(JSON.stringify(connectedMessage()));
  ws.sendText(JSON.stringify(startMessage(id, 1, parameters)));
  legs.add(leg);
  return leg;
}

function streamStatus(call: RigCall, event: 'stream-started' | 'stream-stopped'): void {
  const noun = call.leg?.streamNoun;
  if (!noun?.statusCallback || !call.leg) return;
  void webhooks
    .send({ kind: 'stream-status', callSid: call.record.sid, url: noun.statusCallback, method: noun.statusCallbackMethod ?? 'POST', params: streamStatusParams({ ...call.leg.id, name: noun.name }, event, new Date()) })
    .catch(() => undefined);
}

function progress(call: RigCall, event: ProgressEvent): Promise<unknown> {
  if (!wantsEvent(call.record, event)) return Promise.resolve();
  const params = statusCallbackParams(call.record, event, new Date());
  return webhooks.send({ kind: 'status', callSid: call.record.sid, url: call.record.statusCallback!, method: call.record.statusCallbackMethod, params }).catch(() => undefined);
}

/** Runs a call's TwiML: a `<Connect><Stream>` opens its leg; anything else ends the call. */
async function runTwiml(call: RigCall, url: string, method: string): Promise<void> {
  const res = await webhooks.send({ kind: 'voice', callSid: call.record.sid, url, method, params: callWebhookParams(call.record) });
  const stream = parseTwiml(res.body).find((v) => v.verb === 'Connect' && v.stream);
  if (res.status !== 200 || !stream || stream.verb !== 'Connect' || !stream.stream) {
    end(call, 'completed');
    return;
  }
  const noun = stream.stream;
  try {
    call.leg = await openLeg(noun.url, { accountSid: config.accountSid, callSid: call.record.sid, streamSid: randomSid('MZ') }, noun.parameters, call.pair, call.role, noun);
  } catch {
    // The stream never opened (its handshake failed or timed out): the call ends, as Twilio ends it.
    errors++;
    const waiting = awaitingAgent.indexOf(call.pair);
    if (call.role === 'caller' && waiting >= 0) awaitingAgent.splice(waiting, 1);
    end(call, 'completed');
    return;
  }
  if (call.ended) closeLeg(call);
  else streamStatus(call, 'stream-started');
}

function closeLeg(call: RigCall): void {
  const leg = call.leg;
  if (!leg || !leg.open) return;
  sendJson(leg, stopMessage(leg.id, ++leg.seq));
  leg.open = false;
  legs.delete(leg);
  leg.ws.close(1000);
  streamStatus(call, 'stream-stopped');
}

function end(call: RigCall, status: 'completed' | 'canceled'): void {
  if (call.ended) return;
  call.ended = true;
  call.record.status = status;
  call.record.endTime = new Date();
  call.record.durationSec = call.record.startTime ? Math.round((Date.now() - call.record.startTime.getTime()) / 1000) : 0;
  closeLeg(call);
  void progress(call, 'completed');
}

function newRecord(p: Partial<CallRecord> & Pick<CallRecord, 'from' | 'to' | 'direction' | 'status'>): CallRecord {
  const now = new Date();
  return { sid: randomSid('CA'), accountSid: config.accountSid, dateCreated: now, dateUpdated: now, method: 'POST', statusCallbackMethod: 'POST', statusCallbackEvents: new Set(), timeoutSec: 60, callbackSequence: 0, ...p };
}

/** A caller dials tolk's number. */
async function dial(): Promise<void> {
  const i = callIndex++;
  const pair: Pair = { sampled: i % config.sampleEvery === 0, legs: {} };
  const record = newRecord({ from: `+3491${String(1000000 + i)}`, to: config.tolkNumber, direction: 'inbound', status: 'ringing', statusCallback: `${config.tolkBase}/twilio/status` });
  const call: RigCall = { record, role: 'caller', pair, ended: false };
  calls.set(record.sid, call);
  awaitingAgent.push(pair);
  record.status = 'in-progress';
  record.startTime = new Date();
  await runTwiml(call, `${config.tolkBase}/twilio/voice`, 'POST');
}

/** tolk dials the other party: it answers after `answerAfterMs`. */
function placeCall(form: URLSearchParams): CallRecord | undefined {
  const to = form.get('To');
  const from = form.get('From');
  const url = form.get('Url');
  if (!to || !from || !url) return undefined;
  const record = newRecord({
    from,
    to,
    direction: 'outbound-api',
    status: 'queued',
    url,
    method: (form.get('Method') ?? 'POST').toUpperCase(),
    statusCallback: form.get('StatusCallback') ?? undefined,
    statusCallbackMethod: (form.get('StatusCallbackMethod') ?? 'POST').toUpperCase(),
    statusCallbackEvents: new Set(form.getAll('StatusCallbackEvent')),
  });
  const pair: Pair = awaitingAgent.shift() ?? { sampled: false, legs: {} };
  const call: RigCall = { record, role: 'agent', pair, ended: false };
  calls.set(record.sid, call);
  void (async () => {
    await progress(call, 'initiated');
    record.status = 'ringing';
    await progress(call, 'ringing');
    await new Promise((r) => setTimeout(r, config.answerAfterMs));
    if (call.ended) return;
    record.status = 'in-progress';
    record.startTime = new Date();
    await progress(call, 'answered');
    await runTwiml(call, url, record.method).catch(() => end(call, 'completed'));
  })();
  return record;
}

function updateCall(call: RigCall, form: URLSearchParams): void {
  const status = form.get('Status');
  if (status === 'completed' || status === 'canceled') {
    const answered = call.record.status === 'in-progress';
    if (status === 'completed' || !answered) end(call, answered ? 'completed' : 'canceled');
  } else if (form.get('Twiml') !== null || form.get('Url') !== null) {
    // A redirect tolk makes to say something and hang up: the rig ends the call a moment later.
    setTimeout(() => end(call, 'completed'), 1000);
  }
}

function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

/** The part of Twilio's REST API tolk uses for a direct call. */
function rest(req: IncomingMessage, res: ServerResponse): void {
  const auth = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  if (req.headers.authorization !== auth) return twilioError(res, 401, 20003, 'Authenticate');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const path = (req.url ?? '').split('?')[0];
    const base = `/2010-04-01/Accounts/${config.accountSid}/Calls`;
    if (req.method === 'POST' && path === `${base}.json`) {
      const record = placeCall(form);
      if (!record) return twilioError(res, 400, 21205, 'To, From and Url are required');
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(callJson(record)));
      return;
    }
    const m = new RegExp(`^${base}/(CA[0-9a-f]{32})\\.json$`).exec(path);
    const call = m ? calls.get(m[1]) : undefined;
    if (!call) return twilioError(res, 404, 20404, `The requested resource ${path} was not found`);
    if (req.method === 'POST') updateCall(call, form);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(callJson(call.record)));
  });
}

async function floorDial(url: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const pair: Pair = { sampled: false, legs: {} };
    for (const role of ['caller', 'agent'] as const) {
      const id = { accountSid: config.accountSid, callSid: randomSid('CA'), streamSid: randomSid('MZ') };
      await openLeg(url, id, { role }, pair, role).catch(() => void errors++);
    }
    await new Promise((r) => setTimeout(r, config.spacingMs));
  }
}

function stats(): TwilioRigStats {
  return { legs: legs.size, framesSent, framesReceived, sendSkipped, ticks, tickLateMaxMs, unexpectedMessages, errors, delays: [...delays] };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

function reply(r: TwilioRigReply | FailedReply): void {
  process.send?.(r);
}

async function command(cmd: TwilioRigCommand): Promise<TwilioRigReply> {
  switch (cmd.type) {
    case 'dial':
      for (let i = 0; i < cmd.calls; i++) {
        // A timed call is placed alone, so the leg tolk dials next is surely its other party.
        const sampled = callIndex % config.sampleEvery === 0;
        if (sampled) await until(() => awaitingAgent.length === 0, 10_000);
        void dial().catch(() => undefined);
        if (sampled) await until(() => awaitingAgent.length === 0, 10_000);
        await new Promise((r) => setTimeout(r, config.spacingMs));
      }
      return { type: 'dialed' };
    case 'floorDial':
      await floorDial(cmd.url, cmd.calls);
      return { type: 'dialed' };
    case 'measure':
      measureFrom = cmd.from;
      delays.length = 0;
      framesSent = 0;
      sendSkipped = 0;
      ticks = 0;
      tickLateMaxMs = 0;
      framesReceived = 0;
      return { type: 'measuring' };
    case 'stats':
      return { type: 'stats', stats: stats() };
    case 'recordings':
      return { type: 'recordings', recordings: recordings() };
    case 'hangupAll':
      for (const c of calls.values()) if (c.role === 'caller') end(c, 'completed');
      for (const l of [...legs]) {
        if ([...calls.values()].some((c) => c.leg === l)) continue;
        sendJson(l, stopMessage(l.id, ++l.seq));
        l.open = false;
        legs.delete(l);
        l.ws.close(1000);
      }
      return { type: 'hungUp' };
    default:
      throw new Error('unknown command');
  }
}

// A command that fails is one of the rig's errors, answered `failed`: the rig goes on.
process.on(
  'message',
  commandListener(command, reply, (cmd, error) => {
    errors++;
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'rig command failed', command: cmd, error })}\n`);
  }),
);

const server = http.createServer(rest);
server.listen(0, '127.0.0.1', () => {
  startClock();
  reply({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
// Exits rather than dies, so a CPU profile (--profile-rig) is written.
process.on('SIGTERM', () => process.exit(0));
