/**
 * Bringing a direct call's legs here, and the one repair each leg gets (LegArrivals). The bound's
 * timer runs on jest's fake clock: what is checked is the order of things, not their speed.
 */
import { Writable } from 'node:stream';
import { LegArrivals, type LegToBring } from '../../src/call/leg-arrivals';
import { createLogger } from '../../src/log/logger';

const log = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const LEGS: LegToBring[] = [
  { endpoint: 'caller', legRef: 'CA1' },
  { endpoint: 'agent', legRef: 'CA2' },
];

function rig(refuse: Record<string, number> = {}) {
  const asked: string[] = [];
  const here = new Set<string>();
  let join!: () => void;
  const joined = new Promise<void>((r) => (join = r));
  let n = 0;
  const arrivals = new LegArrivals({
    reconnect: (leg, attempt) => {
      asked.push(`${leg.endpoint} ${attempt}`);
      if ((refuse[leg.endpoint] ?? 0) > 0) {
        refuse[leg.endpoint]--;
        return Promise.reject(new Error('refused'));
      }
      return Promise.resolve();
    },
    isHere: (endpoint) => here.has(endpoint),
    joined,
    boundMs: 10_000,
    newAttempt: () => `a.${++n}`,
    log,
  });
  const arrive = (endpoint: string): void => {
    here.add(endpoint);
    if (here.size === 2) join();
  };
  return { arrivals, asked, arrive };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('bringing a direct call\'s legs here', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks once more for a leg whose update was refused, and resolves once both legs are here', async () => {
    const r = rig({ agent: 1 });
    const done = r.arrivals.bring(LEGS);
    await settle();
    expect(r.asked).toEqual(['caller a.1', 'agent a.2', 'agent a.3']);
    r.arrive('agent');
    r.arrive('caller');
    await expect(done).resolves.toEqual({ ok: true });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('asks for nothing again while a leg is merely slow: a second update would stop its stream once it came', async () => {
    const r = rig();
    const done = r.arrivals.bring(LEGS);
    await settle();
    r.arrive('agent');
    jest.advanceTimersByTime(9_999);
    await settle();
    expect(r.asked).toEqual(['caller a.1', 'agent a.2']);
    r.arrive('caller');
    await expect(done).resolves.toEqual({ ok: true });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('gives up at the bound with the legs still missing, and leaves no timer behind', async () => {
    const r = rig();
    const done = r.arrivals.bring(LEGS);
    await settle();
    jest.advanceTimersByTime(10_000);
    await expect(done).resolves.toEqual({ ok: false, nothingMoved: false, missing: ['caller', 'agent'], why: 'not all of it came within 10 s' });
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends at once, with nothing moved, when the first leg\'s update is refused', async () => {
    const r = rig({ caller: 1 });
    await expect(r.arrivals.bring(LEGS)).resolves.toMatchObject({ ok: false, nothingMoved: true, missing: ['caller'] });
    expect(r.asked).toEqual(['caller a.1']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ignores a stream failure reported for an update other than the latest, and gives up on the second failure of the latest', async () => {
    const r = rig();
    const done = r.arrivals.bring(LEGS);
    await settle();
    r.arrivals.held('caller', 'a.1');
    await settle();
    r.arrivals.held('caller', 'a.1');
    await settle();
    expect(r.asked).toEqual(['caller a.1', 'agent a.2', 'caller a.3']);
    r.arrivals.held('caller', 'a.3');
    await expect(done).resolves.toEqual({ ok: false, nothingMoved: false, missing: ['caller', 'agent'], why: "the caller's media did not come: its stream failed, twice" });
    expect(jest.getTimerCount()).toBe(0);
  });
});
