/**
 * A call whose end could be neither written (the database failing) nor queued (no job queue for
 * it, or Redis failing too) keeps its own end: the instance that served it keeps the end in memory
 * and writes it once the database is back, instead of the call being closed later as one nobody
 * served (`interrupted`); stopping, it tries a last time, within a deadline, and logs what it could
 * not write with the outcome.
 */
import { Writable } from 'node:stream';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { KeptEnds } from '../../src/call/kept-ends';
import type { LegReport } from '../../src/call/ports';
import { CallReconciler, STALE_INTERVALS } from '../../src/call/reconciler';
import { recordCalls } from '../../src/call/subscribers/records';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';
import { createLogger } from '../../src/log/logger';
import type { CallRecord, CallRecordPatch } from '../../src/store/call-record';
import type { CallEnd, UnservedQuery } from '../../src/store/call-record-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { bridgedCall } from './fakes/call-records';

const BOOT = Date.parse('2026-01-01T12:00:00Z');
const INTERVAL = 30_000;

const end = (outcome: CallEnd['outcome'], at: number): CallEnd => ({ outcome, endReason: outcome, endedAt: new Date(BOOT + at) });

describe('the ends kept in memory', () => {
  it('keep the oldest first, a call once (its first end), and drop the oldest beyond their cap', () => {
    const kept = new KeptEnds(2);
    expect(kept.keep('a', end('completed', 1))).toBeUndefined();
    expect(kept.keep('a', end('interrupted', 2))).toBeUndefined();
    expect(kept.keep('b', end('busy', 3))).toBeUndefined();
    expect(kept.get('a')).toEqual(end('completed', 1));
    expect(kept.keep('c', end('failed', 4))).toEqual({ callId: 'a', end: end('completed', 1) });
    expect(kept.list()).toEqual([
      { callId: 'b', end: end('busy', 3) },
      { callId: 'c', end: end('failed', 4) },
    ]);
    kept.delete('b');
    expect(kept.ids()).toEqual(['c']);
    expect(kept.size).toBe(1);
    expect(kept.has('b')).toBe(false);
  });

  it('refuse a cap that is not a positive whole number', () => {
    expect(() => new KeptEnds(0)).toThrow(RangeError);
    expect(() => new KeptEnds(1.5)).toThrow(RangeError);
  });
});

/** A database that fails every call while `down`, and never answers while `hung`. */
class FlakyStore extends InMemoryCallRecordStore {
  down = false;
  hung = false;
  private guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.hung) return new Promise<T>(() => undefined);
    return this.down ? Promise.reject(new Error('the database is unreachable')) : work();
  }
  override close(id: string, e: CallEnd): Promise<boolean> {
    return this.guard(() => super.close(id, e));
  }
  override update(id: string, patch: CallRecordPatch): Promise<boolean> {
    return this.guard(() => super.update(id, patch));
  }
  override touch(ids: readonly string[], at: Date): Promise<void> {
    return this.guard(() => super.touch(ids, at));
  }
  override unserved(q: UnservedQuery): Promise<CallRecord[]> {
    return this.guard(() => super.unserved(q));
  }
}

/** Both legs of the call ended, as the network reports it to anyone who asks. */
const network = {
  hungUp: [] as string[],
  lookUp: (): Promise<LegReport | undefined> => Promise.resolve({ status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 2_000) }),
  hangUp(callSid: string): Promise<void> {
    this.hungUp.push(callSid);
    return Promise.resolve();
  },
};

function setup(opts: { maxKeptEnds?: number; stopWriteMs?: number } = {}) {
  const store = new FlakyStore();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  let now = BOOT;
  const events = new CallEventBus(logger);
  const ended: CallEvent[] = [];
  events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
  // No call-ends queue: an end cannot be queued.
  const jobs = new MemoryJobQueues({ specs: [], logger });
  const reconcilerOf = (instance: string) =>
    new CallReconciler({ records: store, telephony: network, instance, startedAt: new Date(BOOT), intervalMs: INTERVAL, serving: () => [], events, jobs, logger, now: () => now, ...opts });
  const reconciler = reconcilerOf('host-a:8080');
  recordCalls(events, store, { endNotWritten: (id, e) => reconciler.endNotWritten(id, e) });
  return { store, lines, events, ended, reconciler, reconcilerOf, advance: (ms: number) => (now += ms) };
}

async function liveCall(store: InMemoryCallRecordStore, id: string): Promise<void> {
  await store.create(
    bridgedCall(id, {
      legs: [{ role: 'caller', callSid: `CA-${id}`, language: 'es' }],
      startedAt: new Date(BOOT + 1_000),
      answeredAt: new Date(BOOT + 1_500),
      instance: 'host-a:8080',
    }),
  );
}

/** The call ends on host-a, whose database is down: its end can be neither written nor queued. */
async function endWhileDown(s: ReturnType<typeof setup>, id: string, at = 2_000): Promise<void> {
  s.store.down = true;
  s.events.publish({ type: 'call.ended', callId: id, at: BOOT + at, outcome: 'completed', reason: 'the caller hung up', durationMs: 500 });
  await s.events.settle(id);
  await new Promise((r) => setImmediate(r));
}

describe('a call whose end could be neither written nor queued', () => {
  it('is written with its own outcome once the database is back, and no instance closes it meanwhile', async () => {
    const s = setup();
    await liveCall(s.store, 'c1');
    await endWhileDown(s, 'c1');
    // Another instance sharing the database, which would take the call for one nobody serves.
    const other = s.reconcilerOf('host-b:8080');
    for (let i = 0; i < 3; i++) {
      s.advance(INTERVAL);
      expect(await s.reconciler.pass()).toBe(0);
    }
    s.store.down = false;
    // Long past the time a call is taken as orphaned, and past the reconciler's five tries at one.
    for (let i = 0; i < STALE_INTERVALS + 6; i++) {
      s.advance(INTERVAL);
      expect(await other.pass()).toBe(0);
      expect(await s.reconciler.pass()).toBe(0);
    }
    expect(await s.store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(BOOT + 2_000) });
    expect(s.ended.map((e) => [e.callId, e.type === 'call.ended' && e.outcome])).toEqual([['c1', 'completed']]);
    expect(s.lines).toContainEqual(expect.objectContaining({ event: 'call.end_kept', callId: 'c1', outcome: 'completed' }));
    expect(s.lines).toContainEqual(expect.objectContaining({ event: 'call.end_written', callId: 'c1' }));
    expect(s.lines.filter((l) => l.event === 'call.end_lost')).toEqual([]);
    expect(network.hungUp).toEqual([]);
  });

  it('is written when the instance stops, once the database is back', async () => {
    const s = setup();
    await liveCall(s.store, 'c1');
    await endWhileDown(s, 'c1');
    s.store.down = false;
    await s.reconciler.stop();
    expect(await s.store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up' });
    expect(s.lines.filter((l) => l.event === 'call.end_lost')).toEqual([]);
  });

  it('does not hold up stopping past its deadline when the database does not answer, and is logged lost with its end', async () => {
    const s = setup({ stopWriteMs: 50 });
    await liveCall(s.store, 'c1');
    await endWhileDown(s, 'c1');
    s.store.hung = true;
    const started = Date.now();
    await s.reconciler.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s.lines.filter((l) => l.event === 'call.end_lost')).toEqual([
      expect.objectContaining({ level: 'error', callId: 'c1', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(BOOT + 2_000).toISOString() }),
    ]);
    // Once stopped, an end that cannot be queued is logged lost at once.
    s.store.hung = false;
    await liveCall(s.store, 'c2');
    await endWhileDown(s, 'c2');
    expect(s.lines.filter((l) => l.event === 'call.end_lost').map((l) => l.callId)).toEqual(['c1', 'c2']);
  });

  it('keeps at most its cap of ends: the oldest beyond it is logged lost with its end', async () => {
    const s = setup({ maxKeptEnds: 2 });
    for (const id of ['c1', 'c2', 'c3']) {
      await liveCall(s.store, id);
      await endWhileDown(s, id);
    }
    expect(s.lines.filter((l) => l.event === 'call.end_lost')).toEqual([expect.objectContaining({ callId: 'c1', outcome: 'completed', endReason: 'the caller hung up' })]);
    s.store.down = false;
    await s.reconciler.pass();
    expect((await s.store.get('c2'))?.outcome).toBe('completed');
    expect((await s.store.get('c3'))?.outcome).toBe('completed');
  });
});
