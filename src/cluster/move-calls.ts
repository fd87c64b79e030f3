/**
 * A stopping instance moves its live calls to the ready instances (move-plan.ts decides which goes
 * where): each is offered to its planned instance, then to the others in turn while it stays here;
 * a call nobody takes, or one that cannot move, drains here. Offers stop after `MOVE_OFFERS_MS`, so
 * the whole move ends within `MOVE_PHASE_LIMIT_MS` however many instances refuse, and the drain's
 * own deadline starts from there.
 */
import { performance } from 'node:perf_hooks';
import type { SendAdoption, SendSpeech } from '../call/ports';
import type { Logger } from '../log/logger';
import { ADOPT_REQUEST_TIMEOUT_MS } from './adoption';
import { nextPeer, planMoves, type MovableCall } from './move-plan';

/** No call is offered to another instance after this long from the start of the move. */
export const MOVE_OFFERS_MS = 30_000;
/** The longest a move takes: the last offer may start just before `MOVE_OFFERS_MS` and wait its full answer. */
export const MOVE_PHASE_LIMIT_MS = MOVE_OFFERS_MS + ADOPT_REQUEST_TIMEOUT_MS;

export interface MovingCalls {
  movableCalls(): MovableCall[];
  /** 'moved': the other instance serves it; 'kept': it stays here; 'gone': it is no longer here. */
  moveOut(callId: string, to: string, send: SendAdoption, handOver?: SendSpeech): Promise<'moved' | 'kept' | 'gone'>;
}

export interface MoveCallsDeps {
  calls: MovingCalls;
  /** Tells the others this instance is shutting down; the ready instances. */
  markDraining(): Promise<void>;
  readyPeers(): Promise<{ id: string }[]>;
  send: SendAdoption;
  /** Hands a moved call's speech in progress to its adopter. */
  handOver?: SendSpeech;
  logger: Logger;
  /** Milliseconds, monotonic (default: performance.now). */
  now?: () => number;
}

export async function moveLiveCalls(deps: MoveCallsDeps): Promise<void> {
  const log = deps.logger.child({ component: 'cluster' });
  const now = deps.now ?? (() => performance.now());
  const startedAt = now();
  await deps.markDraining().catch((err: unknown) => log.warn({ event: 'cluster.mark_draining_failed', err }, 'could not tell the others this instance is shutting down'));
  const peers = await deps.readyPeers().catch((err: unknown) => {
    log.warn({ event: 'cluster.peers_unknown', err }, 'could not list the ready instances: calls drain here');
    return [];
  });
  const calls = deps.calls.movableCalls();
  const plan = planMoves(calls, peers);
  // Calls that stay here are cut if they outlast the drain: worth a warning, not a note.
  const moving = { event: 'calls.moving', calls: calls.length, moving: plan.moves.length, staying: plan.stay.length, peers: peers.map((p) => p.id) };
  if (peers.length) log.info(moving, 'moving live calls to the ready instances');
  else if (calls.length) log.warn(moving, 'no other instance is ready: live calls drain here, and are cut if they outlast the drain');
  else log.info(moving, 'no live calls to move');
  const outcomes = await Promise.all(
    plan.moves.map(async ({ callId, to }) => {
      const tried = new Set<string>();
      for (let target: string | undefined = to; target !== undefined; target = nextPeer(peers, tried)) {
        if (now() - startedAt >= MOVE_OFFERS_MS) {
          log.warn({ event: 'call.move_offers_ended', callId, afterMs: Math.round(now() - startedAt) }, 'no time left to offer the call to another instance: it drains here');
          break;
        }
        tried.add(target);
        const outcome = await deps.calls.moveOut(callId, target, deps.send, deps.handOver);
        if (outcome !== 'kept') return outcome;
      }
      return 'kept';
    }),
  );
  const moved = outcomes.filter((o) => o === 'moved').length;
  const kept = outcomes.length - moved + plan.stay.length;
  if (kept > 0) log.warn({ event: 'calls.moved', moved, kept }, `${moved} live call(s) moved, ${kept} drain here and are cut if they outlast the drain`);
  else log.info({ event: 'calls.moved', moved, kept }, `${moved} live call(s) moved`);
}
