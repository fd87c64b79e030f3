/**
 * A frame of delay taken in hand right after a quiet frame plays the line's quiet on from the frame
 * last heard: after a quiet frame that followed a loud one, from that quiet frame, never from an
 * older frame (the loud one, or the quiet one before it).
 */
import { JitterBuffer } from '../../src/audio/jitter-buffer';

const FRAME = 160;

const constant = (v: number) => new Int16Array(FRAME).fill(v);

describe('JitterBuffer bridging a frame taken in hand', () => {
  it('starts on the last sample of the quiet frame heard just before, after a loud one', () => {
    const buffer = new JitterBuffer();
    const out = new Int16Array(FRAME);
    // Three frames well in time (a frame to spare): quiet, loud, quiet.
    const heard: number[] = [];
    for (const [t, v] of [[1, 50], [2, 10_000], [3, -60]]) {
      buffer.push(constant(v), t - 1);
      expect(buffer.read(out, t)).toBe(FRAME);
      heard.push(out[0]);
    }
    expect(heard).toEqual([50, 10_000, -60]);
    // The next quiet frame nearly misses its tick: a frame is taken in hand, bridged from the last one heard.
    buffer.push(constant(20), 3.9);
    expect(buffer.read(out, 4)).toBe(FRAME);
    expect(buffer.stats().grows).toBe(1);
    expect(Math.abs(out[0] - -60)).toBeLessThanOrEqual(1);
    // ...and it ends on the frame in hand, played next.
    expect(Math.abs(out[FRAME - 1] - 20)).toBeLessThanOrEqual(1);
    expect(buffer.read(out, 5)).toBe(FRAME);
    expect(out[0]).toBe(20);
  });
});
