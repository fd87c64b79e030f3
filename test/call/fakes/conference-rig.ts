import { encodeMulaw } from '../../../src/audio';
import { ConferenceCall, type ConferencePartyInit } from '../../../src/call/conference-call';
import { CallEventBus, type CallEvent } from '../../../src/call/events';
import type { InterpretationMode } from '../../../src/call/interpretation-plan';
import type { AddInterpreterRequest, CallMetrics, CallOwnership, ConferenceEvent, ConferenceInfo, ConferenceTelephony, Telephony } from '../../../src/call/ports';
import { measureCalls } from '../../../src/call/subscribers/metrics';
import { recordCalls } from '../../../src/call/subscribers/records';
import { InMemoryCallRecordStore } from '../../../src/store/in-memory-call-record-store';
import { FakeMediaLeg } from './fake-media-leg';
import { FakeTranslatorFactory } from './fake-translator';
import { flush, noPrompts as prompts, quietMetrics as metrics, silentLogger } from './rig-fixtures';
import { sessionHearing } from './session-hearing';
import { SimulatedClock } from './simulated-clock';

/** Refuses every interpreter leg, or those the function answers an error for. */
export type InterpreterRefusal = Error | ((req: AddInterpreterRequest) => Error | undefined);

/** A telephony that places every interpreter leg asked for (or refuses it with `interpreterRefusal`) and reports nothing by itself. */
class FakeConferences implements ConferenceTelephony {
  readonly interpreters: AddInterpreterRequest[] = [];
  interpreterRefusal: InterpreterRefusal | undefined;
  addParty(): Promise<string> {
    return Promise.reject(new Error('no parties are dialled in this rig'));
  }
  addInterpreter(req: AddInterpreterRequest): Promise<string> {
    const refusal = typeof this.interpreterRefusal === 'function' ? this.interpreterRefusal(req) : this.interpreterRefusal;
    if (refusal) return Promise.reject(refusal);
    this.interpreters.push(req);
    return Promise.resolve(`CA-interpreter-${req.endpoint}`);
  }
  /** The members the phone network lists when asked (none: the conference has ended). */
  members: string[] | undefined;
  /** Asking the phone network about the conference fails (the REST API answers an error). */
  findFails = false;
  find(): Promise<ConferenceInfo | undefined> {
    if (this.findFails) return Promise.reject(new Error('Twilio answered 500'));
    return Promise.resolve(this.members ? { ref: 'CF1', name: 'CF1', members: this.members.map((legRef) => ({ legRef, whispering: false })) } : undefined);
  }
  /** The legs tolk took out of the conference, in order. */
  readonly removed: string[] = [];
  removeLeg(_conference: string, legRef: string): Promise<void> {
    this.removed.push(legRef);
    return Promise.resolve();
  }
  /** The conferences tolk ended, in order. */
  readonly ended: string[] = [];
  end(conference: string): Promise<void> {
    this.ended.push(conference);
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

const telephony: Telephony = {
  dial: () => Promise.reject(new Error('no dialling in this rig')),
  hangUp: () => Promise.resolve(),
  sayAndHangUp: () => Promise.resolve(),
  lookUp: () => Promise.resolve(undefined),
};

/**
 * A conference tolk joined (as by the admin API), with fakes for the telephony and the translation
 * sessions, its events recorded into an in-memory call record as in production. `nowMs` is the
 * call's clock; the test moves it and says who joins, leaves and what the sessions hear.
 */
export async function conferenceRig(opts: { members: string[]; parties: ConferencePartyInit[]; mode?: InterpretationMode; interpreterRefusal?: InterpreterRefusal; metrics?: CallMetrics; ownership?: CallOwnership }) {
  const logger = silentLogger();
  const events = new CallEventBus(logger);
  const records = new InMemoryCallRecordStore();
  const stopRecording = recordCalls(events, records);
  const stopMeasuring = opts.metrics ? measureCalls(events, opts.metrics) : () => undefined;
  /** Every event published, from the call's creation on. */
  const seen: CallEvent[] = [];
  events.subscribe((e) => void seen.push(e));
  const translators = new FakeTranslatorFactory();
  const conferences = new FakeConferences();
  conferences.interpreterRefusal = opts.interpreterRefusal;
  const time = { nowMs: 1_000_000 };
  const clock = new SimulatedClock();
  const id = 'conf-call';
  await records.create({
    id,
    kind: 'conference',
    conference: 'CF1',
    number: '',
    from: '',
    destination: '',
    languages: { caller: '', agent: '' },
    legs: [],
    state: 'answered',
    startedAt: new Date(time.nowMs),
  });
  const call = new ConferenceCall(
    { clock, translators, telephony, prompts, metrics, events, logger, conferences, now: () => time.nowMs, ...(opts.ownership ? { ownership: opts.ownership } : {}) },
    { id, conference: 'CF1', requestedMode: opts.mode ?? 'whisper', callerId: '+15550001111', parties: opts.parties, maxLanguages: 4 },
  );
  const ended = new Promise<void>((resolve) => call.onEnded(() => resolve()));
  /** The latest leg connected for each interpreter endpoint. */
  const media = new Map<string, FakeMediaLeg>();
  const connected = new Set<AddInterpreterRequest>();
  const { noteSessions, hears } = sessionHearing(translators, () => call.elapsedMs);
  let onEvent: ((e: ConferenceEvent) => void) | undefined;

  /** Connects the media of every interpreter leg placed (once each) and not yet connected. */
  const connectLegs = async (): Promise<void> => {
    await flush();
    for (const req of conferences.interpreters) {
      if (connected.has(req)) continue;
      connected.add(req);
      const leg = new FakeMediaLeg(`CA-interpreter-${req.endpoint}`, req.endpoint);
      media.set(req.endpoint, leg);
      call.attachMedia(leg);
    }
    await flush();
    noteSessions();
  };

  call.start(
    opts.members.map((legRef) => ({ legRef, whispering: false })),
    (listener) => {
      onEvent = listener;
      return () => undefined;
    },
  );
  await connectLegs();

  return {
    call,
    conferences,
    translators,
    /** The call's frame clock: nothing ticks it but the test (`clock.advanceTo`). */
    clock,
    /** The latest leg connected for each interpreter endpoint. */
    legs(): FakeMediaLeg[] {
      return [...media.values()];
    },
    /** The call's event stream. */
    events,
    seen,
    /** Every interpreter leg connected hears the room say `pcm` (8 kHz), 20 ms at a time. */
    roomSays(pcm: Int16Array): void {
      for (let i = 0; i < pcm.length; i += 160) {
        const frame = encodeMulaw(pcm.subarray(i, i + 160));
        for (const leg of media.values()) if (!leg.closed) leg.say(frame);
      }
    },
    /** Moves the call's clock on by `ms`. */
    advance(ms: number): void {
      noteSessions();
      time.nowMs += ms;
    },
    /** Ms since the call started. */
    get elapsedMs(): number {
      return call.elapsedMs;
    },
    async joined(legRef: string): Promise<void> {
      onEvent?.({ type: 'joined', conferenceRef: 'CF1', legRef, whispering: false });
      await connectLegs();
    },
    /**
     * The conference reports `legRef` starting (`speaking`) or stopping to speak, in report
     * `sequence`, handed over now, `sinceArrivalMs` after it reached tolk.
     */
    speaks(legRef: string, speaking: boolean, report: { sequence?: number; sinceArrivalMs?: number } = {}): void {
      onEvent?.({ type: 'speech', conferenceRef: 'CF1', legRef, speaking, ...report });
    },
    async left(legRef: string): Promise<void> {
      onEvent?.({ type: 'left', conferenceRef: 'CF1', legRef });
      await flush();
      noteSessions();
    },
    /**
     * The session translating into `target` hears an utterance in `heard` over the last `ms` of
     * the call: it reports the language, then the final utterance (times on its input clock).
     */
    hears,
    /** The conference ended (as its watcher reports it). */
    async ended(): Promise<void> {
      onEvent?.({ type: 'ended', conferenceRef: 'CF1' });
      await flush();
    },
    /** Every interpreter leg's media ends (the legs were hung up). */
    async legsHungUp(): Promise<void> {
      for (const leg of media.values()) leg.close();
      await flush();
      await flush();
    },
    /** The call's record, once every event so far is written. */
    async record() {
      await events.settle(id);
      return (await records.get(id))!;
    },
    /** The call's record, once the call has ended and its end is written. */
    async whenEnded() {
      await ended;
      return (await records.get(id))!;
    },
    /** The call's transcript as its record keeps it: each line's words and the leg named as its speaker. */
    async transcript(): Promise<{ text: string; speaker: string | undefined }[]> {
      await events.settle(id);
      const r = await records.get(id);
      return (r?.transcript ?? []).map((u) => ({ text: u.source.text, speaker: u.speaker?.callSid }));
    },
    async close(): Promise<void> {
      await call.leave();
      stopRecording();
      stopMeasuring();
    },
  };
}
