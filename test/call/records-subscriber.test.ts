/**
 * The records subscriber writes each call's record from its events. A write the database is slow
 * with must not land after a later one: the record an operator reads (GET /api/calls/:id is the
 * store's record) lists every leg and ends as ended.
 */
import { CallEventBus, stamp, type UnstampedCallEvent } from '../../src/call/events';
import { Writable } from 'node:stream';
import { recordCalls } from '../../src/call/subscribers/records';
import { createLogger } from '../../src/log/logger';
import type { CallRecordPatch } from '../../src/store/call-record';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { bridgedCall } from './fakes/call-records';
import { AGENT_SID as AGENT, CALLER_SID as CALLER } from './fakes/fake-telephony';
import { silentLogger } from './fakes/rig-fixtures';

/** A store whose first update waits until `release` is called (a slow database round trip). */
class SlowFirstWrite extends InMemoryCallRecordStore {
  private held: Promise<void> | undefined;
  release: () => void = () => undefined;
  private first = true;

  hold(): void {
    this.held = new Promise((r) => (this.release = r));
  }

  override async update(id: string, patch: CallRecordPatch): Promise<boolean> {
    if (this.first && this.held) {
      this.first = false;
      await this.held;
    }
    return super.update(id, patch);
  }
}

async function setup() {
  const records = new SlowFirstWrite();
  const events = new CallEventBus(silentLogger());
  recordCalls(events, records);
  await records.create(bridgedCall('c1', { state: 'answered' }));
  records.hold();
  const publish = (e: UnstampedCallEvent) => events.publish(stamp(e, { callId: 'c1' }, Date.now()));
  const flush = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { records, events, publish, flush };
}

describe('the records subscriber, with a slow database', () => {
  it('keeps every leg when the write of the first one finishes after the write of the second', async () => {
    const s = await setup();
    s.publish({ type: 'participant.joined', participantId: 'caller', role: 'caller', language: 'es', legRef: CALLER, streamRef: 'MZ1' });
    s.publish({ type: 'participant.joined', participantId: 'agent', role: 'agent', language: 'en', legRef: AGENT, streamRef: 'MZ2' });
    await s.flush();
    s.records.release();
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([
      { role: 'caller', callSid: CALLER, streamSid: 'MZ1', language: 'es' },
      { role: 'agent', callSid: AGENT, streamSid: 'MZ2', language: 'en' },
    ]);
  });

  it('records why the interpretation failed, in plain words with the setting to check, once: the first failure stays', async () => {
    const s = await setup();
    s.records.release();
    s.publish({ type: 'session.state', routeId: 'caller->agent', sessionId: 's1', targetLanguage: 'en', state: 'failed', kind: 'auth', reason: 'API key not valid. Please pass a valid API key.' });
    s.publish({ type: 'session.state', routeId: 'agent->caller', sessionId: 's2', targetLanguage: 'es', state: 'failed', kind: 'unknown' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.interpretationFailure).toEqual({ kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' });
  });

  it('records the end last: a slow state write does not bring an ended call back to life', async () => {
    const s = await setup();
    s.publish({ type: 'call.state', from: 'connecting', to: 'bridged', trigger: 'agent-stream-started' });
    s.publish({ type: 'call.ended', outcome: 'completed', reason: 'the caller hung up', durationMs: 1000 });
    await s.flush();
    s.records.release();
    await s.events.settle('c1');
    expect(await s.records.get('c1')).toMatchObject({ state: 'ended', outcome: 'completed', endReason: 'the caller hung up' });
  });

  it("lists a leg tolk dialled while it rings (the latest attempt's only), and lists it once when its party joins", async () => {
    const s = await setup();
    s.records.release();
    const first = 'CA' + '3'.repeat(32);
    s.publish({ type: 'leg.dialled', role: 'caller', legRef: first, language: 'es' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([{ role: 'caller', callSid: first, language: 'es', dialledAt: expect.any(String) }]);
    // The first attempt was busy; the second dials the customer again.
    s.publish({ type: 'leg.dialled', role: 'caller', legRef: CALLER, language: 'es' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([{ role: 'caller', callSid: CALLER, language: 'es', dialledAt: expect.any(String) }]);
    s.publish({ type: 'participant.joined', participantId: 'caller', role: 'caller', language: 'es', legRef: CALLER, streamRef: 'MZ1' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([{ role: 'caller', callSid: CALLER, streamSid: 'MZ1', language: 'es' }]);
  });

  it("lists only the latest attempt's leg once its party joins, even when they answer before the dial is reported", async () => {
    const s = await setup();
    s.records.release();
    const first = 'CA' + '3'.repeat(32);
    s.publish({ type: 'leg.dialled', role: 'caller', legRef: first, language: 'es' });
    // The first attempt was busy: the call waits for its next one.
    s.publish({ type: 'call.state', from: 'calling', to: 'scheduled', trigger: 'customer-status', status: 'busy' });
    s.publish({ type: 'call.state', from: 'scheduled', to: 'calling', trigger: 'due' });
    // The customer answered the second attempt before its dial was reported.
    s.publish({ type: 'participant.joined', participantId: 'caller', role: 'caller', language: 'es', legRef: CALLER, streamRef: 'MZ1' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([{ role: 'caller', callSid: CALLER, streamSid: 'MZ1', language: 'es' }]);
  });

  it("keeps the agent's leg a dial job listed in the record while the call's instance lists the caller's", async () => {
    const s = await setup();
    s.records.release();
    // The dial job that placed the agent's leg lists it in the record itself (dial-record.ts),
    // before the call's instance hears of that leg.
    const agent = { role: 'agent' as const, callSid: AGENT, language: 'en', dialledAt: new Date().toISOString() };
    await s.records.updateLegs('c1', (legs) => [...legs, agent]);
    s.publish({ type: 'participant.joined', participantId: 'caller', role: 'caller', language: 'es', legRef: CALLER, streamRef: 'MZ1' });
    await s.events.settle('c1');
    expect((await s.records.get('c1'))?.legs).toEqual([agent, { role: 'caller', callSid: CALLER, streamSid: 'MZ1', language: 'es' }]);
  });

  it("keeps a conference's answeredAt from when its parties were connected, not from when it was bridged (interpreted) later", async () => {
    const s = await setup();
    s.records.release();
    const connectedAt = Date.parse('2026-12-05T10:00:00.000Z');
    s.events.publish(stamp({ type: 'call.connected', trigger: 'agent-joined' }, { callId: 'c1' }, connectedAt));
    s.events.publish(stamp({ type: 'call.state', from: 'answered', to: 'bridged', trigger: 'interpreter-joined' }, { callId: 'c1' }, connectedAt + 7000));
    await s.events.settle('c1');
    expect(await s.records.get('c1')).toMatchObject({ state: 'bridged', answeredAt: new Date(connectedAt) });
  });

  it("lists the agent dialled into a conference while their leg rings, and gives it no answeredAt until they join, though it is bridged (interpreted) before", async () => {
    const s = await setup();
    s.records.release();
    const dialledAt = Date.parse('2026-12-05T10:00:00.000Z');
    const ids = { callId: 'c1', conferenceId: 'tolk-c1' };
    s.events.publish(stamp({ type: 'leg.dialled', role: 'agent', legRef: AGENT, language: 'en' }, ids, dialledAt));
    s.events.publish(stamp({ type: 'call.state', from: 'answered', to: 'bridged', trigger: 'interpreter-joined' }, ids, dialledAt + 1000));
    await s.events.settle('c1');
    const ringing = await s.records.get('c1');
    expect(ringing?.answeredAt).toBeUndefined();
    expect(ringing?.legs).toContainEqual({ role: 'agent', callSid: AGENT, language: 'en', dialledAt: '2026-12-05T10:00:00.000Z' });
    s.events.publish(stamp({ type: 'call.connected', trigger: 'agent-joined' }, ids, dialledAt + 9000));
    s.events.publish(stamp({ type: 'participant.joined', participantId: 'agent', role: 'agent', language: 'en', legRef: AGENT }, ids, dialledAt + 9000));
    await s.events.settle('c1');
    const joined = await s.records.get('c1');
    expect(joined?.answeredAt).toEqual(new Date(dialledAt + 9000));
    expect(joined?.legs.filter((l) => l.callSid === AGENT)).toEqual([{ role: 'agent', callSid: AGENT, language: 'en' }]);
  });
});

describe('the records subscriber, when the store gives up writing the legs', () => {
  /** A logger keeping every line it was given. */
  function lines(): { logged: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
    const logged: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: new Writable({ write: (c: Buffer, _e, cb) => cb(void logged.push(JSON.parse(c.toString()) as Record<string, unknown>)) }) });
    return { logged, logger };
  }

  /** A store whose writes of legs keep meeting other writes of them: it gives up after its tries. */
  class ContendedLegs extends InMemoryCallRecordStore {
    override updateLegs(): Promise<boolean> {
      return Promise.resolve(false);
    }
  }

  it('logs a warning naming the call and the legs when their write gave up after its tries, so the record lacking them is explained', async () => {
    const records = new ContendedLegs();
    const { logged, logger } = lines();
    const events = new CallEventBus(silentLogger());
    recordCalls(events, records, { logger });
    await records.create(bridgedCall('c1', { state: 'answered' }));
    events.publish(stamp({ type: 'participant.joined', participantId: 'caller', role: 'caller', language: 'es', legRef: CALLER, streamRef: 'MZ1' }, { callId: 'c1' }, Date.now()));
    await events.settle('c1');
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', event: 'call.legs_unwritten', callId: 'c1', legSids: [CALLER] })]);
  });

  it('logs a warning naming the call and the legs when the call had ended before they were written', async () => {
    const records = new InMemoryCallRecordStore();
    const { logged, logger } = lines();
    const events = new CallEventBus(silentLogger());
    recordCalls(events, records, { logger });
    await records.create(bridgedCall('c2', { state: 'answered' }));
    // Another instance (its reconciler) closed the call; this one still reports the agent's leg dialled.
    await records.close('c2', { outcome: 'failed', endReason: 'instance lost', endedAt: new Date() });
    events.publish(stamp({ type: 'leg.dialled', role: 'agent', legRef: AGENT, language: 'en' }, { callId: 'c2' }, Date.now()));
    await events.settle('c2');
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', event: 'call.legs_unwritten', callId: 'c2', legSids: [AGENT] })]);
  });
});
