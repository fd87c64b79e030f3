/**
 * The rig model's replies go out at their exact due time (the message's arrival plus the model's
 * latency): the pump wakes when the next reply falls due, not on a fixed grid whose step would be
 * jitter tolk's play-out learns and waits for, and never sends a reply early.
 */
import { DuePump, DueQueue, type PumpClock } from '../../scripts/rig/due-queue';

/** A clock that moves only when told, and the timers armed on it. */
class FakeClock implements PumpClock {
  t = 0;
  timers: { at: number; fn: () => void }[] = [];
  /** Every delay a timer was armed with. */
  armed: number[] = [];
  now = (): number => this.t;
  setTimer = (fn: () => void, ms: number): void => {
    this.armed.push(ms);
    this.timers.push({ at: this.t + ms, fn });
  };
  /** Fires the next timer at `at` (its own time unless told otherwise, e.g. early). */
  fire(at?: number): void {
    const next = this.timers.shift();
    if (!next) throw new Error('no timer armed');
    this.t = at ?? next.at;
    next.fn();
  }
}

describe('DueQueue', () => {
  it('hands over what is due, in order, with how late, and says when the next falls due', () => {
    const q = new DueQueue<string, number>();
    q.push(300, 'a', 1);
    q.push(300.4, 'b', 2);
    q.push(302.25, 'a', 3);
    const sent: [string, number, number][] = [];
    expect(q.drain(300.5, (to, what, late) => sent.push([to, what, late]))).toBe(302.25);
    expect(sent).toEqual([['a', 1, 0.5], ['b', 2, expect.closeTo(0.1, 9)]]);
    expect(q.drain(302.24, () => sent.push(['x', 0, 0]))).toBe(302.25);
    expect(sent).toHaveLength(2);
    expect(q.drain(302.25, (to, what, late) => sent.push([to, what, late]))).toBe(Infinity);
    expect(sent.at(-1)).toEqual(['a', 3, 0]);
  });

  it('keeps the order past its first capacity, wrapping around its ring', () => {
    const q = new DueQueue<number, number>(4);
    for (let i = 0; i < 3; i++) q.push(i, i, i);
    q.drain(1, () => undefined); // the ring's head moves on: what follows wraps around
    for (let i = 3; i < 20; i++) q.push(i, i, i);
    const order: number[] = [];
    q.drain(100, (_to, what) => order.push(what));
    expect(order).toEqual(Array.from({ length: 18 }, (_, i) => i + 2));
    expect(q.length).toBe(0);
  });

  it('sends one added with an earlier due time than the one before it right after that one, never before its time', () => {
    const q = new DueQueue<string, number>();
    q.push(310, 'a', 1);
    q.push(305, 'b', 2);
    expect(q.nextDue()).toBe(310);
    const sent: number[] = [];
    expect(q.drain(309, (_to, what) => sent.push(what))).toBe(310);
    expect(sent).toEqual([]);
    q.drain(310, (_to, what) => sent.push(what));
    expect(sent).toEqual([1, 2]);
  });
});

describe('DuePump', () => {
  it('arms its timer for exactly when the next reply is due, not on a 5 ms grid', () => {
    const clock = new FakeClock();
    const sent: [string, string][] = [];
    const pump = new DuePump<string, string>((to, what) => sent.push([to, what]), clock);
    clock.t = 1000.3;
    pump.add(1300.3, 's1', 'voice');
    clock.t = 1001.1;
    pump.add(1301.1, 's2', 'voice');
    clock.t = 1003.7;
    pump.add(1303.7, 's1', 'silence');
    // One timer, armed once for the first reply: 300 ms from when it was added.
    expect(clock.armed).toEqual([300]);
    clock.fire();
    expect(clock.t).toBe(1300.3);
    expect(sent).toEqual([['s1', 'voice']]);
    expect(clock.armed[1]).toBeCloseTo(0.8, 9);
    clock.fire();
    expect(clock.t).toBeCloseTo(1301.1, 9);
    expect(sent).toHaveLength(2);
    expect(clock.armed[2]).toBeCloseTo(2.6, 9);
    clock.fire();
    expect(sent).toEqual([['s1', 'voice'], ['s2', 'voice'], ['s1', 'silence']]);
    expect(clock.timers).toEqual([]);
    expect(pump.lateMaxMs).toBeCloseTo(0, 9);
    expect(pump.sent).toBe(3);
  });

  it('sends every reply due by the time it wakes, and reports the worst lateness', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const pump = new DuePump<string, string>((_to, what) => sent.push(what), clock);
    pump.add(300, 'a', 'x');
    pump.add(300.5, 'b', 'y');
    pump.add(301, 'c', 'z');
    clock.fire(301.2); // the machine was busy: woken 1.2 ms late
    expect(sent).toEqual(['x', 'y', 'z']);
    expect(pump.lateMaxMs).toBeCloseTo(1.2, 9);
    pump.resetLateness();
    expect([pump.lateMaxMs, pump.sent]).toEqual([0, 0]);
  });

  it('never sends early: a timer that fires before the reply is due is armed again for what is left', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const pump = new DuePump<string, string>((_to, what) => sent.push(what), clock);
    clock.t = 10.6;
    pump.add(310.6, 'a', 'x');
    clock.fire(310); // Node's whole-millisecond timers can fire up to a millisecond early
    expect(sent).toEqual([]);
    expect(clock.armed.at(-1)).toBeCloseTo(0.6, 9);
    clock.fire();
    expect(sent).toEqual(['x']);
    expect(pump.lateMaxMs).toBeCloseTo(0, 9);
  });

  it('counts a reply whose send throws and still sends the others, then and later', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const pump = new DuePump<string, string>((to, what) => {
      if (to === 'closed') throw new Error('socket gone');
      sent.push(what);
    }, clock);
    pump.add(300, 'closed', 'x');
    pump.add(300, 'a', 'y');
    pump.add(320, 'a', 'z');
    clock.fire();
    clock.fire(); // what was due with the reply that threw goes at once
    expect(sent).toEqual(['y']);
    expect(pump.errors).toBe(1);
    clock.fire();
    expect(sent).toEqual(['y', 'z']);
    clock.t = 500;
    pump.add(800, 'a', 'w');
    clock.fire();
    expect(sent).toEqual(['y', 'z', 'w']);
    expect(pump.pending).toBe(0);
  });

  it('arms again when a reply is added after the queue ran empty', () => {
    const clock = new FakeClock();
    const pump = new DuePump<string, string>(() => undefined, clock);
    pump.add(300, 'a', 'x');
    clock.fire();
    expect(clock.timers).toEqual([]);
    clock.t = 450.25;
    pump.add(750.25, 'a', 'y');
    expect(clock.armed).toEqual([300, 300]);
    expect(pump.pending).toBe(1);
  });
});
