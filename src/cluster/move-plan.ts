/**
 * Which of a stopping instance's live calls move, and to which ready instance: pure, so the choice
 * is tested on its own. Calls are spread over the ready instances in turn, fewest calls first
 * (ties in name order), so one deploy does not pile every call onto one instance. A call that
 * cannot move (it is still being set up, or nothing is ready) stays and drains.
 */

export interface MovableCall {
  id: string;
  /** Whether the call is in a state that can move (bridged, or a live conference). */
  movable: boolean;
}

export interface ReadyPeer {
  id: string;
  /** Live calls it serves now, as far as this instance knows (0 when unknown). */
  calls?: number;
}

export interface MovePlan {
  moves: { callId: string; to: string }[];
  /** Calls that stay here and drain. */
  stay: string[];
}

export function planMoves(calls: readonly MovableCall[], peers: readonly ReadyPeer[]): MovePlan {
  const load = new Map(peers.map((p) => [p.id, p.calls ?? 0]));
  const moves: MovePlan['moves'] = [];
  const stay: string[] = [];
  for (const call of calls) {
    const to = leastLoaded(load);
    if (!call.movable || to === undefined) {
      stay.push(call.id);
      continue;
    }
    moves.push({ callId: call.id, to });
    load.set(to, (load.get(to) ?? 0) + 1);
  }
  return { moves, stay };
}

/** The next instance to take a call after `failed` refused it: the least loaded other one. */
export function nextPeer(peers: readonly ReadyPeer[], tried: ReadonlySet<string>): string | undefined {
  return leastLoaded(new Map(peers.filter((p) => !tried.has(p.id)).map((p) => [p.id, p.calls ?? 0])));
}

function leastLoaded(load: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  for (const [id, n] of load) {
    const b = best === undefined ? undefined : load.get(best)!;
    if (best === undefined || n < b! || (n === b && id < best)) best = id;
  }
  return best;
}
