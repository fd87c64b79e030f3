/**
 * The bridge's face to the Twilio edge: answers voice webhooks (a caller on a tolk number, or the
 * other party picking up), routes status callbacks and authenticated media legs to their call,
 * and keeps the registry of live calls.
 */
import { randomUUID } from 'node:crypto';
import type { NumberDirectory } from '../config/numbers';
import type { Logger } from '../log/logger';
import type { CallRecordStore } from '../store/call-record-store';
import type { MediaLeg } from '../twilio/media-leg';
import { InterpretedCall, type CallDeps } from './interpreted-call';
import { message, sayLocale } from './messages';

/**
 * Query parameters tolk puts on the webhook URLs of the leg it dials:
 * `?leg=agent&call=<call id>` on its voice URL, `?call=<call id>` on its status callback.
 */
export const LEG_PARAM = 'leg';
export const CALL_ID_PARAM = 'call';

/** The TwiML the bridge needs rendered (the Twilio edge's renderer provides it). */
export interface CallTwiml {
  callerStream(v: { callSid: string; greeting?: string; sayLocale: string }): string;
  agentStream(v: { callSid: string }): string;
  sayAndHangUpTwiml(v: { text: string; sayLocale: string }): string;
}

export interface VoiceRequest {
  callSid: string;
  from?: string;
  to?: string;
  query: Readonly<Record<string, string>>;
}

export interface CallServiceDeps extends CallDeps {
  numbers: NumberDirectory;
  twiml: CallTwiml;
  records: CallRecordStore;
  newCallId?: () => string;
}

export class CallService {
  private readonly byId = new Map<string, InterpretedCall>();
  private readonly bySid = new Map<string, InterpretedCall>();
  private readonly log: Logger;
  private draining = false;

  constructor(private readonly deps: CallServiceDeps) {
    this.log = deps.logger.child({ component: 'bridge' });
  }

  get activeCalls(): number {
    return this.byId.size;
  }

  call(id: string): InterpretedCall | undefined {
    return this.byId.get(id);
  }

  /** Answers `POST /twilio/voice`. */
  async voice(req: VoiceRequest): Promise<string> {
    if (req.query[LEG_PARAM] === 'agent') return this.agentAnswered(req);
    const number = req.to ? await this.deps.numbers.lookup(req.to) : undefined;
    if (!number) {
      this.log.warn({ event: 'call.unknown_number', callSid: req.callSid, to: req.to }, 'call to an unknown number');
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unknownNumber', 'en'), sayLocale: sayLocale('en') });
    }
    if (this.draining) {
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', number.callerLanguage), sayLocale: sayLocale(number.callerLanguage) });
    }
    if (this.bySid.has(req.callSid)) {
      // Twilio retried the webhook: answer the same way without a second call.
      return this.deps.twiml.callerStream({ callSid: req.callSid, sayLocale: sayLocale(number.callerLanguage) });
    }
    const id = this.deps.newCallId?.() ?? randomUUID();
    await this.deps.records.create({
      id,
      number: number.number,
      from: req.from ?? '',
      destination: number.destination,
      languages: { caller: number.callerLanguage, agent: number.agentLanguage },
      legs: [{ role: 'caller', callSid: req.callSid, language: number.callerLanguage }],
      state: 'answered',
      startedAt: new Date(),
    });
    const call = new InterpretedCall(this.deps, { id, settings: number, callerCallSid: req.callSid, from: req.from ?? '' });
    this.byId.set(id, call);
    this.bySid.set(req.callSid, call);
    call.onEnded(() => this.forget(call));
    return this.deps.twiml.callerStream({
      callSid: req.callSid,
      greeting: number.greeting,
      sayLocale: sayLocale(number.callerLanguage),
    });
  }

  /**
   * Handles `POST /twilio/status` for either leg. The dialled leg's callbacks carry the call id in
   * their query, so they find their call even before the dial request has returned its SID.
   */
  status(callSid: string, status: string, query: Readonly<Record<string, string>> = {}): void {
    const viaQuery = this.byId.get(query[CALL_ID_PARAM] ?? '');
    if (viaQuery) {
      viaQuery.agentCallSid ??= callSid;
      this.bySid.set(callSid, viaQuery);
    }
    const call = viaQuery ?? this.bySid.get(callSid);
    call?.callStatus(callSid, status);
  }

  /** A media stream authenticated: hand it to its call. */
  leg(media: MediaLeg): void {
    const call = this.bySid.get(media.callSid);
    if (!call) {
      this.log.warn({ event: 'call.orphan_leg', callSid: media.callSid, role: media.role }, 'media stream for no live call');
      media.close();
      return;
    }
    call.attachLeg(media);
  }

  /** Refuses new calls, then ends the live ones. */
  async shutdown(): Promise<void> {
    this.draining = true;
    await Promise.all([...this.byId.values()].map((c) => c.shutdown()));
  }

  private agentAnswered(req: VoiceRequest): string {
    const call = this.byId.get(req.query[CALL_ID_PARAM] ?? '');
    if (!call || call.state === 'ended') {
      this.log.warn({ event: 'call.agent_for_ended_call', callSid: req.callSid }, 'other party answered a call that has ended');
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', 'en'), sayLocale: sayLocale('en') });
    }
    call.agentCallSid ??= req.callSid;
    this.bySid.set(req.callSid, call);
    return this.deps.twiml.agentStream({ callSid: req.callSid });
  }

  private forget(call: InterpretedCall): void {
    this.byId.delete(call.id);
    for (const [sid, c] of this.bySid) if (c === call) this.bySid.delete(sid);
  }
}
