import { MediaClock, MULAW_SILENCE, SequenceTracker } from '../../src/twilio/media-clock';

const frame = (n: number, byte = 0x10): Uint8Array => new Uint8Array(n).fill(byte);
const totalBytes = (frames: { payload: Uint8Array }[]): number => frames.reduce((a, f) => a + f.payload.length, 0);

describe('MediaClock', () => {
  it('passes contiguous 20 ms frames through unchanged', () => {
    const clock = new MediaClock();
    const out = [0, 20, 40].flatMap((ts) => clock.place(ts, frame(160)).frames);
    expect(out.map((f) => [f.timestampMs, f.synthetic, f.payload.length])).toEqual([
      [0, false, 160],
      [20, false, 160],
      [40, false, 160],
    ]);
    expect(clock.positionMs).toBe(60);
  });

  it('fills a missing 60 ms with mu-law silence so the next frame lands on its timestamp', () => {
    const clock = new MediaClock();
    clock.place(0, frame(160));
    const placed = clock.place(80, frame(160));
    expect(placed.filledMs).toBe(60);
    const synthetic = placed.frames.filter((f) => f.synthetic);
    expect(totalBytes(synthetic)).toBe(480);
    expect(synthetic.every((f) => f.payload.every((b) => b === MULAW_SILENCE))).toBe(true);
    const real = placed.frames[placed.frames.length - 1];
    expect(real).toMatchObject({ synthetic: false, timestampMs: 80 });
    expect(real.payload[0]).toBe(0x10);
  });

  it('accepts frames of any length and keeps the clock in bytes', () => {
    const clock = new MediaClock();
    clock.place(0, frame(100)); // 12.5 ms
    const placed = clock.place(12, frame(37));
    expect(placed.filledMs).toBe(0); // within jitter tolerance
    expect(placed.frames[0].timestampMs).toBe(12.5);
    expect(clock.positionMs).toBeCloseTo((100 + 37) / 8);
  });

  it('ignores small jitter and never goes backwards', () => {
    const clock = new MediaClock({ toleranceMs: 5 });
    clock.place(0, frame(160));
    expect(clock.place(23, frame(160)).filledMs).toBe(0);
    const early = clock.place(30, frame(160)); // before the clock (40): no fill, appended
    expect(early.frames).toHaveLength(1);
    expect(early.frames[0].timestampMs).toBe(40);
  });

  it('fills a gap at the very start of the stream', () => {
    const clock = new MediaClock();
    const placed = clock.place(100, frame(160));
    expect(placed.filledMs).toBe(100);
    expect(placed.frames[placed.frames.length - 1].timestampMs).toBe(100);
  });

  it('caps one fill and re-bases instead of filling the same gap again', () => {
    const clock = new MediaClock({ maxFillMs: 1000 });
    clock.place(0, frame(160));
    const big = clock.place(5020, frame(160));
    expect(big.filledMs).toBe(1000);
    expect(big.skippedMs).toBe(4000);
    const next = clock.place(5040, frame(160));
    expect(next.filledMs).toBe(0);
    expect(next.frames[0].timestampMs).toBe(1040);
  });
});

describe('MediaClock bounds', () => {
  it('fills no more than the wall clock allows, however the gaps are spread', () => {
    let now = 0;
    const clock = new MediaClock({ now: () => now, aheadLimitMs: 2000 });
    clock.place(0, frame(160));
    let filled = 0;
    let skipped = 0;
    for (let i = 1; i <= 100; i++) {
      now += 100; // 100 ms of real time between messages claiming 10 s each
      const p = clock.place(i * 10_000, frame(160));
      filled += p.filledMs;
      skipped += p.skippedMs;
    }
    // 10 s of wall time, 2 s ahead at most, less the real audio received.
    expect(clock.positionMs).toBeLessThanOrEqual(10_000 + 2000 + 20);
    expect(filled).toBeLessThanOrEqual(12_000);
    expect(filled + skipped).toBeCloseTo(100 * 10_000 - 100 * 20 + 0, -1);
  });

  it('still fills a real gap in a stream that keeps time', () => {
    let now = 0;
    const clock = new MediaClock({ now: () => now });
    clock.place(0, frame(160));
    now = 1000;
    const placed = clock.place(1000, frame(160));
    expect(placed.filledMs).toBe(980);
    expect(placed.skippedMs).toBe(0);
  });
});

describe('SequenceTracker', () => {
  it('reports duplicates and gaps', () => {
    const t = new SequenceTracker();
    expect(t.observe(1)).toEqual({ kind: 'ok' });
    expect(t.observe(2)).toEqual({ kind: 'ok' });
    expect(t.observe(2)).toEqual({ kind: 'duplicate' });
    expect(t.observe(1)).toEqual({ kind: 'duplicate' });
    expect(t.observe(5)).toEqual({ kind: 'gap', missing: 2 });
  });

  it('refuses a leap ahead without moving, so later messages still count', () => {
    const t = new SequenceTracker(500);
    expect(t.observe(1)).toEqual({ kind: 'ok' });
    expect(t.observe(999_999_999_999_999)).toEqual({ kind: 'jump' });
    expect(t.observe(2)).toEqual({ kind: 'ok' });
    expect(t.observe(502)).toEqual({ kind: 'gap', missing: 499 });
    expect(t.observe(1003)).toEqual({ kind: 'jump' });
  });
});
