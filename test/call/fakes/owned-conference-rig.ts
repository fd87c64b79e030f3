import { CallService } from '../../../src/call/call-service';
import { CallEventBus, type CallEvent } from '../../../src/call/events';
import { ManualFrameClock } from '../../../src/call/frame-clock';
import type { AddInterpreterRequest, AddPartyRequest, ConferenceEvent, ConferenceInfo, ConferenceTelephony, LegReport, LegStatus, Telephony } from '../../../src/call/ports';
import { recordCalls } from '../../../src/call/subscribers/records';
import { StaticNumberDirectory, type NumberSettings } from '../../../src/config/numbers';
import { InMemoryCallRecordStore } from '../../../src/store/in-memory-call-record-store';
import { FakeMediaLeg } from './fake-media-leg';
import { NUMBER as TWO_PARTY_NUMBER } from './fake-telephony';
import { FakeTranslatorFactory } from './fake-translator';
import { flush, noPrompts as prompts, quietMetrics as metrics, silentLogger } from './rig-fixtures';
import { sessionHearing } from './session-hearing';

export const CALLER = 'CA' + '1'.repeat(32);
export const AGENT = 'CA' + '2'.repeat(32);
export const CONFERENCE_SID = 'CF' + '9'.repeat(32);
export const NUMBER: NumberSettings = { ...TWO_PARTY_NUMBER, mode: 'conference', interpretation: 'whisper' };

/**
 * The conferences tolk creates: the agent dialled answers as AGENT (or the dialling fails); every
 * interpreter leg asked for is placed (or refused with `interpreterRefusal`). It reports nothing by
 * itself: the test says what happens.
 */
class OwnedConferences implements ConferenceTelephony {
  readonly interpreters: { req: AddInterpreterRequest; legRef: string }[] = [];
  readonly steps: string[] = [];
  dialFails = false;
  /** Placing an interpreter leg is refused with this (e.g. Twilio 21218: the TwiML App does not exist). */
  interpreterRefusal: Error | undefined;
  /** Interpreter legs refused so far. */
  refused = 0;
  addParty(req: AddPartyRequest): Promise<string> {
    this.steps.push(`dial ${req.destination}`);
    return this.dialFails ? Promise.reject(new Error('21211 invalid number')) : Promise.resolve(AGENT);
  }
  addInterpreter(req: AddInterpreterRequest): Promise<string> {
    if (this.interpreterRefusal) {
      this.refused++;
      return Promise.reject(this.interpreterRefusal);
    }
    const legRef = `CA-interpreter-${req.endpoint}`;
    this.interpreters.push({ req, legRef });
    return Promise.resolve(legRef);
  }
  /** What looking the conference up finds (undefined: no conference in progress). */
  listed: ConferenceInfo | undefined;
  /** Times the conference was looked up. */
  lookedUp = 0;
  find(): Promise<ConferenceInfo | undefined> {
    this.lookedUp++;
    return Promise.resolve(this.listed);
  }
  removeLeg(_conference: string, legRef: string): Promise<void> {
    this.steps.push(`remove ${legRef}`);
    return Promise.resolve();
  }
  end(): Promise<void> {
    this.steps.push('end the conference');
    return Promise.resolve();
  }
  watch(): () => void {
    return () => undefined;
  }
  /** What each member was told, in order. */
  readonly announced: { legRef: string; text: string; locale: string }[] = [];
  announce(_conference: string, legRef: string, text: string, locale: string): Promise<void> {
    this.announced.push({ legRef, text, locale });
    return Promise.resolve();
  }
}

/** The phone network: where each leg is when tolk asks (answered unless the test says otherwise). */
class Network implements Telephony {
  readonly steps: string[] = [];
  readonly legs = new Map<string, LegStatus>();
  /** The network never answers a look-up. */
  silent = false;
  /** Looking a leg up fails (the REST API answers an error). */
  failing = false;
  dial(): Promise<string> {
    return Promise.reject(new Error('a conference dials through the Participants API'));
  }
  hangUp(legRef: string): Promise<void> {
    this.steps.push(`hang up ${legRef}`);
    return Promise.resolve();
  }
  sayAndHangUp(legRef: string, text: string): Promise<void> {
    this.steps.push(`tell ${legRef}: ${text}`);
    return Promise.resolve();
  }
  lookUp(legRef: string): Promise<LegReport | undefined> {
    if (this.silent) return new Promise(() => undefined);
    if (this.failing) return Promise.reject(new Error('Twilio answered 500'));
    return Promise.resolve({ status: this.legs.get(legRef) ?? { state: 'answered' } });
  }
}

/**
 * A caller on a number in conference mode, as the call service serves them: tolk puts them in a
 * conference of its own, dials the agent into it, and interprets it with whispering legs; its
 * events are recorded into an in-memory call record as in production. The test moves the call's
 * clock and says who joins, speaks, leaves, and what the translation sessions hear.
 */
export async function ownedConference(
  opts: { agentAnswers?: boolean; dialFails?: boolean; interpreterRefusal?: Error; stepTimeoutMs?: number; ringTimeoutSec?: number; maxCalls?: number; listed?: ConferenceInfo } = {},
) {
  const logger = silentLogger();
  const events = new CallEventBus(logger);
  const records = new InMemoryCallRecordStore();
  const stopRecording = recordCalls(events, records);
  /** Every event published, from the call's creation on. */
  const seen: CallEvent[] = [];
  events.subscribe((e) => void seen.push(e));
  const translators = new FakeTranslatorFactory();
  const conferences = new OwnedConferences();
  conferences.dialFails = opts.dialFails ?? false;
  conferences.interpreterRefusal = opts.interpreterRefusal;
  // What looking the conference up finds from the start, before tolk can first look.
  conferences.listed = opts.listed;
  const network = new Network();
  const clock = new ManualFrameClock();
  const time = { nowMs: 1_000_000 };
  const service = new CallService({
    events,
    clock,
    telephony: network,
    translators,
    records,
    prompts,
    metrics,
    logger,
    numbers: new StaticNumberDirectory([NUMBER]),
    conferences,
    now: () => time.nowMs,
    ...(opts.stepTimeoutMs !== undefined ? { stepTimeoutMs: opts.stepTimeoutMs } : {}),
    ...(opts.ringTimeoutSec !== undefined ? { ringTimeoutSec: opts.ringTimeoutSec } : {}),
    ...(opts.maxCalls !== undefined ? { maxCalls: opts.maxCalls } : {}),
  });
  const answer = await service.incoming({ legRef: CALLER, from: '+34600000000', to: NUMBER.number });
  if (answer.type !== 'conference') throw new Error(`not put in a conference: ${answer.type}`);
  const callId = answer.callId;
  const call = service.conferenceCall(callId)!;
  const ended = new Promise<void>((resolve) => call.onEnded(() => resolve()));
  const media = new Map<string, FakeMediaLeg>();
  const connected = new Set<string>();
  const sessions = sessionHearing(translators, () => call.elapsedMs);
  const { noteSessions } = sessions;
  let sequence = 0;

  /** Connects the media of every interpreter leg placed and not yet connected. */
  const connectLegs = async (): Promise<void> => {
    await flush();
    for (const { req, legRef } of conferences.interpreters) {
      if (connected.has(legRef)) continue;
      connected.add(legRef);
      service.interpreterAnswered(callId, legRef, req.endpoint);
      const leg = new FakeMediaLeg(legRef, req.endpoint);
      media.set(req.endpoint, leg);
      service.attach(leg);
    }
    await flush();
    noteSessions();
  };
  const report = async (e: ConferenceEvent): Promise<void> => {
    service.conferenceEvent(callId, e);
    await flush();
    await connectLegs();
  };

  const rig = {
    service,
    /** The call's event stream. */
    events,
    seen,
    /** The call records, as tolk keeps them. */
    records,
    call,
    callId,
    conferences,
    network,
    translators,
    clock,
    /** The media of the interpreter leg for `endpoint` ('to-caller', 'to-agent', 'to-party-1'...). */
    leg(endpoint: string): FakeMediaLeg {
      const leg = media.get(endpoint);
      if (!leg) throw new Error(`no interpreter leg ${endpoint}`);
      return leg;
    },
    /** Moves the call's clock on by `ms`. */
    advance(ms: number): void {
      noteSessions();
      time.nowMs += ms;
    },
    /** `legRef` joins the conference. */
    joined: (legRef: string): Promise<void> => report({ type: 'joined', conferenceRef: CONFERENCE_SID, legRef, whispering: false }),
    /** `legRef` leaves it (why, where Twilio says). */
    left: (legRef: string, cause?: 'hung-up' | 'removed' | 'conference-ended'): Promise<void> =>
      report({ type: 'left', conferenceRef: CONFERENCE_SID, legRef, ...(cause ? { cause } : {}) }),
    /** The conference ended (`endedBy`: whose leaving ended it, where Twilio says). */
    ended: (endedBy?: string): Promise<void> => report({ type: 'ended', conferenceRef: CONFERENCE_SID, ...(endedBy ? { endedBy } : {}) }),
    /** Every interpreter leg's media ends (the legs were hung up). */
    async legsHungUp(): Promise<void> {
      for (const leg of media.values()) leg.close();
      await flush();
      await flush();
    },
    /** The conference reports `legRef` starting or stopping to speak. */
    speaks(legRef: string, speaking: boolean): void {
      service.conferenceEvent(callId, { type: 'speech', conferenceRef: CONFERENCE_SID, legRef, speaking, sequence: ++sequence });
    },
    /**
     * The session translating into `target` hears an utterance in `heard` over the last `ms` of
     * the call: it reports the language, then the final utterance (times on its input clock); a
     * leg placed meanwhile is connected.
     */
    async hears(target: string, heard: string, text: string, ms = 2000): Promise<void> {
      await sessions.hears(target, heard, text, ms);
      await connectLegs();
    },
    /** `legRefs` talk for 2 s (as the conference reports it), and the session into `target` finishes their line. */
    async talk(legRefs: string[], target: string, heard: string, text: string): Promise<void> {
      rig.advance(100);
      for (const l of legRefs) rig.speaks(l, true);
      rig.advance(2000);
      await rig.hears(target, heard, text, 2100);
      rig.advance(500);
      for (const l of legRefs) rig.speaks(l, false);
      rig.advance(2000);
    },
    /** The call's record, once every event so far is written. */
    async record() {
      await events.settle(callId);
      return (await records.get(callId))!;
    },
    /** The call's record, once the call has ended and its end is written. */
    async whenEnded() {
      await ended;
      return (await records.get(callId))!;
    },
    async close(): Promise<void> {
      if (call.state !== 'ended') await call.leave();
      stopRecording();
    },
  };

  // The caller reaches the conference; tolk dials the agent, who answers and joins.
  await rig.joined(CALLER);
  if (opts.agentAnswers !== false && !opts.dialFails) await rig.joined(AGENT);
  return rig;
}

export type OwnedConferenceRig = Awaited<ReturnType<typeof ownedConference>>;
