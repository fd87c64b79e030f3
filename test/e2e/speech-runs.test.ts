/**
 * The end-to-end tests' measure of speech heard whole (speechRunsHeard): a pause that grew between
 * two stretches (the machine stalled, and the far end played silence meanwhile) leaves both intact,
 * however the stretches' loudness places the whole; a hole inside a stretch is found in that one.
 */
import { speechRunsHeard } from './harness';
import { prng } from '../call/fakes/simulated-clock';

const noise = (ms: number, amp: number, seed: number): number[] => {
  const rnd = prng(seed);
  return Array.from({ length: ms * 8 }, () => Math.round((rnd() * 2 - 1) * amp));
};
const silence = (ms: number): number[] => new Array<number>(ms * 8).fill(0);

/** A short quiet stretch, then a long loud one: the whole is found by the second. */
const said = Int16Array.from([...silence(200), ...noise(400, 4000, 1), ...silence(400), ...noise(3000, 8000, 2), ...silence(200)]);

describe('speech heard whole, stretch by stretch', () => {
  it.each([0, 80, 150, 300])('finds both stretches intact when the pause between them grew by %i ms', (grownMs) => {
    const heard = Int16Array.from([...silence(500), ...noise(400, 4000, 1), ...silence(400 + grownMs), ...noise(3000, 8000, 2), ...silence(500)]);
    const runs = speechRunsHeard(heard, said);
    expect(runs.map((r) => r.snrDb > 30)).toEqual([true, true]);
    expect(runs[1].lag - runs[0].lag).toBe(grownMs * 8);
  });

  it('finds a 20 ms hole inside a stretch, in that stretch', () => {
    const second = noise(3000, 8000, 2);
    const holed = [...second.slice(0, 8000), ...silence(20), ...second.slice(8000)];
    const heard = Int16Array.from([...silence(500), ...noise(400, 4000, 1), ...silence(400), ...holed, ...silence(500)]);
    const runs = speechRunsHeard(heard, said);
    expect(runs.map((r) => r.snrDb > 30)).toEqual([true, false]);
  });
});
