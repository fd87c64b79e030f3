/**
 * A dial job's leg placed once however often the job runs (dial-ledger.ts says how runs agree).
 * What cannot be read (Redis failing) does not stop a dial: the leg is placed.
 */
import { randomUUID } from 'node:crypto';
import type { Telephony } from '../call/ports';
import type { Logger } from '../log/logger';
import type { DialClaim, DialLedger, PlacedOutcome } from './dial-ledger';
import { RENEW_MS } from './dial-ledger';
import { FinalJobError } from './queue';

/** How long a job's entry outlives its leg's time to be placed (no run places it after that). */
const KEEP_MS = 60_000;
/** How often a run waiting for another one placing the leg looks again. */
const WAIT_MS = 250;

export interface PlaceOnceDeps {
  ledger: DialLedger;
  /** Hangs up a leg this run placed after another run took the job over. */
  telephony: Pick<Telephony, 'hangUp'>;
  logger?: Logger;
  now: () => number;
}

/**
 * Runs `place` for job `id` unless another run placed its leg (resolves with that leg) or is
 * placing it now (waits for it, until `deadline`). `place` resolves with the leg's reference, or
 * with something else when nothing was placed.
 */
export async function placeOnce<R>(job: { id: string; deadline: number }, place: () => Promise<R | string>, deps: PlaceOnceDeps): Promise<R | string> {
  const log = deps.logger?.child({ component: 'dial', jobId: job.id });
  const run = randomUUID();
  const ttlMs = (): number => job.deadline - deps.now() + KEEP_MS;
  const claim = (): Promise<DialClaim> => deps.ledger.claim(job.id, run, ttlMs()).catch((): DialClaim => ({ kind: 'claimed' }));
  let claimed = await claim();
  while (claimed.kind === 'busy') {
    if (deps.now() >= job.deadline) throw new FinalJobError(`not dialled: another run of this dial was still placing the leg when its time to be placed passed (${job.id})`);
    await new Promise((r) => setTimeout(r, WAIT_MS));
    claimed = await claim();
  }
  if (claimed.kind === 'placed') {
    log?.info({ event: 'dial.placed_before', legSid: claimed.legRef }, 'an earlier run of this dial placed the leg: not placed again');
    return claimed.legRef;
  }
  const renewing = setInterval(() => void deps.ledger.renew(job.id, run).catch(() => undefined), RENEW_MS);
  let result: R | string;
  try {
    result = await place();
  } catch (err) {
    await deps.ledger.release(job.id, run).catch(() => undefined);
    throw err;
  } finally {
    clearInterval(renewing);
  }
  if (typeof result !== 'string') {
    await deps.ledger.release(job.id, run).catch(() => undefined);
    return result;
  }
  const outcome = await deps.ledger.placed(job.id, run, result, ttlMs()).catch((): PlacedOutcome => ({ kind: 'kept' }));
  if (outcome.kind === 'kept') return result;
  // This run stalled and another took the job over: its leg is the one that counts.
  try {
    await deps.telephony.hangUp(result, { ringing: true });
    log?.warn({ event: 'dial.taken_over', legSid: result, otherLegSid: outcome.legRef }, 'placed a leg after another run of this dial took it over: hung up');
  } catch (err) {
    log?.error({ event: 'dial.taken_over_hang_up_failed', legSid: result, err }, 'placed a leg after another run of this dial took it over, and could not hang it up');
  }
  if (outcome.legRef !== undefined) return outcome.legRef;
  throw new FinalJobError(`placed the leg after another run of this dial took it over: hung up (${job.id})`);
}
