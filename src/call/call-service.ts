/**
 * The call core's front door: answers incoming calls (a caller on a tolk number, the other party
 * picking up, the language menu's answer), routes leg statuses and authenticated media legs to
 * their call, and keeps the registry of live calls.
 */
import { randomUUID } from 'node:crypto';
import type { NumberDirectory, NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import { CallSidTakenError, type CallRecordStore } from '../store/call-record-store';
import type { MediaLeg } from '../twilio/media-leg';
import { InterpretedCall, type CallDeps } from './interpreted-call';
import { initialCallerLanguage, provisionalLanguage, type InitialLanguage } from './caller-language';
import { hasMessages, message, sayLocale } from './messages';
import { languageName } from '../translate/languages';

/** The TwiML the call core needs rendered (the Twilio edge's renderer provides it). */
export interface MenuOption {
  digit: string;
  text: string;
  sayLocale: string;
}

export interface CallTwiml {
  callerStream(v: { callSid: string; greeting?: string; sayLocale: string }): string;
  /** A DTMF language menu whose answer comes back to `CallService.languageChosen(callId, ...)`. */
  languageMenu(v: { callId: string; options: MenuOption[] }): string;
  agentStream(v: { callSid: string }): string;
  sayAndHangUpTwiml(v: { text: string; sayLocale: string }): string;
}

export interface IncomingCall {
  callSid: string;
  from?: string;
  to?: string;
}

export interface CallServiceDeps extends CallDeps {
  numbers: NumberDirectory;
  twiml: CallTwiml;
  records: CallRecordStore;
  newCallId?: () => string;
  /** TOLK_MAX_CALLS: beyond this many calls at once, new callers hear that all lines are busy. */
  maxCalls?: number;
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

  /** A caller reached a tolk number. */
  async incoming(req: IncomingCall): Promise<string> {
    const number = req.to ? await this.deps.numbers.lookup(req.to) : undefined;
    if (!number) {
      this.log.warn({ event: 'call.unknown_number', callSid: req.callSid, to: req.to }, 'call to an unknown number');
      this.deps.metrics.callRejected('unknown_number');
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unknownNumber', 'en'), sayLocale: sayLocale('en') });
    }
    const existing = this.bySid.get(req.callSid);
    if (existing) {
      // Twilio retried the webhook: answer the same way without a second call.
      return this.answerWithStream(existing);
    }
    if (this.deps.maxCalls !== undefined && this.byId.size >= this.deps.maxCalls) {
      // Refused up front: a process past its capacity would fail calls at random instead.
      this.log.warn({ event: 'call.at_capacity', callSid: req.callSid, activeCalls: this.byId.size, maxCalls: this.deps.maxCalls }, 'all lines busy: call refused');
      this.deps.metrics.callRejected('at_capacity');
      const lang = provisionalLanguage(number, initialCallerLanguage(number, {}));
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('allLinesBusy', lang), sayLocale: sayLocale(lang) });
    }
    if (this.draining) {
      this.deps.metrics.callRejected('draining');
      const lang = provisionalLanguage(number, initialCallerLanguage(number, {}));
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', lang), sayLocale: sayLocale(lang) });
    }
    const from = req.from ?? '';
    const remembered =
      number.rememberLanguage !== false && from && this.deps.languages
        ? await this.deps.languages.recall(number.number, from).catch(() => undefined)
        : undefined;
    const menu = number.languageMenu && number.languageMenu.length > 1 && !remembered ? number.languageMenu : undefined;
    const initial = initialCallerLanguage(number, { remembered });
    const call = await this.createCall(req.callSid, from, number, initial).catch((err: unknown) => {
      if (!(err instanceof CallSidTakenError)) throw err;
      return undefined;
    });
    if (!call) {
      // This CallSid already had a call (here, on another instance, or before a restart): a
      // replayed webhook must not place a call and dial the destination again.
      this.log.warn({ event: 'call.replayed', callSid: req.callSid }, 'voice webhook for a CallSid that already had a call: refused');
      this.deps.metrics.callRejected('replayed');
      const lang = provisionalLanguage(number, initial);
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', lang), sayLocale: sayLocale(lang) });
    }
    if (menu) {
      this.log.info({ event: 'call.language_menu', callId: call.id, languages: menu }, 'offering the language menu');
      return this.deps.twiml.languageMenu({ callId: call.id, options: menuOptions(menu) });
    }
    return this.answerWithStream(call);
  }

  /**
   * A status report for either leg. The dialled leg's reports carry the call id, so they find
   * their call even before the dial request has returned its SID.
   */
  legStatus(callSid: string, status: string, callId?: string): void {
    const viaQuery = this.byId.get(callId ?? '');
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

  /** The caller pressed a key in the language menu (or pressed none). */
  languageChosen(callId: string, digits: string | undefined): string {
    const call = this.byId.get(callId);
    if (!call || call.state === 'ended') return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', 'en'), sayLocale: sayLocale('en') });
    const menu = call.settings.languageMenu ?? [];
    const index = digits && /^[1-9]$/.test(digits) ? Number(digits) - 1 : -1;
    const chosen = menu[index];
    this.log.info({ event: 'call.language_chosen', callId: call.id, digits: digits ?? '', language: chosen ?? null }, chosen ? `caller chose ${chosen}` : 'no language chosen');
    // Only the menu's own answer chooses: the same request again once the call is under way does not.
    if (chosen && call.state === 'answered') call.chooseCallerLanguage(chosen);
    return this.answerWithStream(call);
  }

  private answerWithStream(call: InterpretedCall): string {
    const lang = call.callerLanguage ?? provisionalLanguage(call.settings, { language: undefined, source: 'auto' });
    return this.deps.twiml.callerStream({ callSid: call.callerCallSid, greeting: call.settings.greeting, sayLocale: sayLocale(lang) });
  }

  private async createCall(callSid: string, from: string, number: NumberSettings, initial: InitialLanguage): Promise<InterpretedCall> {
    const id = this.deps.newCallId?.() ?? randomUUID();
    const callerLanguage = provisionalLanguage(number, initial);
    await this.deps.records.create({
      id,
      number: number.number,
      from,
      destination: number.destination,
      languages: { caller: initial.language ?? callerLanguage, agent: number.agentLanguage },
      legs: [{ role: 'caller', callSid, language: callerLanguage }],
      state: 'answered',
      startedAt: new Date(),
    });
    const call = new InterpretedCall(this.deps, { id, settings: number, callerCallSid: callSid, from, callerLanguage: initial });
    this.byId.set(id, call);
    this.bySid.set(callSid, call);
    call.onEnded(() => this.forget(call));
    return call;
  }

  /** The party dialled for call `callId` picked up on `callSid`. */
  otherPartyAnswered(callId: string, callSid: string): string {
    const call = this.byId.get(callId);
    if (!call || call.state === 'ended') {
      this.log.warn({ event: 'call.agent_for_ended_call', callSid }, 'other party answered a call that has ended');
      return this.deps.twiml.sayAndHangUpTwiml({ text: message('unreachable', 'en'), sayLocale: sayLocale('en') });
    }
    call.agentCallSid ??= callSid;
    this.bySid.set(callSid, call);
    return this.deps.twiml.agentStream({ callSid });
  }

  private forget(call: InterpretedCall): void {
    this.byId.delete(call.id);
    for (const [sid, c] of this.bySid) if (c === call) this.bySid.delete(sid);
  }
}

/** Menu entries: each language announced in itself (in English, naming it, where tolk has no texts). */
export function menuOptions(languages: readonly string[]): MenuOption[] {
  return languages.map((lang, i) => {
    const digit = String(i + 1);
    const text = hasMessages(lang) ? message('menuOption', lang, { digit }) : `For ${languageName(lang) ?? lang}, press ${digit}.`;
    return { digit, text, sayLocale: sayLocale(lang) };
  });
}
