/** LogThrottle: a flood of events makes at most a line a second, and every event is counted. */
import { LogThrottle } from '../../src/log/log-throttle';

afterEach(() => jest.useRealTimers());

/** A throttle of a line a second, with the lines it wrote and when. */
function throttled(): { throttle: LogThrottle<string>; lines: [string | undefined, number][]; times: number[] } {
  const lines: [string | undefined, number][] = [];
  const times: number[] = [];
  const write = (event: string | undefined, leftOut: number): void => {
    lines.push([event, leftOut]);
    times.push(Date.now());
  };
  return { throttle: new LogThrottle<string>(1000, write), lines, times };
}

describe('LogThrottle', () => {
  it('writes events that come a second or more apart, each as it comes', () => {
    jest.useFakeTimers();
    const { throttle, lines } = throttled();
    throttle.event('a');
    jest.advanceTimersByTime(1000);
    throttle.event('b');
    jest.advanceTimersByTime(5000);
    throttle.event('c');
    expect(lines).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ]);
  });

  it('writes a flood as its first event, then one line a second counting the others', () => {
    jest.useFakeTimers();
    const { throttle, lines, times } = throttled();
    // 10 000 events over 2.5 s.
    for (let i = 0; i < 10_000; i++) {
      throttle.event(`e${i}`);
      jest.advanceTimersByTime(0.25);
    }
    jest.advanceTimersByTime(1000);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines[0]).toEqual(['e0', 0]);
    // No line comes within a second of the previous one, and every event is written or counted.
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
    expect(lines.filter(([e]) => e !== undefined).length + lines.reduce((n, [, leftOut]) => n + leftOut, 0)).toBe(10_000);
    // Once the flood is over nothing is left to say.
    const written = lines.length;
    jest.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(written);
  });

  it("says at the end of its window how many were left out, and the next event's line counts only those after", () => {
    jest.useFakeTimers();
    const { throttle, lines } = throttled();
    throttle.event('a');
    jest.advanceTimersByTime(100);
    throttle.event('b');
    throttle.event('c');
    jest.advanceTimersByTime(899);
    expect(lines).toEqual([['a', 0]]);
    jest.advanceTimersByTime(1);
    expect(lines).toEqual([
      ['a', 0],
      [undefined, 2],
    ]);
    // Within a second of that line: left out, and said a second after it.
    jest.advanceTimersByTime(500);
    throttle.event('d');
    jest.advanceTimersByTime(499);
    expect(lines).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(lines[2]).toEqual([undefined, 1]);
    jest.advanceTimersByTime(1000);
    throttle.event('e');
    expect(lines[3]).toEqual(['e', 0]);
  });

  it('counts those left out on the line of an event that comes as their window ends, before its timer', () => {
    let now = 0;
    const lines: [string | undefined, number][] = [];
    const throttle = new LogThrottle<string>(1000, (event, leftOut) => lines.push([event, leftOut]), () => now);
    throttle.event('a');
    now = 10;
    throttle.event('b');
    // The next event comes before the timer has fired: it is written, and carries the count.
    now = 1000;
    throttle.event('c');
    expect(lines).toEqual([
      ['a', 0],
      ['c', 1],
    ]);
  });
});
