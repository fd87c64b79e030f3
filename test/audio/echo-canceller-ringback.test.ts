/**
 * A caller on a quiet line (digital silence between words, as many phone networks and the Twilio
 * emulator deliver it) speaks over the ringback tolk plays them: nothing of the ringback comes back.
 * Their speech's envelope can line up with the ringback's cadence well enough to lock the delay
 * search on a lag where there is no echo; their later words must still pass, not be taken for echo.
 */
import { EchoCanceller } from '../../src/audio/echo-canceller';
import { RINGBACK_US, ToneGenerator } from '../../src/audio/tones';
import { prng } from './helpers/signals';

const FRAME = 160;

/** Seeded noise of `ms` at `amp` peak: a word. */
function word(ms: number, seed: number, amp: number): Int16Array {
  const rnd = prng(seed);
  return Int16Array.from({ length: ms * 8 }, () => Math.round((rnd() * 2 - 1) * amp));
}

/** Output over input energy of the microphone from `fromMs` to `toMs`, dB. */
function passedDb(opts: { ringbackUntilMs: number; mic: Int16Array; fromMs: number; toMs: number }): number {
  const ec = new EchoCanceller();
  const ringback = new ToneGenerator(RINGBACK_US);
  let said = 0;
  let passed = 0;
  for (let f = 0; f * FRAME < opts.mic.length; f++) {
    const t = f * 20;
    const mic = opts.mic.subarray(f * FRAME, (f + 1) * FRAME);
    const out = ec.processMic(mic);
    if (t >= opts.fromMs && t < opts.toMs) {
      for (let i = 0; i < FRAME; i++) {
        said += mic[i] * mic[i];
        passed += out[i] * out[i];
      }
    }
    const played = new Float32Array(FRAME);
    if (t < opts.ringbackUntilMs) ringback.mixInto(played);
    ec.playedReference(Int16Array.from(played, (v) => Math.round(v)));
  }
  return 10 * Math.log10(passed / said);
}

describe('EchoCanceller, speech over the ringback on a line with no echo', () => {
  for (const amp of [1500, 6000]) {
    it(`passes the words after it (${amp} peak)`, () => {
      const mic = new Int16Array(2000 * 8);
      mic.set(word(300, 1, amp), 200 * 8); // over the ringback
      mic.set(word(600, 2, amp), 1000 * 8); // as the ringback stops (at 1200 ms) and after
      // The first frame fades in from the silence before it (the suppressor's ramp).
      expect(passedDb({ ringbackUntilMs: 1200, mic, fromMs: 1020, toMs: 1600 })).toBeGreaterThan(-0.5);
    });
  }
});
