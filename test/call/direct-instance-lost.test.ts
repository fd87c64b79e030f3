/**
 * A call to a tolk number whose instance stops while the agent's phone rings: the record lists the
 * agent's leg from when the phone network accepted it, so whoever closes the call (a survivor in
 * the cluster, or the instance's next run) cancels the ringing leg instead of leaving the agent to
 * answer a call nobody is on any more.
 */
import { DirectCall } from '../../src/call/direct-call';
import { CallEventBus } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import { CallReconciler } from '../../src/call/reconciler';
import { recordCalls } from '../../src/call/subscribers/records';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { AGENT_SID, CALLER_SID, FakeTelephony, NUMBER } from './fakes/fake-telephony';
import { FakeTranslatorFactory } from './fakes/fake-translator';
import { flush, noPrompts, quietMetrics, silentLogger } from './fakes/rig-fixtures';
import { callEndsQueueSpec } from '../../src/jobs/call-ends';
import { MemoryJobQueues } from '../../src/jobs/memory-queues';

describe('a call to a tolk number whose instance stops while the agent is being called', () => {
  it("lists the agent's leg while it rings, and is closed with that leg cancelled", async () => {
    const logger = silentLogger();
    const records = new InMemoryCallRecordStore();
    const events = new CallEventBus(logger);
    recordCalls(events, records);
    const telephony = new FakeTelephony();
    // As the call service leaves it when the caller is answered on instance tolk-b.
    const { id } = await records.create({
      number: NUMBER.number,
      from: '+34911234567',
      destination: NUMBER.destination,
      languages: { caller: NUMBER.callerLanguage, agent: NUMBER.agentLanguage },
      legs: [{ role: 'caller', callSid: CALLER_SID, language: NUMBER.callerLanguage }],
      state: 'answered',
      startedAt: new Date(),
      instance: 'tolk-b',
    });
    const call = new DirectCall(
      { clock: new ManualFrameClock(), translators: new FakeTranslatorFactory(), telephony, prompts: noPrompts, metrics: quietMetrics, events, logger },
      { id, settings: NUMBER, callerLeg: CALLER_SID, from: '+34911234567' },
    );
    call.attachMedia(new FakeMediaLeg(CALLER_SID, 'caller'));
    await flush();
    call.legStatus(AGENT_SID, { state: 'ringing' });
    await events.settle(id);
    expect(telephony.dials.map((d) => d.endpoint)).toEqual(['agent']);
    expect((await records.get(id))?.legs.map((l) => [l.role, l.callSid])).toEqual([
      ['caller', CALLER_SID],
      ['agent', AGENT_SID],
    ]);

    // tolk-b stops without ending the call; a survivor, which serves none of its calls, closes it.
    telephony.legs.set(CALLER_SID, { status: { state: 'answered' } });
    telephony.legs.set(AGENT_SID, { status: { state: 'ringing' } });
    const survivor = new CallReconciler({ records, telephony, instance: 'tolk-a', startedAt: new Date(Date.now() - 60_000), intervalMs: 30_000, serving: () => [], events, jobs: new MemoryJobQueues({ specs: [callEndsQueueSpec], logger }), logger });
    expect(await survivor.closeLost('tolk-b')).toBe(0);
    expect(telephony.cancelled).toEqual([AGENT_SID]);
    expect(await records.get(id)).toMatchObject({ state: 'ended', outcome: 'instance_lost' });
  });
});
