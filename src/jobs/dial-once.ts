/**
 * A dial job's leg placed once however often the job runs (dial-ledger.ts says how runs agree).
 *
 * Each answer of the ledger is waited for LEDGER_MS at most (or less, should the ledger itself give
 * up on it first: a DeadlinePassedError all the same). A claim not answered by then may
 * still land (Redis slow, not failing) while another run places the leg; one failing with an error
 * may have run all the same (its connection lost after sending it), its answer (another run placing
 * the leg) lost: either way this attempt places nothing and fails, to be tried again while the leg's
 * time to be placed lasts (its claim, should it have landed, released after it).
 *
 * The writing of a leg placed not answered by then, or failing: the run answers with its leg, then
 * writes it again after each wait of RECHECK_WAITS_MS, then every REWRITE_MS until the leg's time to
 * be placed has passed (REWRITE_PAST_DEADLINE_MS after it), each writing answered within LEDGER_MS
 * or taken for unanswered, until the ledger answers one: that answer (or the first writing's,
 * should it come late) says whether another run took the job over, and the leg is hung up if so.
 * Until then the run's claim, not renewed, goes stale, and a run of the job once Redis answers again
 * would place a second leg: the leg written as soon as Redis answers is what keeps it from that
 * (it finds the leg placed, and answers with it). The first writing's late answer is not waited for
 * alone: a ledger may drop it (Redis's connection drops a reply that comes past its command
 * deadline).
 * While the leg is placed the claim is renewed every RENEW_MS, one renewal at a time: none is sent
 * while the last is neither answered nor LEDGER_MS old.
 */
import { randomUUID } from 'node:crypto';
import { DeadlinePassedError, within } from '../call/deadline';
import type { Telephony } from '../call/ports';
import type { Logger } from '../log/logger';
import type { DialClaim, DialLedger, PlacedOutcome } from './dial-ledger';
import { RENEW_MS } from './dial-ledger';
import { FinalJobError } from './queue';

/** How long a job's entry outlives its leg's time to be placed (no run places it after that). */
const KEEP_MS = 60_000;
/** How often a run waiting for another one placing the leg looks again. */
const WAIT_MS = 250;
/** How long a run waits for each answer of the ledger (see the header). */
const LEDGER_MS = 2000;
/** The waits before each writing again of a leg whose writing went unanswered (see the header). */
const RECHECK_WAITS_MS = [1000, 2000, 4000];
/** The wait between writings of a leg once RECHECK_WAITS_MS are through (see the header). */
const REWRITE_MS = 4000;
/**
 * How long past the leg's time to be placed a leg still unrecorded is written again: no run places
 * it after that time, on a clock up to this much behind this one's.
 */
const REWRITE_PAST_DEADLINE_MS = 5000;

export interface PlaceOnceDeps {
  ledger: DialLedger;
  /** Hangs up a leg this run placed after another run took the job over. */
  telephony: Pick<Telephony, 'hangUp'>;
  logger?: Logger;
  now: () => number;
}

/** The dial job a run places a leg for: its id, the call the leg is for (named in every log line), and when its time to be placed ends. */
export interface OnceJob {
  id: string;
  callId: string;
  deadline: number;
}

/**
 * Runs `place` for job `id` unless another run placed its leg (resolves with that leg) or is
 * placing it now (waits for it, until `deadline`). `place` resolves with the leg's reference, or
 * with something else when nothing was placed.
 */
export async function placeOnce<R>(job: OnceJob, place: () => Promise<R | string>, deps: PlaceOnceDeps): Promise<R | string> {
  const log = deps.logger?.child({ component: 'dial', callId: job.callId, jobId: job.id });
  const run = randomUUID();
  const ttlMs = (): number => job.deadline - deps.now() + KEEP_MS;
  const release = (): Promise<void> => within(deps.ledger.release(job.id, run), LEDGER_MS).catch(() => undefined);
  const claim = async (): Promise<DialClaim> => {
    try {
      return await within(deps.ledger.claim(job.id, run, ttlMs()), LEDGER_MS);
    } catch (err) {
      // Sent after the claim, so that a claim landing late (or run before its reply was lost) is released and keeps no run waiting.
      void release();
      if (err instanceof DeadlinePassedError) {
        log?.warn({ event: 'dial.ledger_unanswered', step: 'claim' }, `the dial ledger (Redis) did not answer within ${LEDGER_MS / 1000} s: nothing placed this attempt`);
        throw new Error(`not dialled this attempt: the dial ledger (Redis) did not answer within ${LEDGER_MS / 1000} s (${job.id})`);
      }
      const why = err instanceof Error ? err.message : String(err);
      log?.warn({ event: 'dial.ledger_failed', step: 'claim', err: why }, `the dial ledger (Redis) failed the claim (${why}): nothing placed this attempt`);
      throw new Error(`not dialled this attempt: the dial ledger (Redis) failed the claim: ${why} (${job.id})`, { cause: err });
    }
  };
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
  // One renewal at a time (see the header), so that none pile up on a Redis that does not answer.
  let renewal: Promise<void> | undefined;
  const renewing = setInterval(() => {
    renewal ??= within(deps.ledger.renew(job.id, run), LEDGER_MS)
      .catch(() => undefined)
      .finally(() => (renewal = undefined));
  }, RENEW_MS);
  let result: R | string;
  try {
    result = await place();
  } catch (err) {
    await release();
    throw err;
  } finally {
    clearInterval(renewing);
  }
  if (typeof result !== 'string') {
    await release();
    return result;
  }
  const legRef = result;
  /** This run stalled and another took the job over: the other's leg is the one that counts. */
  const hangUpOverTaken = async (otherLegSid: string | undefined): Promise<void> => {
    try {
      await deps.telephony.hangUp(legRef, { ringing: true });
      log?.warn({ event: 'dial.taken_over', legSid: legRef, otherLegSid }, 'placed a leg after another run of this dial took it over: hung up');
    } catch (err) {
      log?.error({ event: 'dial.taken_over_hang_up_failed', legSid: legRef, err }, 'placed a leg after another run of this dial took it over, and could not hang it up');
    }
  };
  const write = (): Promise<PlacedOutcome> => deps.ledger.placed(job.id, run, legRef, ttlMs());
  /** The job's outcome for this run once its writing went unanswered; `writing`'s answer is taken should it come. */
  const settleUnanswered = async (writing: Promise<PlacedOutcome>): Promise<void> => {
    let known: PlacedOutcome | undefined;
    const lateAnswer = new Promise<void>((r) => void writing.then((late) => r(void (known = late)), () => undefined));
    const writeAgainAfter = async (wait: number): Promise<void> => {
      await Promise.race([lateAnswer, sleep(wait)]);
      known ??= await within(write(), LEDGER_MS).catch(() => undefined);
    };
    for (const wait of RECHECK_WAITS_MS) {
      await writeAgainAfter(wait);
      if (known !== undefined) break;
    }
    if (known === undefined) {
      log?.warn({ event: 'dial.leg_unconfirmed', legSid: legRef }, `the dial ledger (Redis) answered none of ${RECHECK_WAITS_MS.length + 1} writings of the leg placed: kept, and written again every ${REWRITE_MS / 1000} s until it answers`);
      const until = job.deadline + REWRITE_PAST_DEADLINE_MS;
      while (known === undefined && deps.now() < until) await writeAgainAfter(REWRITE_MS);
    }
    if (known === undefined) {
      log?.warn({ event: 'dial.leg_unrecorded_in_ledger', legSid: legRef }, "the dial ledger (Redis) answered no writing of the leg placed before its time to be placed passed: kept, unrecorded");
    } else if (known.kind === 'taken-over') {
      await hangUpOverTaken(known.legRef);
    } else {
      log?.info({ event: 'dial.leg_confirmed', legSid: legRef }, 'the dial ledger (Redis) recorded the leg placed: kept');
    }
  };
  const writing = write();
  const outcome = await within(writing, LEDGER_MS).catch((err: unknown): PlacedOutcome => {
    if (err instanceof DeadlinePassedError) {
      log?.warn({ event: 'dial.ledger_unanswered', step: 'placed', legSid: legRef }, `the dial ledger (Redis) did not answer within ${LEDGER_MS / 1000} s: answering with the leg placed, and asking again`);
    } else {
      const why = err instanceof Error ? err.message : String(err);
      log?.warn({ event: 'dial.ledger_failed', step: 'placed', legSid: legRef, err: why }, `the dial ledger (Redis) failed the writing of the leg placed (${why}): answering with the leg, and asking again`);
    }
    void settleUnanswered(writing);
    return { kind: 'kept' };
  });
  if (outcome.kind === 'kept') return legRef;
  await hangUpOverTaken(outcome.legRef);
  if (outcome.legRef !== undefined) return outcome.legRef;
  throw new FinalJobError(`placed the leg after another run of this dial took it over: hung up (${job.id})`);
}

/** Resolves after `ms`; the timer does not keep the process running. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
