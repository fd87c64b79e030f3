import net from 'node:net';
import { ManualFrameClock, RealFrameClock } from '../../src/call/frame-clock';

/**
 * A connected pair of local sockets: what `client` writes is noted as 'audio' in `order` when the
 * event loop reads it, so a test can tell whether a frame was ticked before or after that read.
 */
async function socketPair(): Promise<{ client: net.Socket; order: string[]; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((r) => client.once('connect', r));
  const peer = await accepted;
  const order: string[] = [];
  peer.on('data', () => order.push('audio'));
  const close = async (): Promise<void> => {
    client.destroy();
    peer.destroy();
    await new Promise((r) => server.close(r));
  };
  return { client, order, close };
}

describe('RealFrameClock', () => {
  it('serves all subscribers from one timer and stops when the last leaves', async () => {
    const clock = new RealFrameClock({ timeScale: 0.1, maxCatchUp: 10_000 }); // 2 ms ticks; never skip, however busy the machine
    const a: number[] = [];
    const b: number[] = [];
    const unA = clock.subscribe((f) => a.push(f));
    const unB = clock.subscribe((f) => b.push(f));
    await new Promise((r) => setTimeout(r, 60));
    unA();
    unB();
    expect(clock.subscribers).toBe(0);
    expect(a.length).toBeGreaterThan(5);
    expect(a).toEqual(b);
    // Frame indexes are consecutive: no tick is lost or doubled.
    expect(a.every((f, i) => i === 0 || f === a[i - 1] + 1)).toBe(true);
  });

  it('catches up after a stall, up to a bound, and reports what it skipped', () => {
    let now = 0;
    const skipped: number[] = [];
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({ now: () => now, maxCatchUp: 5, onSkip: (n) => skipped.push(n) });
      const frames: number[] = [];
      const stop = clock.subscribe((f) => frames.push(f));
      now = 20;
      jest.advanceTimersByTime(21); // the timer at 20 ms, then the frame's own macrotask
      expect(frames).toEqual([1]);
      now = 20 + 20 * 3; // loop stalled for 3 frames
      jest.advanceTimersByTime(60);
      expect(frames).toEqual([1, 2, 3, 4]);
      now = 80 + 20 * 20; // a long stall
      jest.advanceTimersByTime(400);
      expect(frames.length).toBe(4 + 5);
      expect(skipped).toEqual([15]);
      stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('catches up and ticks on after a stall when reporting what it skipped throws', () => {
    let now = 0;
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({
        now: () => now,
        maxCatchUp: 2,
        onSkip: () => {
          throw new Error('the metrics failed');
        },
      });
      const frames: number[] = [];
      const stop = clock.subscribe((f) => frames.push(f));
      now = 20 * 5; // the loop stalled through five frames: three are skipped
      expect(() => jest.advanceTimersByTime(21)).not.toThrow();
      now = 20 * 6;
      jest.advanceTimersByTime(40);
      expect(frames).toEqual([4, 5, 6]);
      stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it("places its play-out where the ticks are: never past the frame ticked next, a late frame at its own due time", () => {
    let now = 0;
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({ now: () => now });
      const during: [number, number][] = [];
      const stop = clock.subscribe((f) => during.push([f, clock.playhead()]));
      now = 10;
      expect(clock.playhead()).toBe(0.5); // on time: the position
      now = 20;
      jest.advanceTimersByTime(21);
      now = 27;
      expect(clock.playhead()).toBeCloseTo(1.35);
      now = 95; // the loop stalled past frames 2, 3 and 4
      expect(clock.position()).toBe(4.75);
      expect(clock.playhead()).toBe(2); // what arrives now is in time for frame 2
      jest.advanceTimersByTime(60);
      expect(during).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ]);
      expect(clock.playhead()).toBe(4.75); // caught up
      stop();
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads what arrived during a stall before the first late frame, not after the last', async () => {
    // Audio that reached a socket while the event loop was blocked: every late frame, the first
    // too, must be able to play it, as it would have in time, instead of finding the buffers as
    // they were before.
    const { client, order, close } = await socketPair();
    const clock = new RealFrameClock({ maxCatchUp: 50 });
    let first = true;
    const stop = clock.subscribe(() => {
      order.push('frame');
      if (!first) return;
      first = false;
      // After this frame (and the socket reads of its loop turn), the loop stalls for 7 frames
      // with the audio already in the socket.
      setImmediate(() => {
        client.write('late audio');
        const until = Date.now() + 150;
        while (Date.now() < until);
      });
    });
    try {
      const deadline = Date.now() + 10_000;
      while (!order.includes('audio') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(order.slice(0, 2)).toEqual(['frame', 'audio']);
    } finally {
      stop();
      await close();
    }
  });
  it('reads what arrived while its timer waited behind other work before a frame late by less than a frame', async () => {
    // A busy loop, not a stall: the next frame is late by a few ms only. The audio that reached
    // the socket in time for it must play in it, not leave it a hole.
    const { client, order, close } = await socketPair();
    const clock = new RealFrameClock({ maxCatchUp: 50 });
    let first = true;
    const stop = clock.subscribe(() => {
      order.push('frame');
      if (!first) return;
      first = false;
      // The next frame is due at most 20 ms from now; the loop is busy until 25 ms from now
      // (past it, short of the one after), with the audio already in the socket.
      const until = performance.now() + 25;
      setImmediate(() => {
        client.write('audio in time');
        while (performance.now() < until);
      });
    });
    try {
      const deadline = Date.now() + 10_000;
      while (order.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(order.slice(0, 3)).toEqual(['frame', 'audio', 'frame']);
    } finally {
      stop();
      await close();
    }
  });

  it("drops a listener that throws and reports it, and every other listener keeps its ticks", () => {
    let now = 0;
    const errors: unknown[] = [];
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({ now: () => now, onListenerError: (err) => errors.push(err) });
      const before: number[] = [];
      const after: number[] = [];
      const broken: number[] = [];
      const stopBefore = clock.subscribe((f) => before.push(f));
      const stopBroken = clock.subscribe((f) => {
        broken.push(f);
        if (f === 2) throw new Error('a call went wrong');
      });
      const stopAfter = clock.subscribe((f) => after.push(f));
      for (let f = 1; f <= 4; f++) {
        now = 20 * f;
        jest.advanceTimersByTime(20);
      }
      expect(before).toEqual([1, 2, 3, 4]);
      expect(after).toEqual([1, 2, 3, 4]);
      expect(broken).toEqual([1, 2]);
      expect(errors).toEqual([new Error('a call went wrong')]);
      expect(clock.subscribers).toBe(2);
      // Its unsubscribe, called later, changes nothing for the others.
      stopBroken();
      now = 100;
      jest.advanceTimersByTime(20);
      expect(before).toEqual([1, 2, 3, 4, 5]);
      stopBefore();
      stopAfter();
    } finally {
      jest.useRealTimers();
    }
  });

  it('ticks on for the other listeners, and starts again for a later one, when reporting a listener that threw throws too', () => {
    let now = 0;
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({
        now: () => now,
        onListenerError: () => {
          throw new Error('the logger failed');
        },
      });
      const others: number[] = [];
      clock.subscribe((f) => {
        if (f === 2) throw new Error('a call went wrong');
      });
      const stopOther = clock.subscribe((f) => others.push(f));
      for (let f = 1; f <= 4; f++) {
        now = 20 * f;
        expect(() => jest.advanceTimersByTime(20)).not.toThrow();
      }
      expect(others).toEqual([1, 2, 3, 4]);
      expect(clock.subscribers).toBe(1);
      // Once every listener has left, one arriving later starts the clock again.
      stopOther();
      expect(jest.getTimerCount()).toBe(0);
      const later: number[] = [];
      const stopLater = clock.subscribe((f) => later.push(f));
      expect(jest.getTimerCount()).toBe(1);
      now = 120;
      jest.advanceTimersByTime(40);
      expect(later).toEqual([5, 6]);
      stopLater();
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps one timer when the last listener leaves and another arrives inside the same tick', () => {
    let now = 0;
    jest.useFakeTimers();
    try {
      const clock = new RealFrameClock({ now: () => now });
      const frames: number[] = [];
      let stopNext: (() => void) | undefined;
      const stopFirst = clock.subscribe((f) => {
        if (f !== 2) return;
        stopFirst();
        stopNext = clock.subscribe((g) => frames.push(g));
      });
      for (let f = 1; f <= 5; f++) {
        now = 20 * f;
        jest.advanceTimersByTime(20);
        expect(jest.getTimerCount()).toBe(1);
      }
      expect(frames).toEqual([3, 4, 5]);
      stopNext?.();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('ManualFrameClock', () => {
  it('ticks subscribers by hand', () => {
    const clock = new ManualFrameClock();
    const seen: number[] = [];
    const stop = clock.subscribe((f) => seen.push(f));
    clock.tick(3);
    stop();
    clock.tick();
    expect(seen).toEqual([1, 2, 3]);
  });
});
