import fc from 'fast-check';
import { HistoryBuffer } from '../../src/audio/resampler';

/** silentThrough as a walk back over each chunk: its trailing zeros, counted up to the history's length. */
class Reference {
  private zeroTail: number;
  constructor(private readonly historyLength: number) {
    this.zeroTail = historyLength;
  }
  silentThrough(input: Int16Array): boolean {
    const n = input.length;
    let i = n;
    while (i > 0 && input[i - 1] === 0) i--;
    const silentBefore = this.zeroTail >= this.historyLength;
    this.zeroTail = Math.min(this.historyLength, i === 0 ? this.zeroTail + n : n - i);
    return i === 0 && silentBefore;
  }
}

describe('HistoryBuffer.silentThrough (the resamplers skip digital silence after a silent history)', () => {
  it('says what a walk back over every chunk says, for chunks of silence, of sound, and of sound then silence', () => {
    const chunk = fc.oneof(
      fc.integer({ min: 0, max: 400 }).map((n) => new Int16Array(n)),
      fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 400 }).map((v) => Int16Array.from(v)),
      fc.tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: -32768, max: 32767 })).map(([n, zeros, v]) => {
        const a = new Int16Array(n + zeros);
        a[n - 1] = v === 0 ? 1 : v;
        return a;
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(39, 139), fc.array(chunk, { maxLength: 30 }), (history, chunks) => {
        const buffer = new HistoryBuffer(history, 320);
        const reference = new Reference(history);
        for (const c of chunks) expect(buffer.silentThrough(c)).toBe(reference.silentThrough(c));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
