import { Writable } from 'node:stream';
import { CallEventBus, type CallEvent } from '../../src/call/events';
import { CallReconciler, STALE_INTERVALS, type CallReconcilerDeps } from '../../src/call/reconciler';
import { recordCalls } from '../../src/call/subscribers/records';
import type { LegReport } from '../../src/call/ports';
import { createLogger, type Logger } from '../../src/log/logger';
import type { CallRecord, CallRecordPatch, NewCallRecord } from '../../src/store/call-record';
import type { CallEnd, UnservedQuery } from '../../src/store/call-record-store';
import type { JobView } from '../../src/jobs/queue';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { callEndsQueueSpec, queueEnd } from '../../src/jobs/call-ends';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';

const CALLER = 'CA' + '1'.repeat(32);
const AGENT = 'CA' + '2'.repeat(32);
const BOOT = Date.parse('2026-01-01T12:00:00Z');
const INTERVAL = 30_000;

/** The phone network as the reconciler sees it: each leg's report; hanging up ends a leg. */
class FakeNetwork {
  legs = new Map<string, LegReport>();
  hungUp: { callSid: string; ringing: boolean }[] = [];
  down = false;
  lookUp(callSid: string): Promise<LegReport | undefined> {
    return this.down ? Promise.reject(new Error('network down')) : Promise.resolve(this.legs.get(callSid));
  }
  hangUp(callSid: string, opts: { ringing?: boolean } = {}): Promise<void> {
    this.hungUp.push({ callSid, ringing: opts.ringing ?? false });
    this.legs.set(callSid, { status: { state: 'ended', reason: opts.ringing ? 'canceled' : 'completed' }, endedAt: new Date(BOOT + 5_000) });
    return Promise.resolve();
  }
}

function setup(serving: string[] = [], records = new InMemoryCallRecordStore(), over: Partial<CallReconcilerDeps> = {}) {
  /** The calls' ends, as the subscribers of the call event stream see them. */
  const ended: CallEvent[] = [];
  const network = new FakeNetwork();
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
  let now = BOOT;
  const events = new CallEventBus(logger);
  events.subscribe((e) => void (e.type === 'call.ended' && ended.push(e)));
  // The queues the instances share (the ends not written are queued there).
  const jobs = new MemoryJobQueues({ specs: [callEndsQueueSpec], logger });
  const reconciler = new CallReconciler({ records, telephony: network, instance: 'host-a:8080', startedAt: new Date(BOOT), intervalMs: INTERVAL, serving: () => serving, events, jobs, logger, now: () => now, ...over });
  return { records, network, reconciler, lines, ended, events, jobs, now: () => now, advance: (ms: number) => (now += ms) };
}

const call = (id: string, over: Partial<NewCallRecord> = {}): NewCallRecord => ({
  id,
  number: '+15550001111',
  from: '+34600000000',
  destination: '+15550002222',
  languages: { caller: 'es', agent: 'en' },
  legs: [
    { role: 'caller', callSid: CALLER, language: 'es' },
    { role: 'agent', callSid: AGENT, language: 'en' },
  ],
  state: 'bridged',
  startedAt: new Date(BOOT - 60_000),
  answeredAt: new Date(BOOT - 50_000),
  instance: 'host-a:8080',
  ...over,
});

const utterance = { direction: 'caller->agent', source: { text: 'hola', languageCode: 'es' }, translation: { text: 'hello', languageCode: 'en' }, startMs: 1000, endMs: 1800 };

/**
 * With the network down, `passes` passes an interval apart, none closing a call: the times (in
 * intervals since BOOT) a leg was looked up at, then and on any pass after.
 */
async function asksWhileDown(s: ReturnType<typeof setup>, passes: number): Promise<number[]> {
  s.network.down = true;
  const asked: number[] = [];
  const lookUp = s.network.lookUp.bind(s.network);
  s.network.lookUp = (sid) => (asked.push((s.now() - BOOT) / INTERVAL), lookUp(sid));
  for (let i = 0; i < passes; i++) {
    expect(await s.reconciler.pass()).toBe(0);
    s.advance(INTERVAL);
  }
  return asked;
}

/**
 * A reconciler on fake timers over `records`, serving the call 'live' (marked as served every
 * second), whose first pass asks the network about 'orphan' (created here) and waits for its answer
 * until `body` is done; then that pass is answered, the reconciler stopped and the timers real again.
 */
async function whileFirstPassWaits(records: InMemoryCallRecordStore, logger: Logger, over: Partial<CallReconcilerDeps>, body: () => Promise<void>): Promise<void> {
  let release: () => void = () => undefined;
  const network = { lookUp: () => new Promise<LegReport | undefined>((r) => (release = () => r(undefined))), hangUp: () => Promise.resolve() };
  await records.create(call('orphan', { startedAt: new Date(Date.now() - 120_000) }));
  const reconciler = new CallReconciler({ records, telephony: network, instance: 'host-a:8080', startedAt: new Date(), intervalMs: 1000, serving: () => ['live'], events: new CallEventBus(logger), jobs: new MemoryJobQueues({ specs: [callEndsQueueSpec], logger }), logger, ...over });
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
  try {
    reconciler.start();
    await body();
    release();
    const stopping = reconciler.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    await stopping;
  } finally {
    jest.useRealTimers();
  }
}

describe('calls no instance serves any more', () => {
  it("closes this instance's calls from before it started as interrupted, at the time the network reports, keeping the transcript", async () => {
    const s = setup();
    await s.records.create(call('c1'));
    await s.records.appendUtterance('c1', utterance);
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 2_000) });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 1_000) });
    expect(await s.reconciler.pass()).toBe(1);
    const record = await s.records.get('c1');
    expect(record).toMatchObject({
      state: 'ended',
      outcome: 'interrupted',
      endedAt: new Date(BOOT - 1_000),
      endReason: `tolk stopped serving the call while it was bridged; the phone network reports caller completed at ${new Date(BOOT - 2_000).toISOString()}, agent completed at ${new Date(BOOT - 1_000).toISOString()}`,
      transcript: [utterance],
    });
    expect(s.network.hungUp).toEqual([]);
    expect(s.lines.some((l) => l.event === 'call.reconciled' && l.callId === 'c1')).toBe(true);
    // Its end is published as any call's is (the webhook, the live view and the metrics follow it), once,
    // with how long it was connected: from when it was answered, not when it started.
    expect(s.ended).toEqual([{ type: 'call.ended', callId: 'c1', at: BOOT - 1_000, outcome: 'interrupted', reason: record?.endReason, durationMs: 49_000 }]);
    // Done once: the next pass finds nothing.
    expect(await s.reconciler.pass()).toBe(0);
  });

  it("closes a call tolk places that its previous run left calling its customer, and leaves one waiting for its time", async () => {
    const s = setup();
    const outbound = { dueAt: new Date(BOOT - 70_000), attempts: 1, retries: 0, retryAfterSec: 60 };
    await s.records.create(call('c1', { state: 'calling', legs: [], answeredAt: undefined, outbound }));
    await s.records.create(call('c2', { state: 'scheduled', legs: [], answeredAt: undefined, outbound: { ...outbound, attempts: 0 } }));
    expect(await s.reconciler.pass()).toBe(1);
    expect(await s.records.get('c1')).toMatchObject({ state: 'ended', outcome: 'interrupted', endReason: 'tolk stopped serving the call while it was calling; the phone network reports no legs' });
    expect(s.ended).toEqual([expect.objectContaining({ callId: 'c1', outcome: 'interrupted' })]);
    expect(s.ended[0]).not.toHaveProperty('durationMs'); // never answered
    expect(await s.records.get('c2')).toMatchObject({ state: 'scheduled' });
  });

  it('hangs up the legs still up (cancelling one still ringing) and says so', async () => {
    const s = setup();
    await s.records.create(call('c1', { state: 'ringing' }));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'ringing' } });
    await s.reconciler.pass();
    expect(s.network.hungUp).toEqual([
      { callSid: CALLER, ringing: false },
      { callSid: AGENT, ringing: true },
    ]);
    // Said as tolk did it, not as the network words it (completed, canceled: as if a party had).
    const at = new Date(BOOT + 5_000).toISOString();
    expect(await s.records.get('c1')).toMatchObject({
      outcome: 'interrupted',
      endedAt: new Date(BOOT + 5_000),
      endReason: `tolk stopped serving the call while it was ringing; the phone network reports caller hung up by tolk at ${at}, agent cancelled by tolk at ${at}`,
    });
  });

  it('leaves the calls this instance serves now, and other instances that keep saying they serve theirs, alone', async () => {
    const s = setup(['mine']);
    await s.records.create(call('mine', { startedAt: new Date(BOOT + 1_000), legs: [{ role: 'caller', callSid: CALLER, language: 'es' }] }));
    await s.records.create(call('theirs', { instance: 'host-b:8080', startedAt: new Date(BOOT - 1_000), legs: [{ role: 'caller', callSid: AGENT, language: 'es' }] }));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'answered' } });
    expect(await s.reconciler.pass()).toBe(0);
    // host-b stops saying so: after STALE_INTERVALS intervals its call is taken as orphaned; ours is marked each pass.
    s.advance(STALE_INTERVALS * INTERVAL + 1);
    expect(await s.reconciler.pass()).toBe(1);
    expect((await s.records.get('theirs'))?.outcome).toBe('interrupted');
    expect((await s.records.get('mine'))?.outcome).toBeUndefined();
    expect(s.network.hungUp.map((h) => h.callSid)).toEqual([AGENT]);
  });

  it('tries again on the next pass when the network cannot be asked', async () => {
    const s = setup();
    await s.records.create(call('c1'));
    s.network.down = true;
    expect(await s.reconciler.pass()).toBe(0);
    expect((await s.records.get('c1'))?.outcome).toBeUndefined();
    expect(s.lines.some((l) => l.event === 'call.reconcile_failed')).toBe(true);
    s.network.down = false;
    s.advance(INTERVAL);
    expect(await s.reconciler.pass()).toBe(1);
  });

  it("closes a previous run's call as soon as the network reports one of its legs ended", async () => {
    const s = setup();
    await s.records.create(call('c1'));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 3_000) });
    await s.reconciler.legEnded(CALLER);
    expect(await s.records.get('c1')).toMatchObject({ outcome: 'interrupted', endedAt: new Date(BOOT + 3_000) });
    // Never one served now, nor another instance's.
    await s.records.create(call('c2', { instance: 'host-b:8080', legs: [{ role: 'caller', callSid: 'CA' + '3'.repeat(32), language: 'es' }] }));
    await s.reconciler.legEnded('CA' + '3'.repeat(32));
    expect((await s.records.get('c2'))?.outcome).toBeUndefined();
  });

  it("leaves a call tolk places that waits for its next attempt when its last attempt's leg is reported ended late", async () => {
    const s = setup();
    const outbound = { dueAt: new Date(BOOT + 60_000), attempts: 1, retries: 1, retryAfterSec: 60 };
    // Its first attempt, on this instance's previous run, was busy: its leg is in its record.
    await s.records.create(call('c1', { state: 'scheduled', answeredAt: undefined, outbound, legs: [{ role: 'caller', callSid: CALLER, language: 'es' }] }));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'busy' }, endedAt: new Date(BOOT - 30_000) });
    await s.reconciler.legEnded(CALLER);
    expect(await s.records.get('c1')).toMatchObject({ state: 'scheduled', outbound });
    expect((await s.records.get('c1'))?.outcome).toBeUndefined();
    expect(s.ended).toEqual([]);
  });

  it('gives up asking after five failed attempts and closes the call anyway, so it cannot hold up the others; asking less often after each', async () => {
    const s = setup();
    await s.records.create(call('c1'));
    // A pass every interval: Twilio is asked again after one, then two, four and eight.
    const asked = await asksWhileDown(s, 15);
    expect(asked).toEqual([0, 1, 3, 7]);
    expect((await s.records.get('c1'))?.outcome).toBeUndefined();
    expect(await s.reconciler.pass()).toBe(1);
    expect(asked).toEqual([0, 1, 3, 7, 15]);
    expect(await s.records.get('c1')).toMatchObject({ outcome: 'interrupted', endReason: expect.stringContaining('could not be asked') as string });
    // Closed like any other: live viewers are told, and the log says so.
    expect(s.ended.map((e) => e.callId)).toEqual(['c1']);
    expect(s.lines.some((l) => l.event === 'call.reconciled' && l.callId === 'c1')).toBe(true);
  });

  it('never hangs up a call written without an instance (an older tolk may still serve it), and closes it once its legs have ended', async () => {
    const s = setup();
    await s.records.create(call('old', { instance: undefined }));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'answered' } });
    s.advance(STALE_INTERVALS * INTERVAL + 1);
    expect(await s.reconciler.pass()).toBe(0);
    expect(s.network.hungUp).toEqual([]);
    expect((await s.records.get('old'))?.outcome).toBeUndefined();
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 4_000) });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 5_000) });
    expect(await s.reconciler.pass()).toBe(1);
    expect(s.network.hungUp).toEqual([]);
  });

  it('keeps marking its own calls as served while a slow pass is still asking the network', async () => {
    const served = new InMemoryCallRecordStore();
    const touched: number[] = [];
    const write = served.touch.bind(served);
    const records = Object.assign(served, { touch: (ids: readonly string[], at: Date) => (touched.push(at.getTime()), write(ids, at)) });
    await whileFirstPassWaits(records, createLogger({ level: 'silent' }), {}, async () => {
      for (let i = 0; i < 4; i++) await jest.advanceTimersByTimeAsync(1000);
      // The first pass still waits on the network; every interval marked the live call all the same.
      expect(touched.length).toBeGreaterThanOrEqual(5);
    });
  });

  it('sends a database that does not answer no more writes marking its calls as served until it answers, and gives up waiting on each within a step', async () => {
    const served = new InMemoryCallRecordStore();
    const write = served.touch.bind(served);
    let hanging = false;
    const held: (() => void)[] = [];
    let started = 0;
    const records = Object.assign(served, {
      touch: (ids: readonly string[], at: Date) => {
        started++;
        if (!hanging) return write(ids, at);
        return new Promise<void>((r) => held.push(() => void write(ids, at).then(r)));
      },
    });
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), cb()) }) });
    await whileFirstPassWaits(records, logger, { passLimitMs: 30_000 }, async () => {
      await jest.advanceTimersByTimeAsync(0);
      // The pass marked the live call, then waits on the network; the database stops answering.
      expect(started).toBe(1);
      hanging = true;
      for (let i = 0; i < 15; i++) await jest.advanceTimersByTimeAsync(1000);
      // One write it has not answered; the intervals after it sent none, and its wait ended at the step (10 s).
      expect(started).toBe(2);
      expect(lines.filter((l) => l.event === 'reconcile.touch_failed')).toEqual([expect.objectContaining({ err: expect.objectContaining({ message: 'no answer within 10 s' }) })]);
      expect(lines.filter((l) => l.event === 'reconcile.touch_skipped').length).toBeGreaterThanOrEqual(13);
      // It answers: the next interval marks the live call again.
      hanging = false;
      for (const answer of held.splice(0)) answer();
      await jest.advanceTimersByTimeAsync(1000);
      expect(started).toBe(3);
    });
  });
});

describe('the calls of an instance of the cluster that died', () => {
  it('are closed as instance_lost, naming it, hanging up what is still up and keeping the transcript; other instances keep theirs', async () => {
    const s = setup();
    const now = new Date(BOOT + 10_000);
    await s.records.create(call('lost-1', { instance: 'tolk-b', startedAt: now }));
    await s.records.appendUtterance('lost-1', utterance);
    await s.records.create(call('alive-1', { instance: 'tolk-c', startedAt: now, legs: [{ role: 'caller', callSid: 'CA' + '3'.repeat(32), language: 'es' }] }));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 1_000) });
    s.network.legs.set(AGENT, { status: { state: 'answered' } });
    expect(await s.reconciler.closeLost('tolk-b')).toBe(0);
    const lost = await s.records.get('lost-1');
    expect(lost).toMatchObject({ state: 'ended', outcome: 'instance_lost', transcript: [utterance] });
    expect(lost!.endReason).toBe(
      `the tolk instance serving the call (tolk-b) stopped while it was bridged; the phone network reports caller completed at ${new Date(BOOT + 1_000).toISOString()}, agent hung up by tolk at ${new Date(BOOT + 5_000).toISOString()}`,
    );
    expect(s.network.hungUp).toEqual([{ callSid: AGENT, ringing: false }]);
    expect((await s.records.get('alive-1'))?.outcome).toBeUndefined();
  });

  it('leave the parties of a conference tolk joined in their conference', async () => {
    const s = setup();
    await s.records.create(call('joined', { kind: 'conference', conference: 'support-42', number: '', instance: 'tolk-b', startedAt: new Date(BOOT) }));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    expect(await s.reconciler.closeLost('tolk-b')).toBe(0);
    expect(s.network.hungUp).toEqual([]);
    expect(await s.records.get('joined')).toMatchObject({ outcome: 'instance_lost', endReason: 'the tolk instance serving the call (tolk-b) stopped while it was bridged; the conference goes on without its interpreter' });
  });

  it('are given up at the deadline when the network does not answer, left live for the next try', async () => {
    const s = setup([], new InMemoryCallRecordStore(), { passLimitMs: 100 });
    await s.records.create(call('lost-3', { instance: 'tolk-b', startedAt: new Date(BOOT) }));
    s.network.lookUp = () => new Promise(() => undefined);
    const started = Date.now();
    const closing = s.reconciler.closeLost('tolk-b');
    const hung = new Promise((r) => setTimeout(() => r('still waiting'), 2_000).unref());
    await expect(Promise.race([closing, hung])).rejects.toThrow(/^no answer within/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await s.records.get('lost-3'))?.outcome).toBeUndefined();
  });

  it('are waited for by stop, within its deadline', async () => {
    const s = setup([], new InMemoryCallRecordStore(), { stopWriteMs: 50 });
    await s.records.create(call('lost-4', { instance: 'tolk-b', startedAt: new Date(BOOT), legs: [{ role: 'caller', callSid: 'CA' + '4'.repeat(32), language: 'es' }] }));
    await s.records.create(call('c5'));
    let answer: () => void = () => undefined;
    const lookUp = s.network.lookUp.bind(s.network);
    s.network.lookUp = (sid) => new Promise((r) => (answer = () => r(lookUp(sid))));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 1_000) });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 1_000) });
    // A lost instance's call, and a call of this instance's previous run whose leg ended, each asking the network.
    const closing = s.reconciler.closeLost('tolk-b');
    const ending = s.reconciler.legEnded(CALLER);
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await s.reconciler.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    // Stop returned once both were over: abandoned, nothing of them goes on when the network answers.
    const over = await Promise.race([Promise.allSettled([closing, ending]).then(() => 'over'), new Promise((r) => setImmediate(() => r('running')))]);
    expect(over).toBe('over');
    answer();
    await new Promise((r) => setImmediate(r));
    expect((await s.records.get('lost-4'))?.outcome).toBeUndefined();
    expect((await s.records.get('c5'))?.outcome).toBeUndefined();
  });

  it('are tried again later when the network cannot be asked', async () => {
    const s = setup();
    await s.records.create(call('lost-2', { instance: 'tolk-b', startedAt: new Date(BOOT) }));
    s.network.down = true;
    expect(await s.reconciler.closeLost('tolk-b')).toBe(1);
    expect((await s.records.get('lost-2'))?.outcome).toBeUndefined();
    s.network.down = false;
    s.advance(INTERVAL);
    expect(await s.reconciler.closeLost('tolk-b')).toBe(0);
    expect((await s.records.get('lost-2'))?.outcome).toBe('instance_lost');
  });
});

/** A store whose database fails the next `failures` writes of a call's end. */
class FailingEnds extends InMemoryCallRecordStore {
  failures = 0;
  override update(id: string, patch: CallRecordPatch): Promise<boolean> {
    if (patch.outcome !== undefined && this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('the database is unreachable'));
    }
    return super.update(id, patch);
  }
  override close(id: string, end: Parameters<InMemoryCallRecordStore['close']>[1]): Promise<boolean> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('the database is unreachable'));
    }
    return super.close(id, end);
  }
}

describe('a call that ended but whose end could not be written', () => {
  it('ends once: its end is written again, with its own outcome, and no instance closes it a second time meanwhile', async () => {
    const store = new FailingEnds();
    const s = setup([], store);
    recordCalls(s.events, store, { endNotWritten: (id, end) => s.reconciler.endNotWritten(id, end) });
    // Another instance sharing the database, which would take the call for one nobody serves.
    const other = new CallReconciler({ records: store, telephony: s.network, instance: 'host-b:8080', startedAt: new Date(BOOT), intervalMs: INTERVAL, serving: () => [], events: s.events, jobs: s.jobs, logger: createLogger({ level: 'silent' }), now: s.now });
    await store.create(call('c1', { startedAt: new Date(BOOT + 1_000) }));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 2_000) });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT + 2_000) });

    // The call ends as this instance serves it; the database fails that write and the next three.
    store.failures = 4;
    s.events.publish({ type: 'call.ended', callId: 'c1', at: BOOT + 2_000, outcome: 'completed', reason: 'the caller hung up', durationMs: 51_000 });
    await s.events.settle('c1');
    // Each interval, both instances look for calls nobody serves, long past the time one is taken as orphaned.
    for (let i = 0; i < STALE_INTERVALS + 3; i++) {
      s.advance(INTERVAL);
      expect(await other.pass()).toBe(0);
      expect(await s.reconciler.pass()).toBe(0);
    }
    expect(store.failures).toBe(0);
    expect(await store.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(BOOT + 2_000) });
    expect(s.ended.map((e) => [e.callId, e.type === 'call.ended' && e.outcome])).toEqual([['c1', 'completed']]);
    expect(s.network.hungUp).toEqual([]);
  });
});

/** A database that never answers the kinds of call named in `hung` until `answer` is called. */
class HangingStore extends InMemoryCallRecordStore {
  hung = new Set<'unserved' | 'close'>();
  private held: (() => void)[] = [];
  /** Answers every call held so far, as the database would have. */
  answer(): void {
    this.hung.clear();
    for (const release of this.held.splice(0)) release();
  }
  private hold<T>(kind: 'unserved' | 'close', work: () => Promise<T>): Promise<T> {
    if (!this.hung.has(kind)) return work();
    return new Promise<T>((resolve, reject) => this.held.push(() => void work().then(resolve, reject)));
  }
  override unserved(q: UnservedQuery): Promise<CallRecord[]> {
    return this.hold('unserved', () => super.unserved(q));
  }
  override close(id: string, end: CallEnd): Promise<boolean> {
    return this.hold('close', () => super.close(id, end));
  }
}

/** Job queues whose `get` never answers while `hung` (Redis hanging). */
function hangingQueue(jobs: MemoryJobQueues): MemoryJobQueues & { hung: boolean } {
  const queue = Object.assign(jobs, { hung: true });
  const get = jobs.get.bind(jobs);
  queue.get = (name: string, id: string): Promise<JobView | undefined> => (queue.hung ? new Promise(() => undefined) : get(name, id));
  return queue;
}

/** `setup` with job queues hanging (`jobs.hung`), a lookup in them given up after `queueWaitMs`. */
function setupHangingQueue(queueWaitMs: number) {
  const jobs = hangingQueue(new MemoryJobQueues({ specs: [callEndsQueueSpec], logger: createLogger({ level: 'silent' }) }));
  return { ...setup([], new InMemoryCallRecordStore(), { jobs, queueWaitMs }), jobs };
}

describe('a pass whose database or job queue does not answer', () => {
  const outcomes = (ended: CallEvent[]) => ended.map((e) => [e.callId, e.type === 'call.ended' && e.outcome]);

  it('is abandoned at its deadline, logged with the calls it had left, and the next pass closes them; a close written late is still published', async () => {
    const store = new HangingStore();
    const s = setup([], store, { passLimitMs: 100 });
    await store.create(call('c1'));
    await store.create(call('c2', { legs: [] }));
    s.network.legs.set(CALLER, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 1_000) });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT - 1_000) });
    store.hung.add('close');
    const started = Date.now();
    expect(await s.reconciler.pass()).toBe(0);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s.lines.filter((l) => l.event === 'reconcile.pass_abandoned')).toEqual([
      expect.objectContaining({ level: 'error', step: 'closing the calls nobody serves', callIds: ['c1', 'c2'], limitMs: 100 }),
    ]);
    // The database writes the close it held after all: that end is published, once.
    store.answer();
    await new Promise((r) => setImmediate(r));
    expect(await store.get('c1')).toMatchObject({ outcome: 'interrupted' });
    expect(outcomes(s.ended)).toEqual([['c1', 'interrupted']]);
    expect(await s.reconciler.pass()).toBe(1);
    expect(outcomes(s.ended)).toEqual([
      ['c1', 'interrupted'],
      ['c2', 'interrupted'],
    ]);
  });

  it('does not hold up stopping: stop abandons it within its own deadline', async () => {
    const store = new HangingStore();
    const s = setup([], store, { stopWriteMs: 50 });
    await store.create(call('c1'));
    store.hung.add('unserved');
    const passing = s.reconciler.pass();
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await s.reconciler.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await passing).toBe(0);
    expect(s.lines).toContainEqual(expect.objectContaining({ event: 'reconcile.pass_abandoned', step: 'listing the calls nobody serves', err: expect.objectContaining({ message: 'abandoned: tolk is stopping' }) }));
    // Nothing of the abandoned pass goes on once the database answers.
    store.answer();
    await new Promise((r) => setImmediate(r));
    expect((await store.get('c1'))?.outcome).toBeUndefined();
  });

  it('publishes a close the database writes while tolk stops before it stops closing, and none it writes after', async () => {
    const store = new HangingStore();
    const s = setup([], store, { stopWriteMs: 200 });
    await store.create(call('c1', { legs: [] }));
    store.hung.add('close');
    const passing = s.reconciler.pass();
    await new Promise((r) => setImmediate(r));
    const closing = s.reconciler.stopClosing();
    // Abandoned at stop's deadline; the database writes the close it held just after.
    expect(await passing).toBe(0);
    store.answer();
    await closing;
    // Published, its subscribers done, before the app settles the call events and closes what they write to.
    expect(outcomes(s.ended)).toEqual([['c1', 'interrupted']]);

    // Another instance's database answers only once this one has stopped closing: nothing is published then.
    const late = new HangingStore();
    const t = setup([], late, { stopWriteMs: 50 });
    await late.create(call('c2', { legs: [] }));
    late.hung.add('close');
    const passing2 = t.reconciler.pass();
    await new Promise((r) => setImmediate(r));
    await t.reconciler.stopClosing();
    expect(await passing2).toBe(0);
    late.answer();
    await new Promise((r) => setImmediate(r));
    expect(await late.get('c2')).toMatchObject({ outcome: 'interrupted' });
    expect(t.ended).toEqual([]);
    expect(t.lines).toContainEqual(expect.objectContaining({ event: 'call.end_unpublished', callId: 'c2', outcome: 'interrupted' }));
  });

  it('hangs up the legs still up but leaves the record live while the job queue cannot say whether its end was published, without holding up the passes after it, and writes that end once it can', async () => {
    const s = setupHangingQueue(50);
    const { records: store, jobs } = s;
    await store.create(call('c1'));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'answered' } });
    // Its instance published its end and queued it to be written (the database failing), then died.
    jobs.hung = false;
    await queueEnd(jobs, 'c1', { outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(BOOT - 1_000) });
    jobs.hung = true;
    // More passes than the network's failures may take: none closes it as interrupted, none hangs.
    for (let i = 0; i < 7; i++) expect(await s.reconciler.pass()).toBe(0);
    expect((await store.get('c1'))?.outcome).toBeUndefined();
    // Nobody hears anything on its legs: they are hung up (once), while the record stays open.
    expect(s.network.hungUp).toEqual([
      { callSid: CALLER, ringing: false },
      { callSid: AGENT, ringing: false },
    ]);
    expect(s.ended).toEqual([]);
    expect(s.lines.filter((l) => l.event === 'call.reconcile_deferred' && l.callId === 'c1')).toHaveLength(7);
    jobs.hung = false;
    expect(await s.reconciler.pass()).toBe(0);
    expect(await store.get('c1')).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(BOOT - 1_000) });
    expect(s.ended).toEqual([]);
  });

  it('asks the network about a call left live while the job queue cannot answer only until its legs are over, however many passes that lasts', async () => {
    const s = setupHangingQueue(50);
    const { records: store, jobs } = s;
    const asked: string[] = [];
    const lookUp = s.network.lookUp.bind(s.network);
    s.network.lookUp = (sid) => (asked.push(sid), lookUp(sid));
    await store.create(call('c1'));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'ended', reason: 'completed' }, endedAt: new Date(BOOT) });
    // Redis hangs for ten passes: the agent's leg, ended, is asked about once; the caller's once, then hung up.
    for (let i = 0; i < 10; i++) {
      expect(await s.reconciler.pass()).toBe(0);
      s.advance(INTERVAL);
    }
    expect(asked).toEqual([CALLER, AGENT]);
    expect(s.network.hungUp).toEqual([{ callSid: CALLER, ringing: false }]);
    // A leg listed since (a dial job's) is asked about on the next pass, and hung up.
    const placed = 'CA' + '5'.repeat(32);
    await store.update('c1', { legs: [...(await store.get('c1'))!.legs, { role: 'agent', callSid: placed, language: 'en' }] });
    s.network.legs.set(placed, { status: { state: 'ringing' } });
    expect(await s.reconciler.pass()).toBe(0);
    expect(asked).toEqual([CALLER, AGENT, placed]);
    expect(s.network.hungUp).toEqual([
      { callSid: CALLER, ringing: false },
      { callSid: placed, ringing: true },
    ]);
    // The queue answers: the call is closed, its legs asked about once more for their end times.
    jobs.hung = false;
    expect(await s.reconciler.pass()).toBe(1);
    expect(asked).toEqual([CALLER, AGENT, placed, CALLER, AGENT, placed]);
  });

  it('says the legs it hung up while the job queue could not answer were hung up by tolk when it closes the call later', async () => {
    const s = setupHangingQueue(50);
    const { records: store, jobs } = s;
    await store.create(call('c1'));
    s.network.legs.set(CALLER, { status: { state: 'answered' } });
    s.network.legs.set(AGENT, { status: { state: 'ringing' } });
    expect(await s.reconciler.pass()).toBe(0);
    expect(s.network.hungUp).toEqual([
      { callSid: CALLER, ringing: false },
      { callSid: AGENT, ringing: true },
    ]);
    // The queue answers, with no end owed: the call is closed, its legs ended as tolk ended them.
    jobs.hung = false;
    expect(await s.reconciler.pass()).toBe(1);
    const at = new Date(BOOT + 5_000).toISOString();
    expect(await store.get('c1')).toMatchObject({
      outcome: 'interrupted',
      endReason: `tolk stopped serving the call while it was bridged; the phone network reports caller hung up by tolk at ${at}, agent cancelled by tolk at ${at}`,
    });
  });

  it('asks Twilio about a leg it failed to look up again after an interval, then twice as long each time, up to 10 minutes, while the call is left live', async () => {
    const s = setupHangingQueue(1);
    await s.records.create(call('c1', { legs: [{ role: 'caller', callSid: CALLER, language: 'es' }] }));
    const asked = await asksWhileDown(s, 100);
    expect(asked.slice(1).map((at, i) => at - asked[i])).toEqual([1, 2, 4, 8, 16, 20, 20, 20]);
    expect(s.lines).toContainEqual(expect.objectContaining({ event: 'call.leg_backing_off', callId: 'c1', legSid: CALLER, failures: 6, waitMs: 600_000 }));
  });

  it('forgets the legs of a call it closed after five failed attempts, so that they crowd out none of a call it left live', async () => {
    const jobs = new MemoryJobQueues({ specs: [callEndsQueueSpec], logger: createLogger({ level: 'silent' }) });
    // The job queue cannot say whether call 'deferred' ended: it is left live, its leg hung up.
    let queueAnswers = false;
    const get = jobs.get.bind(jobs);
    jobs.get = (name: string, id: string): Promise<JobView | undefined> => (!queueAnswers && id.includes('deferred') ? new Promise(() => undefined) : get(name, id));
    const store = new InMemoryCallRecordStore();
    const s = setup([], store, { jobs, queueWaitMs: 50, maxLegsRemembered: 3 });
    const leg = (digit: number): string => 'CA' + String(digit).repeat(32);
    // Twilio fails every lookup of the agent's leg of call 'failing'.
    const lookUp = s.network.lookUp.bind(s.network);
    s.network.lookUp = (sid) => (sid === leg(6) ? Promise.reject(new Error('Twilio answered 500')) : lookUp(sid));
    await store.create(call('deferred', { startedAt: new Date(BOOT - 70_000), legs: [{ role: 'caller', callSid: leg(3), language: 'es' }] }));
    await store.create(call('failing', { legs: [{ role: 'caller', callSid: leg(4), language: 'es' }, { role: 'agent', callSid: leg(6), language: 'en' }] }));
    for (const sid of [leg(3), leg(4), leg(7)]) s.network.legs.set(sid, { status: { state: 'answered' } });
    // Passes far enough apart that Twilio is asked about the leg at each.
    for (let i = 1; i <= 5; i++) {
      expect(await s.reconciler.pass()).toBe(i < 5 ? 0 : 1);
      s.advance(20 * INTERVAL);
    }
    expect(await store.get('failing')).toMatchObject({ outcome: 'interrupted', endReason: expect.stringContaining('(5 attempts)') as string });
    // Another call's leg is hung up, then the queue answers (no end owed): 'deferred' is closed.
    await store.create(call('another', { legs: [{ role: 'caller', callSid: leg(7), language: 'es' }] }));
    expect(await s.reconciler.pass()).toBe(1);
    queueAnswers = true;
    expect(await s.reconciler.pass()).toBe(1);
    expect(s.network.hungUp.map((h) => h.callSid)).toEqual([leg(3), leg(4), leg(7)]);
    expect(await store.get('deferred')).toMatchObject({
      outcome: 'interrupted',
      endReason: `tolk stopped serving the call while it was bridged; the phone network reports caller hung up by tolk at ${new Date(BOOT + 5_000).toISOString()}`,
    });
  });
});
