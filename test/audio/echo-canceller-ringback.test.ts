/**
 * A caller on a quiet line (digital silence between words, as many phone networks and the Twilio
 * emulator deliver it) speaks over the ringback tolk plays them: nothing of the ringback comes back.
 * Their speech's envelope can line up with the ringback's cadence well enough to lock the delay
 * search on a lag where there is no echo; their later words must still pass, not be taken for echo.
 */
import { EchoCanceller } from '../../src/audio/echo-canceller';
import { RINGBACK_US, ToneGenerator } from '../../src/audio/tones';
import { prng, speechLike } from './helpers/signals';

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

/**
 * The same line, and then echo after all (the party turns the speakerphone on): the translation
 * played to them comes back at -10 dB, at the delay the search locked on their speech over the
 * ringback, so the output filter has to learn the path from nothing while the suppressor's
 * residual level holds what it learnt with no echo.
 */
describe('EchoCanceller, echo that starts after a ringback with no echo', () => {
  const PLAY_FROM_MS = 1800; // the translation starts; nothing is played from 1200 ms until then

  for (const simd of [true, false]) {
    for (const amp of [1500, 6000]) {
      it(`suppresses it by >= 25 dB in its first second (${amp} peak words, ${simd ? 'SIMD' : 'plain JavaScript'} filters)`, () => {
        const ec = new EchoCanceller({ simd });
        const ringback = new ToneGenerator(RINGBACK_US);
        const mic = new Int16Array(4000 * 8);
        mic.set(word(300, 1, amp), 200 * 8);
        mic.set(word(600, 2, amp), 1000 * 8);
        const played = new Int16Array(mic.length);
        for (let f = 0; f * FRAME < 1200 * 8; f++) {
          const tone = new Float32Array(FRAME);
          ringback.mixInto(tone);
          played.set(Int16Array.from(tone, (v) => Math.round(v)), f * FRAME);
        }
        played.set(
          Int16Array.from(speechLike(mic.length - PLAY_FROM_MS * 8, 1), (v) => Math.round(v)),
          PLAY_FROM_MS * 8,
        );

        let delay = -1; // samples, once the ringback is over
        let echoFrom = 0;
        let said = 0;
        let passed = 0;
        for (let f = 0; f * FRAME < mic.length; f++) {
          const t = f * 20;
          if (t === PLAY_FROM_MS) {
            const locked = ec.stats().estimatedDelayMs;
            expect(locked).not.toBeNull(); // the lock on the speech over the ringback
            delay = ((locked ?? 0) + 20) * 8; // + the frame the reference is handed over after the microphone
            echoFrom = PLAY_FROM_MS * 8 + delay;
            for (let i = echoFrom; i < mic.length; i++) mic[i] += Math.round(0.316 * played[i - delay]);
          }
          const frame = mic.subarray(f * FRAME, (f + 1) * FRAME);
          const out = ec.processMic(frame);
          if (delay >= 0 && f * FRAME >= echoFrom && f * FRAME < echoFrom + 1000 * 8) {
            for (let i = 0; i < FRAME; i++) {
              said += frame[i] * frame[i];
              passed += out[i] * out[i];
            }
          }
          ec.playedReference(played.subarray(f * FRAME, (f + 1) * FRAME));
        }
        expect(said).toBeGreaterThan(0);
        expect(10 * Math.log10(passed / said)).toBeLessThanOrEqual(-25);
      });
    }
  }
});
