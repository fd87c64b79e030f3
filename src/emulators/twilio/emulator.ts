// startTwilioEmulator(): the REST API, the calls, their media and the event log behind one HTTP
// server. Everything it starts is released by close().
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { dbToGain, FRAME_SAMPLES, silentFrame, toneFrame } from './audio';
import { EmulatedCall, type AppParameterDelivery, type CallEnv, type ParticipantLeg } from './call';
import type { CallRecord, CallStatus } from './call-record';
import { createScaledClock } from './clock';
import { ConferenceCallbackSender } from './conference/callback-sender';
import type { Conference, ConferenceEvent, Participant, ParticipantStatus } from './conference/conference';
import { ConferenceHub } from './conference/hub';
import { EventLog, type EmulatorEvent } from './events';
import { StreamRefusals, type StreamFaults, type StreamRefusal } from './faults';
import { createFrameTicker, FRAME_MS } from './frame-ticker';
import { sayDurationSec } from './twiml';
import { fetchTwimlOrLog } from './twiml-fetch';
import { frames } from './call-runner';
import type { HandshakeSignature, MaskKey, StreamStats } from './media-stream';
import type { PartySpec } from './party';
import type { CallRecording } from './recorder';
import { controlRouter } from './control/routes';
import { basicAuth } from './rest/auth';
import { applicationsRouter, type ApplicationRecord } from './rest/applications-routes';
import { callsRouter, type PlaceCallParams } from './rest/calls-routes';
import { conferencesRouter, type NewParticipant } from './rest/conferences-routes';
import { sendTwilioError } from './rest/errors';
import { numbersRouter, type PhoneNumberRecord } from './rest/numbers-routes';
import { randomSid, type SidFactory } from './sids';
import { WebhookSender, type FetchLike } from './webhooks';
import { escapeXml } from './xml';
import type { CallMedia } from './call-media';

export interface EmulatedNumber {
  phoneNumber: string;
  voiceUrl?: string;
  voiceMethod?: string;
  statusCallback?: string;
  friendlyName?: string;
}

export interface EmulatedApplication {
  /** Default: a new AP... SID. */
  sid?: string;
  friendlyName?: string;
  voiceUrl: string;
  voiceMethod?: string;
}

export interface TwilioEmulatorOptions {
  port?: number;
  host?: string;
  accountSid?: string;
  authToken?: string;
  /** API keys accepted for Basic auth: SK... -> secret. */
  apiKeys?: Record<string, string>;
  /** Emulated seconds per real second: 0.1 runs ten times faster than real time. Default 1. */
  timeScale?: number;
  /** The real time (ms, monotonic) emulated time is scaled from (default performance.now); a test
   * sharing its process with the emulator may pass one that stops while the process stalls. */
  realNow?: () => number;
  numbers?: EmulatedNumber[];
  /** Emulated callees of outbound calls, by number. Unknown numbers use defaultCallee. */
  callees?: Record<string, PartySpec>;
  defaultCallee?: PartySpec;
  /** X-Twilio-Signature on the Media Stream WebSocket handshake. Default 'sign'. */
  streamSignature?: HandshakeSignature;
  faults?: StreamFaults;
  /** What <Say> sounds like in recordings: a 440 Hz tone (default) or silence. */
  sayAudio?: 'tone' | 'silence';
  /** Keeps what each party heard and said for recording() (default true). Off for load runs,
   * where hundreds of calls would hold every frame in memory. */
  recordAudio?: boolean;
  /** Logs a `stream.received` event for every media message (default true). Off for load runs;
   * marks, clears and everything else are still logged. */
  logMediaFrames?: boolean;
  /** Masking keys of the stream's WebSocket frames: random (default, as a WebSocket client must
   * choose them) or all zero, which spares a load run copying and masking every payload. */
  streamMaskKey?: MaskKey;
  /** TwiML Applications of the account (more can be created through the REST API). */
  applications?: EmulatedApplication[];
  /** Agent Conference enabled on the account (default true); without it coaching fails with 16000. */
  agentConference?: boolean;
  /** How much louder (dB) a coach hears the participant it coaches than the rest of the conference
   * (default 0: the plain mix; Twilio does not document it). */
  coachedPartyGainDb?: number;
  /** How custom parameters on an `app:AP...?k=v` participant reach the app's Voice URL (default 'params'). */
  appParameters?: AppParameterDelivery;
  fetch?: FetchLike;
  sids?: SidFactory;
}

/** Participants added through the REST API refused as Twilio refuses them when overloaded. */
export interface ParticipantRefusal {
  /** Targets refused: `app:` for every TwiML App participant, a number for that number. */
  toPrefix: string;
  /** 429 (error 20429 Too Many Requests) or 503 (error 20503 Service Unavailable). */
  status: 429 | 503;
}

const OVERLOAD_ERRORS = { 429: { code: 20429, message: 'Too Many Requests' }, 503: { code: 20503, message: 'Service Unavailable' } } as const;

export interface DialOptions {
  from: string;
  to: string;
  party?: PartySpec;
}

/** A person who dials into a conference by its name. */
export interface JoinConferenceOptions {
  name: string;
  from: string;
  party?: PartySpec;
  label?: string;
  muted?: boolean;
  beep?: 'true' | 'false' | 'onEnter' | 'onExit';
  startConferenceOnEnter?: boolean;
  endConferenceOnExit?: boolean;
}

export interface CallSnapshot {
  sid: string;
  from: string;
  to: string;
  direction: string;
  status: CallStatus;
  /** When the call was created (ISO 8601, ms): by the REST API, or a dial of the control API. */
  dateCreated: string;
  durationSec?: number;
  streams: StreamStats[];
}

export interface ParticipantSnapshot {
  callSid: string;
  label?: string;
  status: ParticipantStatus;
  muted: boolean;
  hold: boolean;
  coaching: boolean;
  callSidToCoach?: string;
}

export interface ConferenceSnapshot {
  sid: string;
  friendlyName: string;
  status: Conference['status'];
  participants: ParticipantSnapshot[];
}

export interface TwilioEmulator {
  /** Base URL of the REST API, e.g. http://127.0.0.1:4010 (replaces https://api.twilio.com). */
  readonly url: string;
  readonly port: number;
  readonly accountSid: string;
  readonly authToken: string;
  /** Places an inbound call: "number `to` is dialled from `from`", running its Voice URL. */
  dial(opts: DialOptions): Promise<string>;
  setCallee(number: string, party: PartySpec): void;
  addNumber(n: EmulatedNumber): PhoneNumberRecord;
  addApplication(a: EmulatedApplication): ApplicationRecord;
  applications(): ApplicationRecord[];
  /** A conference by SID, or by friendly name while it is live. */
  conference(sidOrName: string): ConferenceSnapshot | undefined;
  conferences(): ConferenceSnapshot[];
  /** A person joins conference `name` (created if needed) as if dialling in; returns their call SID. */
  joinConference(opts: JoinConferenceOptions): string;
  /** The party of a live call says more: `inSec` from now, or after the other party has spoken. */
  say(callSid: string, audio: Int16Array | string, when?: { inSec?: number; afterSpeech?: boolean }): void;
  pressDigits(callSid: string, digits: string): void;
  hangup(callSid: string): void;
  /** From now on stream handshakes to URLs containing `urlContains` fail (the next `count`, or all). */
  refuseStreams(rule: StreamRefusal): void;
  /**
   * From now on Participants create requests whose `To` starts with `toPrefix` are refused as an
   * overloaded Twilio refuses them (429 or 503), until `refuseParticipants(undefined)`.
   */
  refuseParticipants(rule: ParticipantRefusal | undefined): void;
  call(callSid: string): CallSnapshot | undefined;
  calls(): CallSnapshot[];
  recording(callSid: string): CallRecording;
  events(): EmulatorEvent[];
  onEvent(listener: (e: EmulatorEvent) => void): () => void;
  waitFor(pred: (e: EmulatorEvent) => boolean, timeoutMs?: number): Promise<EmulatorEvent>;
  waitForStatus(callSid: string, status: CallStatus, timeoutMs?: number): Promise<EmulatorEvent>;
  close(): Promise<void>;
}

const UPDATE_ACTIONS = {
  'participant-mute': 'mute',
  'participant-unmute': 'unmute',
  'participant-hold': 'hold',
  'participant-unhold': 'unhold',
  'participant-modify': 'modify',
} as const;

export const DEFAULT_ACCOUNT_SID = 'AC' + '0'.repeat(31) + '1';
export const DEFAULT_AUTH_TOKEN = 'emulator-auth-token';

export async function startTwilioEmulator(opts: TwilioEmulatorOptions = {}): Promise<TwilioEmulator> {
  const accountSid = opts.accountSid ?? DEFAULT_ACCOUNT_SID;
  const authToken = opts.authToken ?? DEFAULT_AUTH_TOKEN;
  const sids = opts.sids ?? randomSid;
  const clock = createScaledClock(opts.timeScale ?? 1, opts.realNow);
  const epoch = Date.now();
  const wallNow = () => new Date(epoch + clock.now());
  const log = new EventLog(() => clock.now());
  const webhooks = new WebhookSender(() => authToken, opts.fetch ?? (fetch));
  const ticker = createFrameTicker(clock);
  const callbacks = new ConferenceCallbackSender(accountSid, webhooks, log, wallNow);
  const onConferenceEvent = (conf: Conference, e: ConferenceEvent): void => {
    const where = { name: conf.friendlyName, conferenceSid: conf.sid };
    if (e.type === 'participant-join' || e.type === 'participant-leave')
      log.add({ type: 'conference', ...where, callSid: e.participant.callSid, action: e.type === 'participant-join' ? 'join' : 'leave' });
    else if (e.type === 'conference-end') log.add({ type: 'conference', ...where, callSid: e.callSid, action: 'end' });
    else if (e.type === 'conference-start') log.add({ type: 'conference.update', ...where, callSid: e.callSid, action: 'start' });
    else if (e.type === 'announcement-end' || e.type === 'announcement-fail') log.add({ type: 'conference.update', ...where, callSid: e.participant.callSid, action: e.type });
    else if (e.type === 'participant-speech-start' || e.type === 'participant-speech-stop')
      log.add({ type: 'conference.speech', ...where, callSid: e.participant.callSid, speaking: e.type === 'participant-speech-start' });
    else log.add({ type: 'conference.update', ...where, callSid: e.participant.callSid, action: UPDATE_ACTIONS[e.type] });
    callbacks.onEvent(conf, e);
  };
  const conferences = new ConferenceHub({
    newSid: () => sids('CF'),
    now: wallNow,
    onEvent: onConferenceEvent,
    coachedGain: dbToGain(opts.coachedPartyGainDb ?? 0),
  });
  const applications = new Map<string, ApplicationRecord>();
  const agentConference = opts.agentConference ?? true;
  /** Participants create requests refused as an overloaded Twilio refuses them (see refuseParticipants). */
  let participantRefusal: ParticipantRefusal | undefined;
  const calls = new Map<string, EmulatedCall>();
  const numbers: PhoneNumberRecord[] = [];
  const callees = new Map(Object.entries(opts.callees ?? {}));

  // All live calls tick together: every microphone first, then every loudspeaker.
  const live = new Set<CallMedia>();
  let unsubscribe: (() => void) | undefined;
  const onFrame = (): void => {
    const list = [...live];
    for (const m of list) m.captureMic();
    for (const m of list) m.playFrame();
  };

  const env: CallEnv = {
    clock,
    log,
    webhooks,
    conferences,
    authToken: () => authToken,
    sid: sids,
    wallNow,
    handshakeSignature: opts.streamSignature ?? 'sign',
    faults: opts.faults,
    refusals: new StreamRefusals(opts.faults?.refuseStreams),
    sayAudio: opts.sayAudio ?? 'tone',
    recordAudio: opts.recordAudio ?? true,
    logMediaFrames: opts.logMediaFrames ?? true,
    maskKey: opts.streamMaskKey ?? 'random',
    agentConference,
    appParameters: opts.appParameters ?? 'params',
    attachMedia(media) {
      live.add(media);
      unsubscribe ??= ticker.subscribe(onFrame);
      return () => {
        live.delete(media);
        if (live.size === 0) {
          unsubscribe?.();
          unsubscribe = undefined;
        }
      };
    },
  };

  const newRecord = (p: Partial<CallRecord> & Pick<CallRecord, 'from' | 'to' | 'direction'>): CallRecord => ({
    sid: sids('CA'),
    accountSid,
    status: 'queued',
    dateCreated: wallNow(),
    dateUpdated: wallNow(),
    method: 'POST',
    statusCallbackMethod: 'POST',
    statusCallbackEvents: new Set(),
    timeoutSec: 60,
    callbackSequence: 0,
    ...p,
  });

  const addNumber = (n: EmulatedNumber): PhoneNumberRecord => {
    const rec: PhoneNumberRecord = {
      sid: sids('PN'),
      accountSid,
      phoneNumber: n.phoneNumber,
      friendlyName: n.friendlyName ?? n.phoneNumber,
      voiceUrl: n.voiceUrl ?? '',
      voiceMethod: (n.voiceMethod ?? 'POST').toUpperCase(),
      statusCallback: n.statusCallback ?? '',
      statusCallbackMethod: 'POST',
      dateCreated: wallNow(),
      dateUpdated: wallNow(),
    };
    numbers.push(rec);
    return rec;
  };
  for (const n of opts.numbers ?? []) addNumber(n);

  const addApplication = (a: EmulatedApplication): ApplicationRecord => {
    const rec: ApplicationRecord = {
      sid: a.sid ?? sids('AP'),
      accountSid,
      friendlyName: a.friendlyName ?? '',
      voiceUrl: a.voiceUrl,
      voiceMethod: (a.voiceMethod ?? 'POST').toUpperCase(),
      voiceFallbackUrl: '',
      voiceFallbackMethod: 'POST',
      statusCallback: '',
      statusCallbackMethod: 'POST',
      dateCreated: wallNow(),
      dateUpdated: wallNow(),
    };
    applications.set(rec.sid, rec);
    return rec;
  };
  for (const a of opts.applications ?? []) addApplication(a);

  /** A participant created through the REST API: its call rings, then joins the conference. */
  const addParticipant = (conference: Conference, p: NewParticipant) => {
    const record = newRecord({
      from: p.from,
      to: p.to,
      direction: 'outbound-api',
      statusCallback: p.statusCallback,
      statusCallbackMethod: p.statusCallbackMethod,
      statusCallbackEvents: new Set(p.statusCallbackEvents),
      timeoutSec: p.timeoutSec,
    });
    conference.useStatusCallback(p.conferenceStatusCallback);
    const participant = conference.add(record.sid, p.settings, wallNow());
    const leg: ParticipantLeg = { conference, app: p.app };
    // A TwiML App leg is answered by Twilio itself, at once.
    const party = p.app ? { scenario: { kind: 'answer' as const, afterSec: 0.1 } } : (callees.get(p.to) ?? opts.defaultCallee ?? {});
    const call = new EmulatedCall(record, party, env, leg);
    calls.set(record.sid, call);
    log.add({ type: 'call.status', callSid: record.sid, status: 'queued' });
    call.dialOut();
    return participant;
  };

  /**
   * A participant's AnnounceUrl: its TwiML is fetched (a signed webhook, AccountSid, ConferenceSid
   * and CallSid), and its <Say> (and <Pause>) played to that participant alone, over what they
   * hear; then `announcement-end` (`announcement-fail` when it could not be fetched or played).
   */
  const announce = (conference: Conference, participant: Participant, url: string, method: string): void => {
    const callSid = participant.callSid;
    const params = { AccountSid: accountSid, ConferenceSid: conference.sid, CallSid: callSid };
    const run = async (): Promise<void> => {
      const doc = await fetchTwimlOrLog(env, { kind: 'announce', callSid, url, method, params }, 'announcement: ');
      if (!doc) return conference.announced(callSid, false);
      const audio: Int16Array[] = [];
      const play = (sec: number, tone: boolean): void => {
        const n = frames(sec);
        for (let i = 0; i < n; i++) audio.push(tone && env.sayAudio === 'tone' ? toneFrame(440, 3000, (audio.length % 400) * FRAME_SAMPLES) : silentFrame());
      };
      for (const v of doc.verbs) {
        if (v.verb === 'Say') {
          log.add({ type: 'twiml', callSid, verb: 'Say', detail: { text: v.text, loop: v.loop, voice: v.voice, language: v.language, in: 'announcement' } });
          play(sayDurationSec(v.text, v.loop), true);
        } else if (v.verb === 'Pause') {
          log.add({ type: 'twiml', callSid, verb: 'Pause', detail: { length: v.lengthSec, in: 'announcement' } });
          play(v.lengthSec, false);
        } else log.add({ type: 'twiml', callSid, verb: v.verb === 'unsupported' ? v.name : v.verb, detail: { unsupported: true, in: 'announcement' } });
      }
      // It ends once it has lasted its length and the participant has heard its last frame (a
      // listener's frames can run behind the clock, or catch up in a burst after a stall).
      let waitingFor = 2;
      const ended = (): void => {
        if (--waitingFor === 0) conference.announced(callSid, true);
      };
      if (!conference.announceTo(callSid, audio, ended)) return conference.announced(callSid, false);
      clock.after(audio.length * FRAME_MS, ended);
    };
    void run();
  };

  const placeCall = (p: PlaceCallParams): EmulatedCall => {
    const record = newRecord({
      from: p.from,
      to: p.to,
      direction: 'outbound-api',
      url: p.url,
      method: p.method,
      twiml: p.twiml,
      statusCallback: p.statusCallback,
      statusCallbackMethod: p.statusCallbackMethod,
      statusCallbackEvents: new Set(p.statusCallbackEvents),
      timeoutSec: p.timeoutSec,
    });
    const call = new EmulatedCall(record, callees.get(p.to) ?? opts.defaultCallee ?? {}, env);
    calls.set(record.sid, call);
    log.add({ type: 'call.status', callSid: record.sid, status: 'queued' });
    call.dialOut();
    return call;
  };

  const app = express();
  app.disable('x-powered-by');
  const accountPath = '/2010-04-01/Accounts/:AccountSid';
  const credentials = basicAuth({ accountSid, authToken: () => authToken, apiKeys: new Map(Object.entries(opts.apiKeys ?? {})) });
  app.use(accountPath, credentials);
  app.use(accountPath, express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(
    accountPath,
    callsRouter({ placeCall, findCall: (sid) => calls.get(sid), listCalls: () => [...calls.values()] }),
  );
  app.use(accountPath, numbersRouter({ numbers: () => numbers, now: wallNow }));
  app.use(accountPath, applicationsRouter({ applications, newSid: () => sids('AP'), now: wallNow, accountSid }));
  app.use(
    accountPath,
    conferencesRouter({
      accountSid,
      hub: conferences,
      now: wallNow,
      agentConference,
      findApplication: (sid) => applications.get(sid),
      addParticipant,
      announce,
      refusal: (to) => (participantRefusal && to.startsWith(participantRefusal.toPrefix) ? { status: participantRefusal.status, ...OVERLOAD_ERRORS[participantRefusal.status] } : undefined),
    }),
  );
  app.use(
    '/emulator',
    credentials,
    controlRouter({
      dial: (o) => emulator.dial(o),
      joinConference: (o) => emulator.joinConference(o),
      say: (sid, audio, when) => emulator.say(sid, audio, when),
      pressDigits: (sid, d) => emulator.pressDigits(sid, d),
      hangup: (sid) => emulator.hangup(sid),
      call: (sid) => emulator.call(sid),
      calls: () => emulator.calls(),
      recording: (sid) => emulator.recording(sid),
      conferences: () => emulator.conferences(),
      setCallee: (n, p) => emulator.setCallee(n, p),
      recordsAudio: env.recordAudio,
    }),
  );
  app.use((req, res) => sendTwilioError(res, 404, 20404, `The requested resource ${req.path} was not found`));

  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1';

  const mustFind = (sid: string): EmulatedCall => {
    const c = calls.get(sid);
    if (!c) throw new Error(`no such call ${sid}`);
    return c;
  };
  const conferenceSnapshot = (c: Conference): ConferenceSnapshot => ({
    sid: c.sid,
    friendlyName: c.friendlyName,
    status: c.status,
    participants: c.participants().map((p) => ({
      callSid: p.callSid,
      label: p.label,
      status: p.status,
      muted: p.muted,
      hold: p.hold,
      coaching: p.coaching,
      callSidToCoach: p.callSidToCoach,
    })),
  });
  const snapshot = (c: EmulatedCall): CallSnapshot => ({
    sid: c.record.sid,
    from: c.record.from,
    to: c.record.to,
    direction: c.record.direction,
    status: c.record.status,
    dateCreated: c.record.dateCreated.toISOString(),
    durationSec: c.record.durationSec,
    streams: c.streams,
  });

  const emulator: TwilioEmulator = {
    url: `http://${host}:${port}`,
    port,
    accountSid,
    authToken,
    async dial({ from, to, party }) {
      const number = numbers.find((n) => n.phoneNumber === to);
      if (!number) throw new Error(`${to} is not a number of this account`);
      if (!number.voiceUrl) throw new Error(`${to} has no Voice URL`);
      const record = newRecord({
        from,
        to,
        direction: 'inbound',
        phoneNumberSid: number.sid,
        statusCallback: number.statusCallback || undefined,
        statusCallbackMethod: number.statusCallbackMethod,
        url: number.voiceUrl,
        method: number.voiceMethod,
      });
      const call = new EmulatedCall(record, party ?? {}, env);
      calls.set(record.sid, call);
      void call.ringIn(number.voiceUrl, number.voiceMethod);
      return Promise.resolve(record.sid);
    },
    joinConference(j) {
      const attrs = [
        j.label !== undefined ? `participantLabel="${escapeXml(j.label)}"` : '',
        j.muted !== undefined ? `muted="${j.muted}"` : '',
        j.beep !== undefined ? `beep="${j.beep}"` : '',
        j.startConferenceOnEnter !== undefined ? `startConferenceOnEnter="${j.startConferenceOnEnter}"` : '',
        j.endConferenceOnExit !== undefined ? `endConferenceOnExit="${j.endConferenceOnExit}"` : '',
      ].filter(Boolean);
      const twiml = `<Response><Dial><Conference ${attrs.join(' ')}>${escapeXml(j.name)}</Conference></Dial></Response>`;
      const record = newRecord({ from: j.from, to: `conference:${j.name}`, direction: 'inbound', twiml });
      const call = new EmulatedCall(record, j.party ?? {}, env);
      calls.set(record.sid, call);
      call.connectInline();
      return record.sid;
    },
    say: (sid, audio, when) => mustFind(sid).say(audio, when),
    setCallee: (number, party) => void callees.set(number, party),
    addNumber,
    addApplication,
    applications: () => [...applications.values()],
    conference: (sidOrName) => {
      const c = conferences.find(sidOrName);
      return c ? conferenceSnapshot(c) : undefined;
    },
    conferences: () => conferences.list().map(conferenceSnapshot),
    pressDigits: (sid, digits) => mustFind(sid).pressDigits(digits),
    hangup: (sid) => mustFind(sid).end('completed'),
    refuseStreams: (rule) => env.refusals.add(rule),
    refuseParticipants: (rule) => {
      participantRefusal = rule;
    },
    call: (sid) => {
      const c = calls.get(sid);
      return c ? snapshot(c) : undefined;
    },
    calls: () => [...calls.values()].map(snapshot),
    recording: (sid) => mustFind(sid).recorder.snapshot(),
    events: () => log.all(),
    onEvent: (l) => log.on(l),
    waitFor: (pred, timeoutMs) => log.waitFor(pred, timeoutMs),
    waitForStatus: (sid, status, timeoutMs) =>
      log.waitFor((e) => e.type === 'call.status' && e.callSid === sid && e.status === status, timeoutMs),
    async close() {
      for (const c of calls.values()) c.end('completed');
      await Promise.allSettled([...calls.values()].map((c) => c.settle()));
      await callbacks.settle();
      webhooks.close();
      ticker.dispose();
      clock.dispose();
      log.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return emulator;
}
