/**
 * The first part of a call tolk places: calling the customer. The customer's leg is dialled (through
 * the dial queue, like every leg tolk places) with endpoint 'caller', and the call's record lists
 * the leg once the network accepts it (`leg.dialled`); when they answer, the
 * interpreted call (direct or conference) takes over from its `answered` state with the customer in
 * the caller's place. A busy, unanswered or failed attempt is tried again when the call asked for
 * it (a next attempt that cannot be saved ends the call as `failed`), else it is the call's
 * outcome. The decisions are in call-state.ts (`nextOutboundState`).
 */
import type { NumberSettings } from '../config/numbers';
import type { Logger } from '../log/logger';
import type { CallOutcome, OutboundPlan } from '../store/call-record';
import { initialCallerLanguage, provisionalLanguage } from './caller-language';
import { nextOutboundState, outboundDeadlineOf, type LegFinding, type OutboundEffect, type OutboundTransition, type OutboundTrigger } from './call-state';
import { DEFAULT_STEP_TIMEOUT_MS, DeadlinePassedError, findLeg, startDeadline, within } from './deadline';
import { stamp, type CallEventBus, type UnstampedCallEvent } from './events';
import type { LegStatus, Telephony } from './ports';

export interface OutboundCallDeps {
  telephony: Telephony;
  events: CallEventBus;
  logger: Logger;
  ringTimeoutSec?: number;
  /** TOLK_STEP_TIMEOUT_SEC, ms (see call-state.ts). Default 60 s. */
  stepTimeoutMs?: number;
  now?: () => number;
  /**
   * Saves another attempt of the call, due `plan.retryAfterSec` from now (it was busy, unanswered or
   * failed). Waited for TOLK_STEP_TIMEOUT_SEC at most; it must save nothing once the call has ended.
   */
  retry(callId: string, plan: OutboundPlan): Promise<void>;
}

export interface OutboundCallInit {
  id: string;
  /** The number's settings with the call's own destination and languages. */
  settings: NumberSettings;
  /** The customer tolk calls (E.164). */
  customer: string;
  plan: OutboundPlan;
}

export type OutboundCallState = 'calling' | 'answered' | 'scheduled' | 'ended';

export const CUSTOMER_ENDPOINT = 'caller';

export class OutboundCall {
  readonly id: string;
  readonly settings: NumberSettings;
  readonly customer: string;
  /** The customer's leg, once the network accepted it. */
  customerLeg: string | undefined;
  private stateValue: OutboundCallState = 'calling';
  private readonly log: Logger;
  private readonly now: () => number;
  private deadline: NodeJS.Timeout | undefined;
  private doneListeners: ((call: OutboundCall) => void)[] = [];
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: OutboundCallDeps,
    private readonly init: OutboundCallInit,
  ) {
    this.id = init.id;
    this.settings = init.settings;
    this.customer = init.customer;
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child({ callId: init.id });
  }

  get state(): OutboundCallState {
    return this.stateValue;
  }

  /** Calls when tolk is done with this part of the call (handed over, rescheduled or ended). */
  onDone(listener: (call: OutboundCall) => void): void {
    this.doneListeners.push(listener);
  }

  /** Dials the customer. */
  start(): void {
    this.publish({ type: 'call.state', from: 'scheduled', to: 'calling', trigger: 'due' });
    const ringTimeoutSec = this.deps.ringTimeoutSec ?? 30;
    const ms = outboundDeadlineOf('calling', { stepMs: this.deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, ringTimeoutMs: ringTimeoutSec * 1000 });
    this.deadline = startDeadline(ms, () => void this.deadlineReached(ms));
    this.log.info({ event: 'outbound.calling', number: this.settings.number, attempt: this.init.plan.attempts }, 'calling the customer');
    const dialling = (async () =>
      this.deps.telephony.dial({ callId: this.id, endpoint: CUSTOMER_ENDPOINT, destination: this.customer, callerId: this.settings.number, ringTimeoutSec, attempt: this.init.plan.attempts }))();
    // A dial refused at once (thrown, not rejected) fails the attempt as a rejected one does.
    dialling
      .then((legRef) => {
        this.customerLeg ??= legRef;
        this.log.info({ event: 'outbound.dialled', callSid: legRef }, 'customer dialled');
        if (this.stateValue === 'ended') this.background('end-customer', this.deps.telephony.hangUp(legRef, { ringing: true }));
        // Listed in the record while it rings: should this instance stop, whoever closes the call hangs it up.
        else if (this.stateValue === 'calling' && legRef === this.customerLeg) {
          const language = provisionalLanguage(this.settings, initialCallerLanguage(this.settings, {}));
          this.publish({ type: 'leg.dialled', role: CUSTOMER_ENDPOINT, legRef, language });
        }
      })
      .catch((err: unknown) => {
        this.log.error({ event: 'outbound.dial_failed', err }, 'could not dial the customer');
        this.dispatch({ type: 'dial-failed' });
      });
  }

  /** The network reported a status of the customer's leg. */
  customerStatus(legRef: string, status: LegStatus): void {
    this.customerLeg ??= legRef;
    if (legRef === this.customerLeg) this.dispatch({ type: 'customer-status', status });
  }

  /** The customer answered on `legRef`: true when the interpreted call is to take over now. */
  answered(legRef: string): boolean {
    this.customerLeg ??= legRef;
    if (this.stateValue !== 'calling' || legRef !== this.customerLeg) return false;
    this.dispatch({ type: 'customer-answered' });
    return true;
  }

  hangUpByOperator(): Promise<void> {
    this.log.info({ event: 'call.operator_hangup', state: this.stateValue }, 'operator hung up the call');
    this.dispatch({ type: 'operator-hangup' });
    return this.done;
  }

  shutdown(): Promise<void> {
    this.dispatch({ type: 'shutdown' });
    return this.done;
  }

  private async deadlineReached(waitedMs: number): Promise<void> {
    if (this.stateValue !== 'calling') return;
    this.log.warn({ event: 'call.deadline', state: 'calling', waitedMs, callSid: this.customerLeg }, 'calling past its deadline: asking the phone network');
    const leg = this.customerLeg;
    const customer: LegFinding = leg ? await findLeg(this.deps.telephony, leg, this.log) : { state: 'gone' };
    this.dispatch({ type: 'deadline', waitedMs, customer });
  }

  private dispatch(trigger: OutboundTrigger): void {
    if (this.stateValue !== 'calling') return;
    const t = nextOutboundState(trigger, this.init.plan.attempts <= this.init.plan.retries);
    if (!t) return;
    this.stateValue = t.state;
    clearTimeout(this.deadline);
    this.publish({
      type: 'call.state',
      from: 'calling',
      to: t.state,
      trigger: trigger.type,
      ...(trigger.type === 'customer-status' ? { status: trigger.status.state === 'ended' ? trigger.status.reason : trigger.status.state } : {}),
      ...(t.outcome && t.state === 'ended' ? { outcome: t.outcome } : {}),
    });
    for (const effect of t.effects) this.run(effect, t);
    if (t.state === 'ended') this.done = this.end(t.outcome ?? 'error', t.reason ?? 'unknown');
    else if (t.state === 'answered') this.finish();
  }

  private run(effect: OutboundEffect, t: OutboundTransition): void {
    switch (effect.type) {
      case 'hand-over':
        return;
      case 'end-customer':
        if (this.customerLeg) this.background('end-customer', this.deps.telephony.hangUp(this.customerLeg, { ringing: true }));
        return;
      case 'retry':
        this.done = this.retry(t.outcome, t.reason ?? 'unknown');
        return;
    }
  }

  /**
   * Saves the next attempt, due `retryAfterSec` from now. One that cannot be saved (the database
   * unreachable, say), or is not saved within TOLK_STEP_TIMEOUT_SEC (the database not answering),
   * ends the call as `failed` at once, saying why: nobody would call the customer again, and the
   * call would stay `calling` until the reconciler closed it.
   */
  private async retry(outcome: CallOutcome | undefined, why: string): Promise<void> {
    const attempt = this.init.plan.attempts;
    this.log.info({ event: 'outbound.retry', outcome, reason: why, retryAfterSec: this.init.plan.retryAfterSec }, `attempt ${attempt} failed: trying again later`);
    const plan: OutboundPlan = { ...this.init.plan, dueAt: new Date(this.now() + this.init.plan.retryAfterSec * 1000) };
    const stepMs = this.deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    try {
      await within(this.deps.retry(this.id, plan), stepMs);
    } catch (err) {
      const failure = err instanceof DeadlinePassedError ? `it was not saved within ${stepMs / 1000} s (TOLK_STEP_TIMEOUT_SEC)` : err instanceof Error ? err.message : String(err);
      const reason = `${why}; tolk could not schedule attempt ${attempt + 1}: ${failure}`;
      this.log.error({ event: 'outbound.retry_failed', attempt: attempt + 1, err }, 'could not schedule the next attempt: the call ends as failed');
      this.stateValue = 'ended';
      this.publish({ type: 'call.state', from: 'scheduled', to: 'ended', trigger: 'retry-failed', outcome: 'failed' });
      return this.end('failed', reason);
    }
    this.finish();
  }

  private async end(outcome: CallOutcome, reason: string): Promise<void> {
    await this.deps.events.settle(this.id);
    // Ended before the customer answered (or tolk handed the call over): never connected, so no duration.
    this.publish({ type: 'call.ended', outcome, reason });
    await this.deps.events.settle(this.id);
    this.finish();
  }

  private finish(): void {
    for (const l of this.doneListeners) l(this);
    this.doneListeners = [];
  }

  private publish(event: UnstampedCallEvent): void {
    this.deps.events.publish(stamp(event, { callId: this.id }, Date.now()));
  }

  private background(what: string, p: Promise<unknown>): void {
    p.catch((err: unknown) => this.log.warn({ event: 'call.effect_failed', effect: what, err }, `${what} failed`));
  }
}
