/**
 * The calls in progress as a feed for live viewers (the console's Live page): it follows a
 * `CallEventSource` (today the in-process CallEventBus; a Redis pub/sub carrier implementing the
 * same interface can replace it without a change here or in the viewers), numbers every event,
 * keeps the last `ringSize` of them so a viewer that reconnects resumes where it left off, and
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
  private readonly ring: { seq: number; event: CallEvent }[] = [];
  private readonly digests = new Map<string, CallDigest>();
  /** Calls that ended lately: a straggling event of theirs does not bring them back. */
  private readonly ended = new Set<string>();
  private viewers: FeedViewer[] = [];
  private readonly unsubscribe: () => void;
  private readonly ringSize: number;
  private readonly maxViewers: number;
  private readonly maxCalls: number;
  private readonly digestLimits: CallDigestLimits;

  constructor(source: CallEventSource, opts: LiveFeedOptions = {}) {
    this.ringSize = opts.ringSize ?? 2000;
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
    this.unsubscribe();
    const viewers = this.viewers;
    this.viewers = [];
    for (const v of viewers) v.end();
  }

  private resume(lastEventId: string | undefined): FeedMessage[] | undefined {
    if (lastEventId === undefined) return undefined;
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
    this.ring.push({ seq, event });
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

  private idOf(seq: number): string {
    return `${this.epoch}-${seq}`;
  }
}
