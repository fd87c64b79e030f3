/**
 * The double-ended queue of number pairs (the jitter buffer's arrivals and margins): what goes in comes out in order, from
 * either end, however often its ring has wrapped and grown.
 */
import { PairDeque } from '../../src/audio/pair-deque';

/** Deterministic uniform numbers in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function contents(d: PairDeque): [number, number][] {
  return Array.from({ length: d.length }, (_, i) => [d.a(i), d.b(i)]);
}

describe('PairDeque', () => {
  it('keeps its pairs in order while it grows with its front part-way round the ring', () => {
    const d = new PairDeque();
    // Move the front round the ring first, so the growth has to unwrap it.
    for (let i = 0; i < 11; i++) d.push(i, -i);
    for (let i = 0; i < 11; i++) d.shift();
    const model: [number, number][] = [];
    for (let i = 0; i < 100; i++) {
      d.push(i, i + 0.5);
      model.push([i, i + 0.5]);
    }
    expect(contents(d)).toEqual(model);
  });

  it('matches an array under any mix of pushes, shifts, pops and clears', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rnd = prng(seed);
      const d = new PairDeque();
      const model: [number, number][] = [];
      for (let step = 0; step < 5000; step++) {
        const r = rnd();
        if (r < 0.5 || model.length === 0) {
          const pair: [number, number] = [step, rnd() * 1000 - 500];
          d.push(pair[0], pair[1]);
          model.push(pair);
        } else if (r < 0.8) {
          d.shift();
          model.shift();
        } else if (r < 0.998) {
          d.pop();
          model.pop();
        } else {
          d.clear();
          model.length = 0;
        }
        expect(d.length).toBe(model.length);
        if (model.length > 0) {
          expect([d.a(0), d.b(0)]).toEqual(model[0]);
          expect([d.a(model.length - 1), d.b(model.length - 1)]).toEqual(model[model.length - 1]);
        }
      }
      expect(contents(d)).toEqual(model);
    }
  });
  it('stays empty when asked to drop a pair it does not hold, and keeps what is pushed after', () => {
    const d = new PairDeque();
    d.shift();
    d.pop();
    expect(d.length).toBe(0);
    d.push(1, 2);
    d.shift();
    d.shift();
    d.push(3, 4);
    expect(contents(d)).toEqual([[3, 4]]);
  });
});
