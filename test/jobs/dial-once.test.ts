/**
 * BullMQ runs a dial job again when the worker running it stopped renewing its lock (it died, or
 * its event loop stalled): the leg is placed once all the same (Twilio takes no idempotency key),
 * and every run answers with that one leg.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { openClusterRedis } from '../../src/cluster/redis';
import type { DialRequest, LegReport, Telephony } from '../../src/call/ports';
import { RedisDialLedger, RENEW_MS, STALE_MS, type DialClaim, type DialLedger, type PlacedOutcome } from '../../src/jobs/dial-ledger';
import { placeOnce } from '../../src/jobs/dial-once';
import { DIAL_QUEUE, dialProcessor, dialQueueSpec, type DialJob, type DialResult } from '../../src/jobs/dial-queue';
import { FinalJobError, type JobContext } from '../../src/jobs/queue';
import { createLogger } from '../../src/log/logger';
import { dropPrefix, openTestQueues, REDIS_URL, silent, uniquePrefix, waitFor, type TestQueues } from './helpers';

/** The phone network, counting the legs it was asked to place. */
class Network implements Telephony {
  readonly placed: string[] = [];
  readonly hungUp: string[] = [];
  /** Holds each placement until it resolves. */
  gate: Promise<void> = Promise.resolve();
  async dial(req: DialRequest): Promise<string> {
    const sid = `CA-${req.callId}-${this.placed.length + 1}`;
    this.placed.push(sid);
    await this.gate;
    return sid;
  }
  hangUp(legRef: string): Promise<void> {
    this.hungUp.push(legRef);
    return Promise.resolve();
  }
  async sayAndHangUp(): Promise<void> {}
  lookUp(): Promise<LegReport | undefined> {
    return Promise.resolve(undefined);
  }
}

const retryable = (err: unknown) => (err as { status?: number }).status === 429;

const agentDial = (callId: string): DialJob => ({
  request: { callId, endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 30 },
  deadline: Date.now() + 30_000,
});

/** A logger keeping the events it was given. */
function recording(): { events: string[]; logger: ReturnType<typeof createLogger> } {
  const events: string[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => cb(void events.push((JSON.parse(c.toString()) as { event?: string }).event ?? '')) }) });
  return { events, logger };
}

describe('a dial job run twice', () => {
  let redis: Redis | undefined;
  let q: TestQueues | undefined;
  const prefix = uniquePrefix();
  afterEach(async () => {
    await q?.close();
    redis?.disconnect();
    await dropPrefix(prefix);
  });

  function ledger(): RedisDialLedger {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    return new RedisDialLedger(redis, `${prefix}:cluster:dials:`);
  }

  it('after its first run placed the leg (and stopped before the job completed) places nothing again, and answers with that leg', async () => {
    const network = new Network();
    const processor = dialProcessor(network, retryable, { ledger: ledger(), logger: silent });
    const job: JobContext<DialJob> = { id: 'dial.stalled.agent', data: agentDial('stalled'), attempt: 1, attempts: 6 };
    const first = await processor(job);
    // BullMQ found the job stalled and runs it again (the attempt is not counted).
    const again: DialResult = await processor(job);
    expect(network.placed).toEqual(['CA-stalled-1']);
    expect([first, again]).toEqual(['CA-stalled-1', 'CA-stalled-1']);
  });

  it('by two workers at once (it was taken over while its first run waited for the network) places one leg', async () => {
    const network = new Network();
    let open = (): void => undefined;
    network.gate = new Promise<void>((r) => (open = r));
    q = openTestQueues('redis', [dialQueueSpec(5)], { prefix, lockDurationMs: 1000 });
    const dial = dialProcessor(network, retryable, { ledger: ledger(), logger: silent });
    let runs = 0;
    q.jobs.work<DialJob, DialResult>(DIAL_QUEUE, (job) => {
      runs++;
      return dial(job);
    });
    const result = q.jobs.addAndWait<DialJob, DialResult>(DIAL_QUEUE, { id: 'dial.twice.agent', data: agentDial('twice'), attempts: 6 }, 20_000);
    await waitFor(() => network.placed.length === 1, 5000, 'the first run to ask the network');
    // Its worker stops renewing the job's lock (a stalled event loop): BullMQ hands the job to a worker again.
    await redis!.del(`${prefix}:${DIAL_QUEUE}:dial.twice.agent:lock`);
    await waitFor(() => runs === 2, 10_000, 'the job to run again');
    await new Promise((r) => setTimeout(r, 500));
    open();
    await expect(result).resolves.toBe('CA-twice-1');
    expect(network.placed).toEqual(['CA-twice-1']);
    expect(network.hungUp).toEqual([]);
  }, 30_000);

  it('hangs up the leg a run placed after another run took the job over (its claim went stale while it stalled), and answers with the other run\'s leg', async () => {
    const network = new Network();
    let open = (): void => undefined;
    network.gate = new Promise<void>((r) => (open = r));
    const dial = dialProcessor(network, retryable, { ledger: ledger(), logger: silent });
    const job: JobContext<DialJob> = { id: 'dial.overtaken.agent', data: agentDial('overtaken'), attempt: 1, attempts: 6 };
    const first = dial(job);
    await waitFor(() => network.placed.length === 1, 5000, 'the first run to ask the network');
    // Meanwhile its claim went stale and another run placed the leg.
    await redis!.set(`${prefix}:cluster:dials:dial.overtaken.agent`, JSON.stringify({ run: 'another', leg: 'CA-other' }), 'PX', 60_000);
    open();
    await expect(first).resolves.toBe('CA-other');
    expect(network.hungUp).toEqual(['CA-overtaken-1']);
  });
});

describe('a dial job whose ledger (Redis) does not answer', () => {
  const hangs = <T>(): Promise<T> => new Promise<T>(() => undefined);
  /** What the job did by the time its leg's ring timeout passed. */
  async function byRingTimeout<T>(work: Promise<T>, deadline: number): Promise<{ answered: T } | { failed: string } | 'still dialling'> {
    let timer: NodeJS.Timeout | undefined;
    const passed = new Promise<'still dialling'>((r) => (timer = setTimeout(() => r('still dialling'), deadline - Date.now())));
    try {
      return await Promise.race([work.then((answered) => ({ answered }), (err: Error) => ({ failed: err.message })), passed]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('places nothing when its claim is not answered, and gives the call its answer within the ring timeout', async () => {
    const network = new Network();
    const released: string[] = [];
    const ledger: DialLedger = { claim: hangs, renew: () => Promise.resolve(), placed: hangs, release: (_id, run) => Promise.resolve(void released.push(run)) };
    const data = { ...agentDial('claim-hangs'), deadline: Date.now() + 6000 };
    const settled = await byRingTimeout(dialProcessor(network, retryable, { ledger, logger: silent })({ id: 'dial.claim-hangs.agent', data, attempt: 1, attempts: 6 }), data.deadline);
    expect(settled).toEqual({ failed: expect.stringMatching(/dial ledger \(Redis\) did not answer/) as unknown });
    expect(network.placed).toEqual([]);
    // Its claim, should it land later, does not keep the job's next attempt waiting.
    expect(released).toHaveLength(1);
  });

  it('places nothing when Redis itself takes the claim for unanswered (the connection\'s own command deadline passing first)', async () => {
    // A server that takes the connection and never answers: Redis hanging, as tolk's client sees it.
    const sockets: Socket[] = [];
    const silentRedis = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silentRedis.listen(0, '127.0.0.1', r));
    const cluster = openClusterRedis({ url: `redis://127.0.0.1:${(silentRedis.address() as AddressInfo).port}`, prefix: 'silent' });
    try {
      const network = new Network();
      const data = { ...agentDial('redis-hangs'), deadline: Date.now() + 6000 };
      const dial = dialProcessor(network, retryable, { ledger: new RedisDialLedger(cluster.client, 'silent:cluster:dials:'), logger: silent });
      const settled = await byRingTimeout(dial({ id: 'dial.redis-hangs.agent', data, attempt: 1, attempts: 6 }), data.deadline);
      expect(settled).toEqual({ failed: expect.stringMatching(/dial ledger \(Redis\) did not answer/) as unknown });
      expect(network.placed).toEqual([]);
    } finally {
      cluster.client.disconnect();
      for (const s of sockets) s.destroy();
      silentRedis.close();
    }
  });

  it('places nothing when its claim fails with an error (the claim may have run, its answer that another run places the leg lost), and is tried again within the ring timeout', async () => {
    const network = new Network();
    const released: string[] = [];
    // Another run holds the job and places the leg: Redis ran this run's claim (answering 'busy'), and the connection failed before the reply.
    const ledger: DialLedger = {
      claim: () => Promise.reject(new Error('Connection is closed.')),
      renew: () => Promise.resolve(),
      placed: () => Promise.resolve<PlacedOutcome>({ kind: 'taken-over', legRef: 'CA-other' }),
      release: (_id, run) => Promise.resolve(void released.push(run)),
    };
    const data = { ...agentDial('claim-fails'), deadline: Date.now() + 6000 };
    const run = dialProcessor(network, retryable, { ledger, logger: silent })({ id: 'dial.claim-fails.agent', data, attempt: 1, attempts: 6 });
    const failure = run.catch((err: unknown) => err);
    const settled = await byRingTimeout(run, data.deadline);
    expect(settled).toEqual({ failed: expect.stringMatching(/dial ledger \(Redis\) failed the claim/) as unknown });
    // The agent's phone does not ring for this run: the other run's leg is the only one.
    expect(network.placed).toEqual([]);
    expect(network.hungUp).toEqual([]);
    // Tried again (not failed for good), its claim released should it have landed.
    expect(await failure).not.toBeInstanceOf(FinalJobError);
    expect(released).toHaveLength(1);
  });

  it('renews its claim one renewal at a time while the leg is placed: none is sent while the last is unanswered and under its 2 s', async () => {
    jest.useFakeTimers();
    try {
      const sent: number[] = [];
      let answering = false;
      const ledger: DialLedger = {
        claim: () => Promise.resolve<DialClaim>({ kind: 'claimed' }),
        renew: () => {
          sent.push(Date.now());
          return answering ? Promise.resolve() : hangs<void>();
        },
        placed: () => Promise.resolve<PlacedOutcome>({ kind: 'kept' }),
        release: () => Promise.resolve(),
      };
      let accept: (sid: string) => void = () => undefined;
      const placing = placeOnce({ id: 'dial.renew-hangs.agent', callId: 'renew-hangs', deadline: Date.now() + 30_000 }, () => new Promise<string>((r) => (accept = r)), {
        ledger,
        telephony: new Network(),
        logger: silent,
        now: Date.now,
      });
      const gaps = (at: number[]): number[] => at.slice(1).map((t, i) => t - at[i]);
      // Twilio takes 10 s to accept the leg, and Redis does not answer meanwhile.
      await jest.advanceTimersByTimeAsync(10_000);
      const unanswered = sent.length;
      expect(unanswered).toBeGreaterThan(1);
      for (const gap of gaps(sent)) expect(gap).toBeGreaterThanOrEqual(2000);
      // Redis answers again: the claim is renewed at every tick.
      answering = true;
      await jest.advanceTimersByTimeAsync(5 * RENEW_MS + 2000);
      const answered = sent.slice(unanswered);
      expect(answered.length).toBeGreaterThan(3);
      expect(gaps(answered)).toEqual(answered.slice(1).map(() => RENEW_MS));
      accept('CA-renew-hangs-1');
      await expect(placing).resolves.toBe('CA-renew-hangs-1');
      const count = sent.length;
      await jest.advanceTimersByTimeAsync(5 * RENEW_MS);
      expect(sent).toHaveLength(count);
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers with the leg placed when the writing of it is not answered, and hangs it up should the ledger say later that another run took the job over', async () => {
    const network = new Network();
    let answerLate: (o: PlacedOutcome) => void = () => undefined;
    const ledger: DialLedger = {
      claim: () => Promise.resolve<DialClaim>({ kind: 'claimed' }),
      renew: () => Promise.resolve(),
      placed: () => new Promise<PlacedOutcome>((r) => (answerLate = r)),
      release: () => Promise.resolve(),
    };
    const data = { ...agentDial('placed-hangs'), deadline: Date.now() + 6000 };
    const settled = await byRingTimeout(dialProcessor(network, retryable, { ledger, logger: silent })({ id: 'dial.placed-hangs.agent', data, attempt: 1, attempts: 6 }), data.deadline);
    expect(settled).toEqual({ answered: 'CA-placed-hangs-1' });
    expect(network.hungUp).toEqual([]);
    answerLate({ kind: 'taken-over', legRef: 'CA-other' });
    await waitFor(() => network.hungUp.length > 0, 5000, 'the leg to be hung up');
    expect(network.hungUp).toEqual(['CA-placed-hangs-1']);
  });

  /**
   * A ledger whose first writing of the leg goes unanswered and its answer is dropped, as Redis's
   * connection drops a reply that comes after its command deadline; later writings answer `then`.
   */
  function firstWritingDropped(then: PlacedOutcome): DialLedger & { writings: number } {
    return {
      writings: 0,
      claim: () => Promise.resolve<DialClaim>({ kind: 'claimed' }),
      renew: () => Promise.resolve(),
      placed(): Promise<PlacedOutcome> {
        return this.writings++ === 0 ? hangs() : Promise.resolve(then);
      },
      release: () => Promise.resolve(),
    };
  }

  it('hangs up the leg placed when the writing of it goes unanswered for good and the ledger, asked again, says another run took the job over', async () => {
    const network = new Network();
    const ledger = firstWritingDropped({ kind: 'taken-over', legRef: 'CA-other' });
    const data = { ...agentDial('placed-dropped'), deadline: Date.now() + 6000 };
    const settled = await byRingTimeout(dialProcessor(network, retryable, { ledger, logger: silent })({ id: 'dial.placed-dropped.agent', data, attempt: 1, attempts: 6 }), data.deadline);
    expect(settled).toEqual({ answered: 'CA-placed-dropped-1' });
    await waitFor(() => network.hungUp.length > 0, 15_000, 'the leg to be hung up');
    expect(network.hungUp).toEqual(['CA-placed-dropped-1']);
  }, 20_000);

  it('keeps the leg placed when the writing of it goes unanswered for good and the ledger, asked again, says the job is still the run\'s', async () => {
    const network = new Network();
    const ledger = firstWritingDropped({ kind: 'kept' });
    const { events, logger } = recording();
    const data = { ...agentDial('placed-kept'), deadline: Date.now() + 6000 };
    const settled = await byRingTimeout(dialProcessor(network, retryable, { ledger, logger })({ id: 'dial.placed-kept.agent', data, attempt: 1, attempts: 6 }), data.deadline);
    expect(settled).toEqual({ answered: 'CA-placed-kept-1' });
    await waitFor(() => events.includes('dial.leg_confirmed'), 15_000, 'the ledger to be asked again');
    expect(ledger.writings).toBeGreaterThan(1);
    expect(network.hungUp).toEqual([]);
  }, 20_000);

  it('hangs up the leg placed when Redis answers the writing of it only after the connection gave up on it, and another run took the job over', async () => {
    // Between tolk and Redis, a link that can hold Redis's replies back: Redis slow, as tolk's client sees it.
    const sockets: Socket[] = [];
    let holding = false;
    const held: (() => void)[] = [];
    const slowRedis = createServer((s) => {
      const up = connect(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
      sockets.push(s, up);
      up.on('data', (d) => (holding ? held.push(() => s.write(d)) : s.write(d)));
      s.on('data', (d) => up.write(d));
      s.on('error', () => undefined);
      up.on('error', () => undefined);
    });
    await new Promise<void>((r) => slowRedis.listen(0, '127.0.0.1', r));
    const prefix = uniquePrefix();
    const cluster = openClusterRedis({ url: `redis://127.0.0.1:${(slowRedis.address() as AddressInfo).port}`, prefix });
    const direct = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const network = new Network();
      let open = (): void => undefined;
      network.gate = new Promise<void>((r) => (open = r));
      const data = { ...agentDial('placed-late'), deadline: Date.now() + 6000 };
      const dial = dialProcessor(network, retryable, { ledger: new RedisDialLedger(cluster.client, `${prefix}:cluster:dials:`), logger: silent });
      const placing = dial({ id: 'dial.placed-late.agent', data, attempt: 1, attempts: 6 });
      await waitFor(() => network.placed.length === 1, 5000, 'the run to ask the network');
      // Meanwhile its claim went stale and another run placed the leg; Redis answers this run late.
      await direct.set(`${prefix}:cluster:dials:dial.placed-late.agent`, JSON.stringify({ run: 'another', leg: 'CA-other' }), 'PX', 60_000);
      holding = true;
      open();
      await expect(byRingTimeout(placing, data.deadline)).resolves.toEqual({ answered: 'CA-placed-late-1' });
      holding = false;
      for (const write of held.splice(0)) write();
      await waitFor(() => network.hungUp.length > 0, 15_000, 'the leg to be hung up');
      expect(network.hungUp).toEqual(['CA-placed-late-1']);
    } finally {
      cluster.client.disconnect();
      direct.disconnect();
      for (const s of sockets) s.destroy();
      slowRedis.close();
      await dropPrefix(prefix);
    }
  }, 25_000);
});

describe('the log lines of a dial job run twice', () => {
  /** A logger keeping every line it was given. */
  function lines(): { logged: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
    const logged: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => cb(void logged.push(JSON.parse(c.toString()) as Record<string, unknown>)) }) });
    return { logged, logger };
  }

  it('name the call the leg is for, as well as the job and the legs, so an operator finds them under the call', async () => {
    const network = new Network();
    const { logged, logger } = lines();
    let writings = 0;
    // The first run was taken over while it placed the leg; a later run finds the other run's leg placed.
    const ledger: DialLedger = {
      claim: () => Promise.resolve<DialClaim>(writings === 0 ? { kind: 'claimed' } : { kind: 'placed', legRef: 'CA-other' }),
      renew: () => Promise.resolve(),
      placed: () => Promise.resolve<PlacedOutcome>(writings++ === 0 ? { kind: 'taken-over', legRef: 'CA-other' } : { kind: 'kept' }),
      release: () => Promise.resolve(),
    };
    const dial = dialProcessor(network, retryable, { ledger, logger });
    const job: JobContext<DialJob> = { id: 'dial.logged.agent', data: agentDial('logged'), attempt: 1, attempts: 6 };
    await expect(dial(job)).resolves.toBe('CA-other');
    await expect(dial(job)).resolves.toBe('CA-other');
    expect(network.hungUp).toEqual(['CA-logged-1']);
    const events = logged.map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['dial.taken_over', 'dial.placed_before']));
    expect(logged.find((l) => l.event === 'dial.taken_over')).toMatchObject({ legSid: 'CA-logged-1', otherLegSid: 'CA-other' });
    for (const line of logged) expect(line).toMatchObject({ callId: 'logged', jobId: 'dial.logged.agent' });
  });
});

/**
 * The ledger as dial-ledger.ts keeps it in Redis (a claim not renewed for STALE_MS is stale), on the
 * test's clock. While `down`, Redis is out of reach: a command neither lands nor is answered.
 */
class ModelLedger implements DialLedger {
  down = false;
  writings = 0;
  private readonly entries = new Map<string, { run: string; at: number; leg?: string }>();
  claim(jobId: string, run: string): Promise<DialClaim> {
    return this.command(() => {
      const e = this.entries.get(jobId);
      if (e?.leg) return { kind: 'placed', legRef: e.leg };
      if (e && e.run !== run && Date.now() - e.at < STALE_MS) return { kind: 'busy' };
      this.entries.set(jobId, { run, at: Date.now() });
      return { kind: 'claimed' };
    });
  }
  renew(jobId: string, run: string): Promise<void> {
    return this.command(() => {
      const e = this.entries.get(jobId);
      if (e?.run === run && !e.leg) e.at = Date.now();
    });
  }
  placed(jobId: string, run: string, legRef: string): Promise<PlacedOutcome> {
    this.writings++;
    return this.command(() => {
      const e = this.entries.get(jobId);
      if (e && e.run !== run) return { kind: 'taken-over', ...(e.leg ? { legRef: e.leg } : {}) };
      this.entries.set(jobId, { run, at: Date.now(), leg: legRef });
      return { kind: 'kept' };
    });
  }
  release(jobId: string, run: string): Promise<void> {
    return this.command(() => {
      const e = this.entries.get(jobId);
      if (e?.run === run && !e.leg) this.entries.delete(jobId);
    });
  }
  /** Run `run` holds the job (as one does that claimed it once another's claim went stale). */
  takeOver(jobId: string, run: string): void {
    this.entries.set(jobId, { run, at: Date.now() });
  }
  private command<T>(run: () => T): Promise<T> {
    return this.down ? new Promise<T>(() => undefined) : Promise.resolve(run());
  }
}

describe('a dial run whose writing of the leg it placed Redis answers none of', () => {
  const request: DialRequest = { callId: 'unconfirmed', endpoint: 'agent', destination: '+15550002222', callerId: '+15550001111', ringTimeoutSec: 60 };

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps the job for its leg: a run of the job once Redis is back (BullMQ running it again) answers with that leg, and the agent\'s phone rings once', async () => {
    const network = new Network();
    const ledger = new ModelLedger();
    const { events, logger } = recording();
    const deps = { ledger, telephony: network, logger, now: Date.now };
    const job = { id: 'dial.unconfirmed.agent', callId: 'unconfirmed', deadline: Date.now() + 59_000 };
    // Redis goes out of reach just as the network accepts the leg.
    const first = placeOnce(job, async () => network.dial(request).finally(() => (ledger.down = true)), deps);
    await jest.advanceTimersByTimeAsync(2000);
    await expect(first).resolves.toBe('CA-unconfirmed-1');
    await jest.advanceTimersByTimeAsync(15_000);
    expect(events).toContain('dial.leg_unconfirmed');
    // Redis is back; the first run's worker lost the job's lock meanwhile, and BullMQ runs the job again.
    ledger.down = false;
    await jest.advanceTimersByTimeAsync(5000);
    const again = placeOnce(job, () => network.dial(request), deps);
    await jest.advanceTimersByTimeAsync(1000);
    await expect(again).resolves.toBe('CA-unconfirmed-1');
    expect(network.placed).toEqual(['CA-unconfirmed-1']);
    expect(network.hungUp).toEqual([]);
    expect(events).toContain('dial.leg_confirmed');
  });

  it('hangs its leg up should another run take the job over before Redis records it, so that one leg rings', async () => {
    const network = new Network();
    const ledger = new ModelLedger();
    const deps = { ledger, telephony: network, logger: silent, now: Date.now };
    const job = { id: 'dial.unconfirmed.agent', callId: 'unconfirmed', deadline: Date.now() + 59_000 };
    const first = placeOnce(job, async () => network.dial(request).finally(() => (ledger.down = true)), deps);
    await jest.advanceTimersByTimeAsync(17_000);
    await expect(first).resolves.toBe('CA-unconfirmed-1');
    // Redis is back, and a run of the job claims it (stale) before the first run writes its leg again.
    ledger.down = false;
    const again = placeOnce(job, () => network.dial(request), deps);
    await jest.advanceTimersByTimeAsync(5000);
    await expect(again).resolves.toBe('CA-unconfirmed-2');
    expect(network.hungUp).toEqual(['CA-unconfirmed-1']);
  });

  it('writes its leg again only until the leg\'s time to be placed has passed', async () => {
    const network = new Network();
    const ledger = new ModelLedger();
    const { events, logger } = recording();
    const job = { id: 'dial.unrecorded.agent', callId: 'unconfirmed', deadline: Date.now() + 30_000 };
    const first = placeOnce(job, async () => network.dial(request).finally(() => (ledger.down = true)), { ledger, telephony: network, logger, now: Date.now });
    await jest.advanceTimersByTimeAsync(45_000);
    await expect(first).resolves.toBe('CA-unconfirmed-1');
    expect(events).toContain('dial.leg_unrecorded_in_ledger');
    const writings = ledger.writings;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(ledger.writings).toBe(writings);
    expect(network.hungUp).toEqual([]);
  });

  it('writes its leg again when the writing failed with an error, and hangs it up should another run have taken the job over', async () => {
    const network = new Network();
    const ledger = new ModelLedger();
    const placed = ledger.placed.bind(ledger);
    ledger.placed = (...args) => (ledger.writings === 0 ? Promise.reject(new Error('Connection is closed.')).finally(() => ledger.writings++) : placed(...args));
    const job = { id: 'dial.write-fails.agent', callId: 'write-fails', deadline: Date.now() + 30_000 };
    // Another run claims the job (the first one's claim gone stale) while the network is asked.
    const first = placeOnce(job, async () => network.dial(request).finally(() => ledger.takeOver(job.id, 'another')), { ledger, telephony: network, logger: silent, now: Date.now });
    await expect(first).resolves.toBe('CA-unconfirmed-1');
    expect(network.hungUp).toEqual([]);
    await jest.advanceTimersByTimeAsync(5000);
    expect(network.hungUp).toEqual(['CA-unconfirmed-1']);
  });
});
