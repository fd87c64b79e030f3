import { SampleQueue } from '../../src/audio/sample-queue';

const ramp = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

function drain(q: SampleQueue): number[] {
  const out = new Int16Array(q.length);
  q.read(out);
  return [...out];
}

describe('SampleQueue', () => {
  it('keeps samples in order across reads of any size, through the ring wrapping and growing', () => {
    const q = new SampleQueue(100_000);
    let next = 0;
    let expected = 0;
    // Uneven pushes and reads, far more samples than the initial ring holds.
    for (let round = 0; round < 200; round++) {
      const n = 37 + ((round * 53) % 700);
      q.push(ramp(next, n));
      next += n;
      const out = new Int16Array(1 + ((round * 31) % 500));
      const got = q.read(out);
      for (let i = 0; i < got; i++) expect(out[i]).toBe((expected + i) << 16 >> 16);
      expected += got;
    }
    const rest = drain(q);
    rest.forEach((v, i) => expect(v).toBe((expected + i) << 16 >> 16));
    expect(expected + rest.length).toBe(next);
    expect(q.dropped).toBe(0);
  });

  it('copies on push: the caller may reuse its buffer for the next frame', () => {
    const q = new SampleQueue(1000);
    const frame = new Int16Array(160);
    frame.fill(1);
    q.push(frame);
    frame.fill(2);
    q.push(frame);
    const out = drain(q);
    expect(out.slice(0, 160).every((v) => v === 1)).toBe(true);
    expect(out.slice(160).every((v) => v === 2)).toBe(true);
  });

  it('drops the oldest samples beyond its capacity and counts them', () => {
    const q = new SampleQueue(300);
    q.push(ramp(0, 200));
    q.push(ramp(200, 200));
    expect(q.length).toBe(300);
    expect(q.dropped).toBe(100);
    expect(drain(q)).toEqual([...ramp(100, 300)]);
    q.push(ramp(0, 1000)); // longer than the whole queue: only the newest fit
    expect(q.dropped).toBe(100 + 700);
    expect(drain(q)).toEqual([...ramp(700, 300)]);
  });

  it('mixes into a float buffer with a gain, and discards from the front', () => {
    const q = new SampleQueue(1000);
    q.push(Int16Array.from([100, 200, 300, 400]));
    q.discard(1);
    const mix = Float32Array.from([1, 1, 1, 1]);
    expect(q.read(mix, 1, 0.5, true)).toBe(3);
    expect([...mix]).toEqual([1, 101, 151, 201]);
    expect(q.length).toBe(0);
    expect(q.dropped).toBe(0);
    q.push(Int16Array.from([5, 6]));
    q.discard(5, true);
    expect(q.dropped).toBe(2);
  });

  it('refuses a capacity that is not a positive whole number', () => {
    expect(() => new SampleQueue(0)).toThrow(RangeError);
    expect(() => new SampleQueue(1.5)).toThrow(RangeError);
  });
});
