/**
 * The call core's front door: answers legs that reach it (a caller on a tolk number, the other
 * party picking up, the language menu's answer) with provider-neutral `CallAnswer`s, routes leg
 * statuses and connected media to their call, keeps the registry of live calls, and offers their
 * events to subscribers (`events`). Moves of a call to or from another instance: call-moves.ts.
 */
import { randomUUID } from 'node:crypto';
import type { NumberDirectory, NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import { CallSidTakenError } from '../store/call-record-store';
import { languageName } from '../translate/languages';
import { initialCallerLanguage, provisionalLanguage, type InitialLanguage } from './caller-language';
import { DirectCall, type CallDeps } from './direct-call';
import { ConferenceCall } from './conference-call';
import { callModeOf, interpretationOf } from '../config/numbers';
import type { CallEventSource } from './events';
import { hasMessages, message, sayLocale } from './messages';
import type { AdoptRequest, AdoptResult, CallAnswer, CallRecords, ConferenceEvent, ConferenceTelephony, LegStatus, MenuOption, ParticipantMedia, SendAdoption, SendSpeech, SpeechHandOver, SpeechTaking } from './ports';
import { adoptCall, moveCallOut } from './call-moves';
import { CUSTOMER_ENDPOINT, OutboundCall, type OutboundCallInit } from './outbound-call';
import type { OutboundPlan } from '../store/call-record';

/** A call tolk is interpreting: a direct call or a conference, each a configuration of the call graph. */
export type LiveCall = DirectCall | ConferenceCall;

/** The longest shutdown notices may play (one per language a leg reaches) before the call is ended anyway. */
export const NOTICE_LIMIT_MS = 30_000;

export interface IncomingCall {
  /** The telephony's reference of the caller's leg (Twilio: call SID). */
  legRef: string;
  /** The caller's number, when known. */
  from?: string;
  /** The tolk number they dialled. */
  to?: string;
}

export interface CallServiceDeps extends CallDeps {
  numbers: NumberDirectory;
  /** Each call's record is created here, before the call is answered (the rest follows its events). */
  records: CallRecords;
  newCallId?: () => string;
  /**
   * TOLK_MAX_CALLS: beyond this many calls at once, new callers hear that all lines are busy. A
   * call that does no audio work here holds no slot (see `ConferenceCall.holdsSlot`).
   */
  maxCalls?: number;
  /** Conference interpreting; none: numbers in conference mode are refused. */
  conferences?: ConferenceTelephony;
  /** TOLK_MAX_CONFERENCE_LANGUAGES (default 4). */
  maxConferenceLanguages?: number;
  /** The waits before a conference asks again for interpreter legs refused for now (default `LEG_RETRY_MS`). */
  legRetryMs?: readonly number[];
  /** TOLK_INSTANCE_ID: kept with each call this instance serves. */
  instance?: string;
  /** The network reported a leg ended that no live call here holds (e.g. one from before a restart). */
  onUnknownLegEnded?: (legRef: string) => void;
  /** A call tolk places was busy, unanswered or failed and asked for another attempt, due `plan.dueAt`. */
  retryOutbound?: (callId: string, plan: OutboundPlan) => Promise<void>;
}

/** A call tolk places, as it starts calling its customer. */
export interface OutboundStart {
  id: string;
  settings: NumberSettings;
  customer: string;
  plan: OutboundPlan;
  /** The caller language the call asked for (absent: the number's, or the customer's remembered one). */
  callerLanguage?: string;
}

export interface JoinConferenceRequest {
  mode?: 'whisper' | 'open';
  participants?: { callSid: string; language: string }[];
  languages?: string[];
}

export type JoinConferenceResult =
  | { ok: true; call: ConferenceCall }
  | { ok: false; status: 404 | 409 | 501; error: string };

export class CallService {
  private readonly byId = new Map<string, LiveCall>();
  private readonly byLeg = new Map<string, LiveCall>();
  /** Conference calls by the conference's name and ref. */
  private readonly byConference = new Map<string, ConferenceCall>();
  /** Calls tolk places, while it calls their customer. */
  private readonly placing = new Map<string, { call: OutboundCall; callerLanguage?: string }>();
  private readonly log: Logger;
  private draining = false;
  /** Calls being admitted (between a request and the call it makes, or its refusal). */
  private admitting = 0;
  /** Called once no call is live (a drain waiting for the last one). */
  private readonly whenIdle: (() => void)[] = [];
  /** Cuts a drain's wait short (`endNow`). */
  private stopWaiting: (() => void) | undefined;
  /** The drain timeout passed: live calls are hearing why they end. */
  private noticing = false;

  constructor(private readonly deps: CallServiceDeps) {
    this.log = deps.logger.child({ component: 'bridge' });
  }

  /** Every call's events, as they happen (see events.ts). */
  get events(): CallEventSource {
    return this.deps.events;
  }

  get activeCalls(): number {
    return this.byId.size;
  }

  /** Ids of the calls being served (those calling their customer included). */
  get liveCallIds(): string[] {
    return [...this.byId.keys(), ...this.placing.keys()];
  }

  /** Whether this instance takes new calls (it is not shutting down, nor at TOLK_MAX_CALLS). */
  get accepting(): boolean {
    return !this.draining && (this.deps.maxCalls === undefined || this.slotsHeld + this.placing.size < this.deps.maxCalls);
  }

  /**
   * The live calls holding a TOLK_MAX_CALLS slot: counted from each call's state whenever asked, so
   * a call gives its slot up by its state alone (and once: it is counted, or not).
   */
  private get slotsHeld(): number {
    let held = 0;
    for (const call of this.byId.values()) if (!(call instanceof ConferenceCall) || call.holdsSlot) held++;
    return held;
  }

  /**
   * Starts calling the customer of a call tolk places; once they answer, the call is interpreted as
   * one to the number would be. The caller makes sure it is `accepting` first. When this throws,
   * the call is not served here.
   */
  startOutbound(req: OutboundStart): OutboundCall {
    const init: OutboundCallInit = { id: req.id, settings: req.settings, customer: req.customer, plan: req.plan };
    const call = new OutboundCall(
      {
        telephony: this.deps.telephony,
        events: this.deps.events,
        logger: this.deps.logger,
        ringTimeoutSec: this.deps.ringTimeoutSec,
        stepTimeoutMs: this.deps.stepTimeoutMs,
        now: this.deps.now,
        retry: this.deps.retryOutbound ?? (() => Promise.reject(new Error('retries are not configured'))),
      },
      init,
    );
    this.placing.set(req.id, { call, ...(req.callerLanguage ? { callerLanguage: req.callerLanguage } : {}) });
    call.onDone(() => {
      if (this.placing.get(req.id)?.call === call) this.placing.delete(req.id);
      // Handed over, the call lives on as an interpreted call.
      if (call.state !== 'answered') {
        this.deps.ownership?.release(req.id);
        this.checkIdle();
      }
    });
    try {
      call.start();
    } catch (err) {
      // Not calling the customer: not served here (whoever started it ends it).
      if (this.placing.get(req.id)?.call === call) this.placing.delete(req.id);
      this.checkIdle();
      throw err;
    }
    // The customer's webhooks name the call: other instances pass them on here.
    void this.claim(req.id, {});
    return call;
  }

  /** A live direct call. */
  call(id: string): DirectCall | undefined {
    const call = this.byId.get(id);
    return call instanceof DirectCall ? call : undefined;
  }

  /** A live conference call. */
  conferenceCall(id: string): ConferenceCall | undefined {
    const call = this.byId.get(id);
    return call instanceof ConferenceCall ? call : undefined;
  }

  /** A caller reached a tolk number. */
  incoming(req: IncomingCall): Promise<CallAnswer> {
    return this.admission(() => this.answer(req));
  }

  private async answer(req: IncomingCall): Promise<CallAnswer> {
    const number = req.to ? await this.deps.numbers.lookup(req.to) : undefined;
    if (!number) {
      this.log.warn({ event: 'call.unknown_number', callSid: req.legRef, to: req.to }, 'call to an unknown number');
      this.deps.metrics.callRejected('unknown_number');
      return sayAndHangUp('unknownNumber', 'en');
    }
    const existing = this.byLeg.get(req.legRef);
    if (existing) {
      // The network retried the request: answer the same way without a second call.
      return existing instanceof DirectCall ? this.connectCaller(existing) : this.conferenceAnswer(existing, number);
    }
    if (this.deps.maxCalls !== undefined && this.slotsHeld + this.placing.size >= this.deps.maxCalls) {
      // Refused up front: a process past its capacity would fail calls at random instead. A call
      // tolk places holds its line while the customer's phone rings (their answer is taken at once).
      this.log.warn(
        { event: 'call.at_capacity', callSid: req.legRef, activeCalls: this.byId.size, slotsHeld: this.slotsHeld, callingCustomers: this.placing.size, maxCalls: this.deps.maxCalls },
        'all lines busy: call refused',
      );
      this.deps.metrics.callRejected('at_capacity');
      return sayAndHangUp('allLinesBusy', provisionalLanguage(number, initialCallerLanguage(number, {})));
    }
    if (this.draining) {
      // Shutting down (a deploy): another instance takes the caller if they call again.
      this.log.info({ event: 'call.draining_refused', callSid: req.legRef }, 'shutting down: call refused');
      this.deps.metrics.callRejected('draining');
      return sayAndHangUp('allLinesBusy', provisionalLanguage(number, initialCallerLanguage(number, {})));
    }
    const from = req.from ?? '';
    if (callModeOf(number) === 'conference') return this.incomingToConference(req.legRef, from, number);
    const remembered =
      number.rememberLanguage !== false && from && this.deps.languages
        ? await this.deps.languages.recall(number.number, from).catch(() => undefined)
        : undefined;
    if (remembered) this.rememberAfresh(number.number, from, remembered);
    const menu = number.languageMenu && number.languageMenu.length > 1 && !remembered ? number.languageMenu : undefined;
    const initial = initialCallerLanguage(number, { remembered });
    const call = await this.createCall(req.legRef, from, number, initial).catch((err: unknown) => {
      if (!(err instanceof CallSidTakenError)) throw err;
      return undefined;
    });
    if (!call) {
      // This leg already had a call (here, on another instance, or before a restart): a replayed
      // request must not place a call and dial the destination again.
      this.log.warn({ event: 'call.replayed', callSid: req.legRef }, 'voice webhook for a CallSid that already had a call: refused');
      this.deps.metrics.callRejected('replayed');
      return sayAndHangUp('unreachable', provisionalLanguage(number, initial));
    }
    if (menu) {
      this.log.info({ event: 'call.language_menu', callId: call.id, languages: menu }, 'offering the language menu');
      return { type: 'language-menu', callId: call.id, options: menuOptions(menu) };
    }
    return this.connectCaller(call);
  }

  /** The caller pressed a key in the language menu (or pressed none). */
  languageChosen(callId: string, digits: string | undefined): CallAnswer {
    const call = this.byId.get(callId);
    if (!(call instanceof DirectCall) || call.state === 'ended') return sayAndHangUp('unreachable', 'en');
    const menu = call.settings.languageMenu ?? [];
    const index = digits && /^[1-9]$/.test(digits) ? Number(digits) - 1 : -1;
    const chosen = menu[index];
    this.log.info({ event: 'call.language_chosen', callId: call.id, digits: digits ?? '', language: chosen ?? null }, chosen ? `caller chose ${chosen}` : 'no language chosen');
    // Only the menu's own answer chooses: the same request again once the call is under way does not.
    if (chosen && call.state === 'answered') call.chooseCallerLanguage(chosen);
    // The caller is there and moving on: the wait for their media starts again.
    if (call.state === 'answered') call.progressed();
    return this.connectCaller(call);
  }

  /** The party dialled for `endpoint` of call `callId` picked up on leg `legRef`. */
  otherPartyAnswered(callId: string, legRef: string, endpoint: string): CallAnswer {
    const call = this.byId.get(callId);
    if (!(call instanceof DirectCall) || call.state === 'ended') {
      this.log.warn({ event: 'call.agent_for_ended_call', callSid: legRef }, 'other party answered a call that has ended');
      return sayAndHangUp('unreachable', 'en');
    }
    call.agentLeg ??= legRef;
    this.byLeg.set(legRef, call);
    return { type: 'connect', callId: call.id, legRef, endpoint };
  }

  /**
   * The phone network reported a leg's status. The dialled leg's reports carry the call id, so
   * they find their call even before the dial request has returned the leg's reference.
   */
  legStatus(legRef: string, status: LegStatus, callId?: string, endpoint?: string): void {
    const placing = this.placing.get(callId ?? '');
    if (placing && endpoint === CUSTOMER_ENDPOINT) {
      placing.call.customerStatus(legRef, status);
      return;
    }
    const byCallId = this.byId.get(callId ?? '');
    if (byCallId instanceof DirectCall && endpoint !== CUSTOMER_ENDPOINT) {
      byCallId.agentLeg ??= legRef;
      this.byLeg.set(legRef, byCallId);
    }
    const call = byCallId ?? this.byLeg.get(legRef);
    if (call) call.legStatus(legRef, status);
    else if (status.state === 'ended') this.deps.onUnknownLegEnded?.(legRef);
  }

  /** Media connected for one of a call's legs: hand it to its call. */
  attach(media: ParticipantMedia): void {
    const call = this.byLeg.get(media.legRef);
    if (!call) {
      this.log.warn({ event: 'call.orphan_leg', callSid: media.legRef, role: media.endpoint }, 'media stream for no live call');
      media.close();
      return;
    }
    call.attachMedia(media);
  }

  /**
   * An operator ends call `id` (both legs); resolves once it is recorded, false when no such call
   * is in progress here.
   */
  async hangUp(id: string): Promise<boolean> {
    const placing = this.placing.get(id);
    if (placing && placing.call.state === 'calling') {
      await placing.call.hangUpByOperator();
      return true;
    }
    const call = this.byId.get(id);
    if (!call || call.state === 'ended') return false;
    await call.hangUpByOperator();
    return true;
  }

  /** A conference reported an event (`callId`: the call its status callback was given for). */
  conferenceEvent(callId: string, event: ConferenceEvent): void {
    const call = this.byId.get(callId);
    if (call instanceof ConferenceCall) call.conferenceEvent(event);
  }

  /** An interpreter leg of conference call `callId` asks what to run: its media, for `endpoint`. */
  interpreterAnswered(callId: string, legRef: string, endpoint: string): CallAnswer {
    const call = this.byId.get(callId);
    if (!(call instanceof ConferenceCall) || call.state === 'ended') {
      this.log.warn({ event: 'conference.leg_for_ended_call', callId, callSid: legRef }, 'interpreter leg for a call that has ended');
      return { type: 'say-and-hang-up', text: '', locale: 'en-US' };
    }
    this.byLeg.set(legRef, call);
    return { type: 'connect', callId, legRef, endpoint };
  }

  /**
   * Joins an existing conference (by name or ref) as its interpreter. Resolves once the join is
   * under way: the interpreter legs are placed in the background.
   */
  joinConference(conference: string, req: JoinConferenceRequest): Promise<JoinConferenceResult> {
    return this.admission(() => this.join(conference, req));
  }

  private async join(conference: string, req: JoinConferenceRequest): Promise<JoinConferenceResult> {
    const conferences = this.deps.conferences;
    if (!conferences) return { ok: false, status: 501, error: 'conference interpreting is not configured (set TWILIO_TWIML_APP_SID; see tolk twilio configure-app)' };
    if (this.draining) return { ok: false, status: 409, error: 'tolk is shutting down' };
    const live = this.byConference.get(conference);
    if (live && live.state !== 'ended') return { ok: false, status: 409, error: `an interpreter is already in conference ${conference}` };
    const info = await conferences.find(conference);
    if (!info) return { ok: false, status: 404, error: `no conference ${conference} in progress` };
    const there = this.byConference.get(info.ref) ?? this.byConference.get(info.name);
    if (there && there.state !== 'ended') return { ok: false, status: 409, error: `an interpreter is already in conference ${conference}` };
    const id = randomUUID();
    const held = await this.deps.ownership?.claimConference(id, [...new Set([conference, info.ref, info.name])]).catch((err: unknown) => {
      this.log.warn({ event: 'cluster.claim_failed', callId: id, err }, 'could not record the conference in the directory');
      return undefined;
    });
    if (held && !held.ok) return { ok: false, status: 409, error: `an interpreter is already in conference ${conference} (instance ${held.holder})` };
    const given = req.participants ?? [];
    const languages = [...new Set([...given.map((p) => p.language), ...(req.languages ?? [])])];
    await this.deps.records.create({
      id,
      kind: 'conference',
      conference: info.name,
      number: '',
      from: '',
      destination: '',
      languages: { caller: languages[0] ?? '', agent: languages[1] ?? '' },
      legs: given.map((p) => ({ role: 'participant' as const, callSid: p.callSid, language: p.language })),
      state: 'answered',
      startedAt: new Date(),
      ...(this.deps.instance ? { instance: this.deps.instance } : {}),
    });
    const call = new ConferenceCall(
      { ...this.deps, conferences, lineFree: () => this.accepting },
      {
        id,
        conference: info.ref,
        requestedMode: req.mode ?? 'whisper',
        // Twilio needs a From for the interpreter legs: one of tolk's numbers.
        callerId: (await this.deps.numbers.list())[0]?.number ?? 'tolk',
        parties: given.map((p) => ({ legRef: p.callSid, language: p.language })),
        languages: req.languages ?? [],
        maxLanguages: this.deps.maxConferenceLanguages ?? 4,
      },
    );
    this.register(call, [], [info.ref, info.name]);
    this.log.info({ event: 'conference.join', callId: id, conferenceSid: info.ref, conference: info.name, mode: call.requestedMode, parties: info.members.length }, 'joining a conference as its interpreter');
    call.start(info.members, (onEvent) => conferences.watch(info, onEvent));
    return { ok: true, call };
  }

  /** The interpreter of a conference tolk is in (by name or ref). */
  conferenceInterpreter(conference: string): ConferenceCall | undefined {
    const call = this.byConference.get(conference);
    return call && call.state !== 'ended' ? call : undefined;
  }

  /** tolk leaves the conference; false if it is not in it. */
  async leaveConference(conference: string): Promise<boolean> {
    const call = this.conferenceInterpreter(conference);
    if (!call) return false;
    this.log.info({ event: 'conference.leave', callId: call.id, conference }, 'leaving the conference, as asked');
    await call.leave();
    return true;
  }

  /** The live calls, and whether each is in a state that can move to another instance. */
  movableCalls(): { id: string; movable: boolean }[] {
    return [...this.byId.values()].map((c) => ({ id: c.id, movable: c instanceof DirectCall ? c.state === 'bridged' : c.state === 'live' }));
  }

  /**
   * Moves call `callId` to instance `to` (this one is shutting down; see moveCallOut). 'gone' when
   * no such call is live here; 'kept' when this instance has no TOLK_INSTANCE_ID to move it from.
   */
  async moveOut(callId: string, to: string, send: SendAdoption, handOver?: SendSpeech): Promise<'moved' | 'kept' | 'gone'> {
    const call = this.byId.get(callId);
    if (!call || call.state === 'ended') return 'gone';
    if (!this.deps.instance) return 'kept';
    return moveCallOut(call, this.deps.instance, to, send, { events: this.deps.events, log: this.log }, handOver);
  }

  /**
   * The instance a call was adopted from hands over its speech in progress (see SpeechTaking).
   * Taken only from that instance, which the directory named as serving the call when this one
   * took it over: any other sender is refused, and logged.
   */
  takeSpeech(handOver: SpeechHandOver): SpeechTaking {
    const call = this.byId.get(handOver.callId);
    if (!call || call.state === 'ended') return 'no-call';
    if (handOver.from !== call.adoptedFrom) {
      const servedBy = call.adoptedFrom ?? this.deps.instance ?? null;
      this.log.warn(
        { event: 'call.speech_refused', callId: call.id, from: handOver.from, servedBy },
        `speech in progress handed over by ${handOver.from}, which did not serve the call: refused`,
      );
      return 'not-served-by-sender';
    }
    return call.handedSpeech(handOver.speech) ? 'taken' : 'late';
  }

  /**
   * Another instance, shutting down, hands call `req.callId` over (see adoptCall). Resolves once
   * its media is here, or with why not.
   */
  adopt(req: AdoptRequest): Promise<AdoptResult> {
    return this.admission(() =>
      adoptCall(req, {
        deps: this.deps,
        log: this.log,
        draining: () => this.draining,
        has: (callId) => this.byId.has(callId),
        register: (call, legs, conferences) => this.register(call, legs, conferences),
      }),
    );
  }

  /**
   * Refuses new calls and lets the live ones go on until they end, for at most `timeoutMs` (0: no
   * wait) or until `endNow`. Calls still live after the whole wait are told why they end, each
   * party in their language, then ended (outcome interrupted); those cut short by `endNow`, or with
   * no wait, end at once.
   */
  async drain(timeoutMs: number, noticeLimitMs = NOTICE_LIMIT_MS, moveFirst?: () => Promise<void>): Promise<void> {
    this.draining = true;
    // A call admitted just before the drain began is waited for like any other.
    if (this.idle) return;
    if (timeoutMs <= 0) return this.shutdown();
    // Several instances: the calls that can move to another go there; the others drain here.
    if (moveFirst) await moveFirst();
    if (this.idle) return;
    this.log.info({ event: 'calls.draining', activeCalls: this.byId.size, callingCustomers: this.placing.size, timeoutMs }, 'waiting for live calls to end');
    const waited = await new Promise<'idle' | 'timeout' | 'cut'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      const done = (how: 'idle' | 'cut'): void => {
        clearTimeout(timer);
        resolve(how);
      };
      this.whenIdle.push(() => done('idle'));
      this.stopWaiting = () => done('cut');
    });
    this.stopWaiting = undefined;
    if (waited === 'idle') return;
    this.log.warn({ event: 'calls.drain_ended', activeCalls: this.byId.size, why: waited }, waited === 'timeout' ? 'drain timeout passed: ending the calls still live, with a notice' : 'ending the calls still live now');
    if (waited === 'cut') return this.shutdown();
    this.noticing = true;
    await Promise.all([...[...this.placing.values()].map((p) => p.call.shutdown()), ...[...this.byId.values()].map((c) => c.endWithNotice(noticeLimitMs))]);
  }

  /** A drain stops waiting (or its notices stop playing): the calls still live end now. */
  endNow(): void {
    if (this.stopWaiting) this.stopWaiting();
    else if (this.noticing) void this.shutdown();
  }

  /** Refuses new calls, then ends the live ones. */
  async shutdown(): Promise<void> {
    this.draining = true;
    await Promise.all([...[...this.placing.values()].map((p) => p.call.shutdown()), ...[...this.byId.values()].map((c) => c.shutdown())]);
  }

  /**
   * The customer of a call tolk places answered: the interpreted call takes over, in the mode of
   * its number, and the customer first hears that the call is interpreted.
   */
  customerAnswered(callId: string, legRef: string): Promise<CallAnswer> {
    // Counted until the interpreted call is registered: a drain does not take the moment between for idle.
    return this.admission(() => this.handOver(callId, legRef));
  }

  private async handOver(callId: string, legRef: string): Promise<CallAnswer> {
    const placing = this.placing.get(callId);
    if (!placing || !placing.call.answered(legRef)) {
      this.log.warn({ event: 'outbound.answer_unexpected', callId, callSid: legRef }, 'a customer answered a call tolk is not calling');
      return sayAndHangUp('unreachable', 'en');
    }
    this.placing.delete(callId);
    const out = placing.call;
    const settings = out.settings;
    if (callModeOf(settings) === 'conference') return this.customerToConference(out, legRef);
    const remembered =
      !placing.callerLanguage && settings.rememberLanguage !== false && this.deps.languages
        ? await this.deps.languages.recall(settings.number, out.customer).catch(() => undefined)
        : undefined;
    if (remembered) this.rememberAfresh(settings.number, out.customer, remembered);
    const initial = initialCallerLanguage(settings, { remembered });
    const call = new DirectCall(this.deps, { id: out.id, settings, callerLeg: legRef, from: out.customer, callerLanguage: initial });
    this.register(call, [legRef]);
    await this.claim(out.id, { legs: [legRef] });
    this.log.info({ event: 'outbound.answered', callId: out.id, callSid: legRef }, 'the customer answered: interpreting');
    const lang = call.callerLanguage ?? provisionalLanguage(settings, initial);
    return { type: 'connect', callId: call.id, legRef, endpoint: 'caller', announce: { greeting: settings.greeting ?? message('greeting', lang), locale: sayLocale(lang) } };
  }

  private async customerToConference(out: OutboundCall, legRef: string): Promise<CallAnswer> {
    const settings = out.settings;
    const callerLanguage = provisionalLanguage(settings, initialCallerLanguage(settings, {}));
    if (!this.deps.conferences) {
      this.log.error({ event: 'call.conference_unavailable', callId: out.id, number: settings.number }, 'number in conference mode, but conference interpreting is not configured (TWILIO_TWIML_APP_SID)');
      return sayAndHangUp('unreachable', callerLanguage);
    }
    const conference = `tolk-${out.id}`;
    await this.deps.records.update(out.id, { kind: 'conference', conference });
    const call = new ConferenceCall(
      { ...this.deps, conferences: this.deps.conferences, lineFree: () => this.accepting },
      {
        id: out.id,
        conference,
        requestedMode: interpretationOf(settings),
        callerId: settings.number,
        dial: { callerLeg: legRef, from: out.customer, number: settings.number, destination: settings.destination, callerLanguage, agentLanguage: settings.agentLanguage },
        maxLanguages: this.deps.maxConferenceLanguages ?? 4,
      },
    );
    this.register(call, [legRef], [conference]);
    await this.claim(out.id, { legs: [legRef], conferences: [conference] });
    this.log.info({ event: 'outbound.answered', callId: out.id, callSid: legRef, conference }, 'the customer answered: interpreting in a conference');
    return { type: 'conference', callId: call.id, conference, announce: { greeting: settings.greeting ?? message('greeting', callerLanguage), locale: sayLocale(callerLanguage) } };
  }

  private connectCaller(call: DirectCall): CallAnswer {
    const lang = call.callerLanguage ?? provisionalLanguage(call.settings, { language: undefined, source: 'auto' });
    return { type: 'connect', callId: call.id, legRef: call.callerLeg, endpoint: 'caller', announce: { greeting: call.settings.greeting, locale: sayLocale(lang) } };
  }

  private async createCall(legRef: string, from: string, number: NumberSettings, initial: InitialLanguage): Promise<DirectCall> {
    const id = this.deps.newCallId?.() ?? randomUUID();
    const callerLanguage = provisionalLanguage(number, initial);
    await this.deps.records.create({
      id,
      number: number.number,
      from,
      destination: number.destination,
      languages: { caller: initial.language ?? callerLanguage, agent: number.agentLanguage },
      legs: [{ role: 'caller', callSid: legRef, language: callerLanguage }],
      state: 'answered',
      startedAt: new Date(),
      ...(this.deps.instance ? { instance: this.deps.instance } : {}),
    });
    const call = new DirectCall(this.deps, { id, settings: number, callerLeg: legRef, from, callerLanguage: initial });
    this.register(call, [legRef]);
    await this.claim(id, { legs: [legRef] });
    return call;
  }

  /** A caller on a number in conference mode: into a new conference, which tolk interprets. */
  private async incomingToConference(legRef: string, from: string, number: NumberSettings): Promise<CallAnswer> {
    if (!this.deps.conferences) {
      this.log.error({ event: 'call.conference_unavailable', callSid: legRef, number: number.number }, 'number in conference mode, but conference interpreting is not configured (TWILIO_TWIML_APP_SID)');
      this.deps.metrics.callRejected('conference_unavailable');
      return sayAndHangUp('unreachable', provisionalLanguage(number, initialCallerLanguage(number, {})));
    }
    const id = randomUUID();
    const callerLanguage = provisionalLanguage(number, initialCallerLanguage(number, {}));
    // A name of tolk's own: nothing about the caller in it.
    const conference = `tolk-${id}`;
    try {
      await this.deps.records.create({
        id,
        kind: 'conference',
        conference,
        number: number.number,
        from,
        destination: number.destination,
        languages: { caller: callerLanguage, agent: number.agentLanguage },
        legs: [{ role: 'caller', callSid: legRef, language: callerLanguage }],
        state: 'answered',
        startedAt: new Date(),
        ...(this.deps.instance ? { instance: this.deps.instance } : {}),
      });
    } catch (err) {
      if (!(err instanceof CallSidTakenError)) throw err;
      this.log.warn({ event: 'call.replayed', callSid: legRef }, 'voice webhook for a CallSid that already had a call: refused');
      this.deps.metrics.callRejected('replayed');
      return sayAndHangUp('unreachable', callerLanguage);
    }
    const call = new ConferenceCall(
      { ...this.deps, conferences: this.deps.conferences, lineFree: () => this.accepting },
      {
        id,
        conference,
        requestedMode: interpretationOf(number),
        callerId: number.number,
        dial: { callerLeg: legRef, from, number: number.number, destination: number.destination, callerLanguage, agentLanguage: number.agentLanguage },
        maxLanguages: this.deps.maxConferenceLanguages ?? 4,
      },
    );
    this.register(call, [legRef], [conference]);
    await this.claim(id, { legs: [legRef], conferences: [conference] });
    return this.conferenceAnswer(call, number);
  }

  private conferenceAnswer(call: ConferenceCall, number: NumberSettings): CallAnswer {
    const lang = provisionalLanguage(number, initialCallerLanguage(number, {}));
    return { type: 'conference', callId: call.id, conference: call.conference, announce: { greeting: number.greeting, locale: sayLocale(lang) } };
  }

  /**
   * A caller served in their remembered language is remembered again now, so the memory lasts
   * TOLK_RETENTION_DAYS from their last call rather than from when it was first learnt.
   */
  private rememberAfresh(number: string, caller: string, language: string): void {
    this.deps.languages?.remember(number, caller, language).catch((err: unknown) => this.log.warn({ event: 'call.remember_language_failed', err }, 'could not remember the caller language'));
  }

  /** Makes `call` live here: media for `legs` reaches it, and a conference call is found by `conferences` (its names and ref). */
  private register(call: LiveCall, legs: string[], conferences: string[] = []): void {
    this.byId.set(call.id, call);
    for (const l of legs) this.byLeg.set(l, call);
    if (call instanceof ConferenceCall) for (const name of conferences) this.byConference.set(name, call);
    call.onEnded(() => this.forget(call));
  }

  /** Runs the admission of a call, counted until it has made its call or refused it. */
  private async admission<T>(admit: () => Promise<T>): Promise<T> {
    this.admitting++;
    try {
      return await admit();
    } finally {
      this.admitting--;
      this.checkIdle();
    }
  }

  /** No call is live, being admitted, or calling its customer. */
  private get idle(): boolean {
    return this.byId.size === 0 && this.admitting === 0 && this.placing.size === 0;
  }

  private checkIdle(): void {
    if (this.idle) for (const f of this.whenIdle.splice(0)) f();
  }

  /** Tells the other instances this one serves the call; a directory that cannot be reached leaves it to this instance alone. */
  private async claim(callId: string, refs: { legs?: string[]; conferences?: string[] }): Promise<void> {
    await this.deps.ownership?.claim(callId, refs).catch((err: unknown) => {
      this.log.warn({ event: 'cluster.claim_failed', callId, err }, 'could not record the call in the directory: requests about it that reach other instances will not find it');
    });
  }

  private forget(call: LiveCall): void {
    this.deps.ownership?.release(call.id);
    this.byId.delete(call.id);
    this.checkIdle();
    for (const [name, c] of this.byConference) if (c === call) this.byConference.delete(name);
    for (const [ref, c] of this.byLeg) if (c === call) this.byLeg.delete(ref);
  }
}

function sayAndHangUp(key: 'unknownNumber' | 'allLinesBusy' | 'unreachable', language: string): CallAnswer {
  return { type: 'say-and-hang-up', text: message(key, language), locale: sayLocale(language) };
}

/** Menu entries: each language announced in itself (in English, naming it, where tolk has no texts). */
export function menuOptions(languages: readonly string[]): MenuOption[] {
  return languages.map((lang, i) => {
    const digit = String(i + 1);
    const text = hasMessages(lang) ? message('menuOption', lang, { digit }) : `For ${languageName(lang) ?? lang}, press ${digit}.`;
    return { digit, text, locale: sayLocale(lang) };
  });
}
