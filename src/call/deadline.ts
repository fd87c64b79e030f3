/**
 * What every call does about a state that waits on the phone network (call-state.ts gives each
 * waiting state its limit): a timer for the limit, and at the limit, asking the network where a
 * leg is, so the state machine decides from what the network reports.
 */
import type { Logger } from '../log/logger';
import type { LegFinding } from './call-state';
import type { Telephony } from './ports';

/** TOLK_STEP_TIMEOUT_SEC when a call is given none. */
export const DEFAULT_STEP_TIMEOUT_MS = 60_000;

/** Calls `reached` once `ms` have passed; the timer does not keep the process running. */
export function startDeadline(ms: number, reached: () => void): NodeJS.Timeout {
  const timer = setTimeout(reached, ms);
  timer.unref();
  return timer;
}

/** Where the network says `legRef` is; a failure to ask is logged and found as `unknown`. */
export function findLeg(telephony: Pick<Telephony, 'lookUp'>, legRef: string, log: Logger): Promise<LegFinding> {
  return telephony.lookUp(legRef).then(
    (report): LegFinding => report?.status ?? { state: 'gone' },
    (err: unknown): LegFinding => {
      log.warn({ event: 'call.lookup_failed', callSid: legRef, err }, 'could not ask the phone network about a leg');
      return { state: 'unknown' };
    },
  );
}

/** `within`'s work did not settle in time. */
export class DeadlinePassedError extends Error {
  constructor(readonly waitedMs: number) {
    super(`no answer within ${Math.round(waitedMs / 1000)} s`);
    this.name = 'DeadlinePassedError';
  }
}

/**
 * `work`'s outcome if it settles within `ms`, else a DeadlinePassedError (what `work` does later is
 * not waited for: its result or failure is dropped).
 */
export function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const passed = new Promise<never>((_, reject) => {
    timer = startDeadline(ms, () => reject(new DeadlinePassedError(ms)));
  });
  work.catch(() => undefined);
  return Promise.race([work, passed]).finally(() => clearTimeout(timer));
}
