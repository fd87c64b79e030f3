/**
 * Subscribers that come and go during a tick: a tick calls those subscribed when it began (one
 * unsubscribed meanwhile still hears it, one subscribed meanwhile does not), and every tick after
 * it calls those subscribed then.
 */
import { ManualFrameClock, RealFrameClock } from '../../src/call/frame-clock';
import type { FrameClock } from '../../src/call/ports/clock';

/** a and b subscribe; on frame 2, a unsubscribes b and subscribes c. */
function churn(clock: Pick<FrameClock, 'subscribe'>): { heard: string[]; stop: () => void } {
  const heard: string[] = [];
  const stops: (() => void)[] = [];
  let unB: () => void = () => undefined;
  stops.push(
    clock.subscribe((f) => {
      heard.push(`a${f}`);
      if (f === 2) {
        unB();
        stops.push(clock.subscribe((g) => heard.push(`c${g}`)));
      }
    }),
  );
  unB = clock.subscribe((f) => heard.push(`b${f}`));
  return { heard, stop: () => stops.forEach((s) => s()) };
}

describe('frame clocks with subscribers changing during a tick', () => {
  it('ManualFrameClock ticks those subscribed when the tick began', () => {
    const clock = new ManualFrameClock();
    const { heard } = churn(clock);
    clock.tick(3);
    expect(heard).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'c3']);
    expect(clock.subscribers).toBe(2);
  });

  it('RealFrameClock ticks those subscribed when the tick began', async () => {
    const clock = new RealFrameClock({ timeScale: 0.1, maxCatchUp: 10_000 }); // 2 ms ticks, from frame 1
    const { heard, stop } = churn(clock);
    // However busy the machine: until the third tick has been heard.
    for (let waited = 0; !heard.some((h) => h.endsWith('3')) && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(clock.subscribers).toBe(2);
    stop();
    expect(clock.subscribers).toBe(0);
    expect(heard.slice(0, 6)).toEqual(['a1', 'b1', 'a2', 'b2', 'a3', 'c3']);
  });
});
