/** A stopping instance's move of its live calls: every call is offered in turn, and offers stop in time. */
import { MOVE_OFFERS_MS, moveLiveCalls, type MovingCalls } from '../../src/cluster/move-calls';
import { captureLogger } from '../twilio/helpers/logs';

/** Live calls that every instance refuses, each refusal taking `refusalMs` of a fake clock. */
function refusedEverywhere(ids: string[], refusalMs: number, clock: { ms: number }) {
  const offers: { callId: string; to: string }[] = [];
  const calls: MovingCalls = {
    movableCalls: () => ids.map((id) => ({ id, movable: true })),
    moveOut: (callId, to) => {
      offers.push({ callId, to });
      clock.ms += refusalMs;
      return Promise.resolve('kept');
    },
  };
  return { calls, offers };
}

async function move(calls: MovingCalls, peers: string[], clock: { ms: number }) {
  const log = captureLogger();
  await moveLiveCalls({
    calls,
    markDraining: () => Promise.resolve(),
    readyPeers: () => Promise.resolve(peers.map((id) => ({ id }))),
    send: () => Promise.resolve({ ok: false, reason: 'refused', kept: true }),
    logger: log.logger,
    now: () => clock.ms,
  });
  return log.lines();
}

describe("moving a stopping instance's live calls", () => {
  it('offers a call every ready instance refuses to each of them once', async () => {
    const clock = { ms: 0 };
    const { calls, offers } = refusedEverywhere(['c1'], 1000, clock);
    await move(calls, ['b', 'c', 'd'], clock);
    expect(offers.map((o) => o.to).sort()).toEqual(['b', 'c', 'd']);
  });

  it('stops offering once the offers have taken their time, so the call drains here with time to spare', async () => {
    const clock = { ms: 0 };
    // Each refusal takes 12 s: the third offer would start at 24 s, the fourth at 36 s.
    const { calls, offers } = refusedEverywhere(['c1'], 12_000, clock);
    const lines = await move(calls, ['b', 'c', 'd', 'e', 'f'], clock);
    expect(offers).toHaveLength(Math.ceil(MOVE_OFFERS_MS / 12_000));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'call.move_offers_ended', callId: 'c1' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'calls.moved', moved: 0, kept: 1, level: 'warn' }));
  });

  it('warns when no other instance is ready: the live calls drain here, and are cut if they outlast the drain', async () => {
    const clock = { ms: 0 };
    const { calls, offers } = refusedEverywhere(['c1', 'c2'], 0, clock);
    const lines = await move(calls, [], clock);
    expect(offers).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'calls.moving', calls: 2, peers: [], level: 'warn' }));
    expect(lines).toContainEqual(expect.objectContaining({ event: 'calls.moved', moved: 0, kept: 2, level: 'warn' }));
  });

  it('notes a move with nothing to move, or everything moved, without a warning', async () => {
    const clock = { ms: 0 };
    expect(await move(refusedEverywhere([], 0, clock).calls, [], clock)).toContainEqual(expect.objectContaining({ event: 'calls.moving', calls: 0, level: 'info' }));
    const taken: MovingCalls = { movableCalls: () => [{ id: 'c1', movable: true }], moveOut: () => Promise.resolve('moved') };
    const lines = await move(taken, ['b'], clock);
    expect(lines).toContainEqual(expect.objectContaining({ event: 'calls.moved', moved: 1, kept: 0, level: 'info' }));
  });
});
