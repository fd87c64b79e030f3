/**
 * The calls in progress as a feed for live viewers (the console's Live page): it follows a
 * `CallEventSource` (today the in-process CallEventBus; a Redis pub/sub carrier implementing the
 * same interface can replace it without a change here or in the viewers), numbers every event,
 * keeps the last `ringSize` of them (none older than `maxAgeMs`: what was said is not kept in
 * memory longer than a reconnect needs) so a viewer that reconnects resumes where it left off, and
 * keeps a digest of every call in progress (call-digest.ts) so a viewer that starts, or has
 * missed too much, starts from a snapshot. Bounded: the ring, the digests (one per call in
 * progress, each bounded) and the number of viewers.
 *
 * Event ids are `<feed epoch>-<sequence>`: an id from another feed (tolk restarted) or one too old
 * for the ring gets a snapshot instead of a replay.
 */
import { randomBytes } from 'node:crypto';
import type { CallEvent, CallEventSource } from '../call/events';
import { CallDigest, DEFAULT_DIGEST_LIMITS, type CallDigestLimits } from './call-digest';

export type FeedMessage =
  /** One call event as it happened. */
  | { kind: 'event'; id: string; event: CallEvent }
  /** Every call in progress, as events to replay; it replaces whatever the viewer knew. */
  | { kind: 'snapshot'; id: string; events: CallEvent[] };

export interface FeedViewer {
  /** Each new event, in order. */
  send(message: Extract<FeedMessage, { kind: 'event' }>): void;
  /** The feed is closing (tolk is stopping): the viewer should end. */
  end(): void;
}

export interface LiveFeedOptions {
  /** Events kept for viewers that resume (default 2000). */
  ringSize?: number;
  /** Viewers at most (default 100). */
  maxViewers?: number;
  /** Calls in progress followed at most (default 10 000; past it the oldest is forgotten). */
  maxCalls?: number;
  digest?: CallDigestLimits;
  /** Events older than this leave the ring (default 10 min): a viewer away longer gets a snapshot. */
  maxAgeMs?: number;
  /** The clock events are aged by (ms; default Date.now). */
  now?: () => number;
}

const ENDED_REMEMBERED = 1000;

export class TooManyViewersError extends Error {
  constructor(max: number) {
    super(`at most ${max} live viewers at once`);
    this.name = 'TooManyViewersError';
  }
}

export class LiveFeed {
  private readonly epoch = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly ring: { seq: number; event: CallEvent; at: number }[] = [];
  private readonly digests = new Map<string, CallDigest>();
  /** Calls that ended lately: a straggling event of theirs does not bring them back. */
  private readonly ended = new Set<string>();
  private viewers: FeedViewer[] = [];
  private readonly unsubscribe: () => void;
  private readonly ringSize: number;
  private readonly maxViewers: number;
  private readonly maxCalls: number;
  private readonly digestLimits: CallDigestLimits;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  /** Ages the ring out while no event comes (a quiet server keeps nothing past its time either). */
  private readonly ager: NodeJS.Timeout;

  constructor(source: CallEventSource, opts: LiveFeedOptions = {}) {
    this.ringSize = opts.ringSize ?? 2000;
    this.maxAgeMs = opts.maxAgeMs ?? 600_000;
    this.now = opts.now ?? Date.now;
    this.ager = setInterval(() => this.ageOut(), Math.min(60_000, this.maxAgeMs)).unref();
    this.maxViewers = opts.maxViewers ?? 100;
    this.maxCalls = opts.maxCalls ?? 10_000;
    this.digestLimits = opts.digest ?? DEFAULT_DIGEST_LIMITS;
    this.unsubscribe = source.subscribe((e) => this.onEvent(e));
  }

  get viewerCount(): number {
    return this.viewers.length;
  }

  /** Ids of the calls in progress. */
  get liveCalls(): string[] {
    return [...this.digests.keys()];
  }

  /**
   * Adds a viewer: returns what it must be sent first (the events after `lastEventId`, or a
   * snapshot), after which `viewer.send` gets every new event. Throws TooManyViewersError when full.
   */
  join(viewer: FeedViewer, lastEventId?: string): { first: FeedMessage[]; leave: () => void } {
    if (this.viewers.length >= this.maxViewers) throw new TooManyViewersError(this.maxViewers);
    const first = this.resume(lastEventId) ?? [this.snapshot()];
    this.viewers = [...this.viewers, viewer];
    return {
      first,
      leave: () => {
        this.viewers = this.viewers.filter((v) => v !== viewer);
      },
    };
  }

  /** Every call in progress, as a snapshot message. */
  snapshot(): Extract<FeedMessage, { kind: 'snapshot' }> {
    return { kind: 'snapshot', id: this.idOf(this.seq), events: [...this.digests.values()].flatMap((d) => d.events()) };
  }

  /** Stops following the source and ends every viewer. */
  close(): void {
    clearInterval(this.ager);
    this.unsubscribe();
    const viewers = this.viewers;
    this.viewers = [];
    for (const v of viewers) v.end();
  }

  private resume(lastEventId: string | undefined): FeedMessage[] | undefined {
    if (lastEventId === undefined) return undefined;
    this.ageOut();
    const m = /^([0-9a-f]{12})-(\d{1,15})$/.exec(lastEventId);
    if (!m || m[1] !== this.epoch) return undefined;
    const after = Number(m[2]);
    if (after > this.seq) return undefined;
    const oldest = this.ring.length > 0 ? this.ring[0].seq : this.seq + 1;
    // Resumable only if nothing after `after` has left the ring.
    if (after + 1 < oldest && after < this.seq) return undefined;
    return this.ring.filter((r) => r.seq > after).map((r) => ({ kind: 'event', id: this.idOf(r.seq), event: r.event }));
  }

  private onEvent(event: CallEvent): void {
    const seq = ++this.seq;
    this.ageOut();
    this.ring.push({ seq, event, at: this.now() });
    if (this.ring.length > this.ringSize) this.ring.shift();
    if (event.type === 'call.ended') {
      this.digests.delete(event.callId);
      this.ended.add(event.callId);
      if (this.ended.size > ENDED_REMEMBERED) this.ended.delete(this.ended.values().next().value as string);
    } else if (!this.ended.has(event.callId)) {
      let digest = this.digests.get(event.callId);
      if (!digest) {
        // A call whose end never came must not hold its digest for ever: the oldest goes first.
        if (this.digests.size >= this.maxCalls) this.digests.delete(this.digests.keys().next().value as string);
        this.digests.set(event.callId, (digest = new CallDigest(this.digestLimits)));
      }
      digest.add(event);
    }
    const message = { kind: 'event' as const, id: this.idOf(seq), event };
    const viewers = this.viewers;
    for (let i = 0; i < viewers.length; i++) viewers[i].send(message);
  }

  /** Drops the events older than `maxAgeMs` from the ring. */
  private ageOut(): void {
    const oldest = this.now() - this.maxAgeMs;
    let n = 0;
    while (n < this.ring.length && this.ring[n].at < oldest) n++;
    if (n > 0) this.ring.splice(0, n);
  }

  private idOf(seq: number): string {
    return `${this.epoch}-${seq}`;
  }
}
