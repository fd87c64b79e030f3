/**
 * Bringing a direct call's legs' media to this instance (a call adopted from another, or one coming
 * back to the instance that tried to give it away), with a repair for each leg whose media does
 * not come: its live-call update is issued once more when the telephony refused it, or when its
 * new stream failed (the leg reports itself held, naming the update it followed). Only on such
 * evidence: an update issued again while the first one's stream is on its way would stop that
 * stream once it had come, which the call would take for the party hanging up. A leg that fails
 * its second try, or the bound passing, ends the wait: the caller falls back. The bound's timer is
 * cleared once the wait settles.
 */
import type { Logger } from '../log/logger';

export interface LegToBring {
  endpoint: string;
  legRef: string;
}

export interface LegArrivalsDeps {
  /** Issues the live-call update bringing `leg` here; `attempt` names it. */
  reconnect(leg: LegToBring, attempt: string): Promise<void>;
  /** Whether the leg's media is here. */
  isHere(endpoint: string): boolean;
  /** Resolves once every leg's media is here. */
  joined: Promise<void>;
  /** The longest the wait may take, from the first update. */
  boundMs: number;
  /** A name for a new update, unique across the cluster. */
  newAttempt(): string;
  log: Logger;
}

export type ArrivalResult =
  | { ok: true }
  /** `nothingMoved`: the first leg's update was refused, so no leg's media left where it was. */
  | { ok: false; nothingMoved: boolean; missing: string[]; why: string };

/** How many live-call updates one leg gets: the first, and one repair. */
const TRIES = 2;

export class LegArrivals {
  private readonly latest = new Map<string, string>();
  private readonly tries = new Map<string, number>();
  private onHeld: ((endpoint: string) => void) | undefined;
  private settled = false;

  constructor(private readonly deps: LegArrivalsDeps) {}

  /** A leg reports it holds without media, after the update named `attempt` (an older one's report is stale). */
  held(endpoint: string, attempt: string): void {
    if (this.latest.get(endpoint) === attempt && !this.deps.isHere(endpoint)) this.onHeld?.(endpoint);
  }

  /**
   * Brings `legs` here, the first one first: when its update is refused nothing has moved and the
   * wait ends at once. Resolves once every leg's media is here, or with which did not come and why.
   */
  async bring(legs: readonly LegToBring[]): Promise<ArrivalResult> {
    if (legs.length === 0) {
      await this.deps.joined;
      return { ok: true };
    }
    const [first, ...rest] = legs;
    if (!(await this.ask(first))) return { ok: false, nothingMoved: true, missing: [first.endpoint], why: `the telephony refused to move the ${first.endpoint}'s leg` };
    return new Promise<ArrivalResult>((resolve) => {
      let bound: NodeJS.Timeout | undefined = undefined;
      const finish = (r: ArrivalResult): void => {
        if (this.settled) return;
        this.settled = true;
        this.onHeld = undefined;
        clearTimeout(bound);
        resolve(r);
      };
      const missing = (): string[] => legs.filter((l) => !this.deps.isHere(l.endpoint)).map((l) => l.endpoint);
      const giveUp = (why: string): void => finish({ ok: false, nothingMoved: false, missing: missing(), why });
      /** The leg's repair: its update once more, unless it had it; a leg out of tries ends the wait. */
      const repair = async (leg: LegToBring, cause: string): Promise<void> => {
        if (this.settled || this.deps.isHere(leg.endpoint)) return;
        if ((this.tries.get(leg.endpoint) ?? 0) >= TRIES) return giveUp(`the ${leg.endpoint}'s media did not come: ${cause}, twice`);
        this.deps.log.warn({ event: 'call.leg_repair', legId: leg.endpoint, callSid: leg.legRef, cause }, `the ${leg.endpoint}'s media did not come (${cause}): asking for it once more`);
        if (!(await this.ask(leg)) && !this.settled) giveUp(`the telephony refused to move the ${leg.endpoint}'s leg, twice`);
      };
      this.onHeld = (endpoint) => {
        const leg = legs.find((l) => l.endpoint === endpoint);
        if (leg) void repair(leg, 'its stream failed');
      };
      void this.deps.joined.then(() => finish({ ok: true }));
      bound = setTimeout(() => giveUp(`not all of it came within ${this.deps.boundMs / 1000} s`), this.deps.boundMs);
      for (const leg of rest) {
        void this.ask(leg).then((ok) => {
          if (!ok) void repair(leg, 'its update was refused');
        });
      }
    });
  }

  /** One live-call update for `leg`; false when the telephony refused it. */
  private async ask(leg: LegToBring): Promise<boolean> {
    const attempt = this.deps.newAttempt();
    this.latest.set(leg.endpoint, attempt);
    this.tries.set(leg.endpoint, (this.tries.get(leg.endpoint) ?? 0) + 1);
    try {
      await this.deps.reconnect(leg, attempt);
      return true;
    } catch (err) {
      this.deps.log.warn({ event: 'call.leg_update_refused', legId: leg.endpoint, callSid: leg.legRef, attempt, err }, `the telephony refused to move the ${leg.endpoint}'s leg`);
      return false;
    }
  }
}
