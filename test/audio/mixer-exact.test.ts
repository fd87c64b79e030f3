/**
 * The mixer's shortcuts (a frame made of one input's int16 samples at gain 1 is copied rather than
 * rounded and clamped; translated speech into an empty mix is copied rather than added; the mix is
 * not cleared again after a frame with nothing audible, which added nothing to it) against the full
 * computation: the same inputs fed alone, added into a freshly zeroed float mix, rounded and clamped.
 */
import fc from 'fast-check';
import { FRAME_SAMPLES } from '../../src/audio/frame';
import { Mixer, roundMix, VoiceInput } from '../../src/audio/mixer';
import { SpeechPlayout } from '../../src/audio/speech-playout';

interface Tick {
  voice: number[] | null;
  speech: number[] | null;
}

const sample = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -32768, max: 32767 }) },
  { weight: 1, arbitrary: fc.constantFrom(32767, -32768, 1, -1, 3, 0) },
);
const tick: fc.Arbitrary<Tick> = fc.record({
  voice: fc.option(fc.array(sample, { minLength: FRAME_SAMPLES, maxLength: FRAME_SAMPLES }), { freq: 2 }),
  // chunks of any length, and ticks without one, so that speech starts, runs dry and is concealed
  speech: fc.option(fc.array(sample, { minLength: 1, maxLength: 400 }), { freq: 3 }),
});

function fullMix(voice: VoiceInput | undefined, speech: SpeechPlayout, speechGain: number): Int16Array | undefined {
  const mix = new Float32Array(FRAME_SAMPLES);
  const voiced = voice ? voice.mixInto(mix) : false;
  const played = speech.mixInto(mix, 0, speechGain) > 0;
  if (!voiced && !played) return undefined;
  return Int16Array.from(mix, (x) => Math.max(-32768, Math.min(32767, Math.round(x))));
}

describe('Mixer frames', () => {
  it('are the full computation (add, round, clamp) whatever the gains and however the inputs overlap', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 0.5, 0.16),
        fc.constantFrom(1, 0.5, 0.75),
        fc.array(tick, { minLength: 1, maxLength: 60 }),
        (voiceGain, speechGain, ticks) => {
          const mixer = new Mixer();
          const voiceIn = voiceGain > 0 ? mixer.addVoice('voice', voiceGain) : undefined;
          const speechIn = mixer.addSpeech('speech', { gain: speechGain, startCushionMs: 40, cushionWaitMs: 20 });
          const voiceRef = voiceGain > 0 ? new VoiceInput('voice', voiceGain) : undefined;
          const speechRef = new SpeechPlayout({ startCushionMs: 40, cushionWaitMs: 20 });
          for (const t of ticks) {
            if (t.voice) {
              voiceIn?.push(Int16Array.from(t.voice));
              voiceRef?.push(Int16Array.from(t.voice));
            }
            if (t.speech) {
              speechIn.push(Int16Array.from(t.speech));
              speechRef.push(Int16Array.from(t.speech));
            }
            const got = mixer.nextFrame();
            const want = fullMix(voiceRef, speechRef, speechGain);
            expect(got ? Array.from(got) : undefined).toEqual(want ? Array.from(want) : undefined);
          }
        },
      ),
      { numRuns: 300, seed: 41 },
    );
  });

  it('are the full computation while translated speech runs dry and is carried on (concealment)', () => {
    let concealments = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(1, 0.5),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 120, max: 500 }),
        fc.integer({ min: 1000, max: 20000 }),
        (speechGain, every, chunk, level) => {
          const mixer = new Mixer();
          const speechIn = mixer.addSpeech('speech', { gain: speechGain });
          const speechRef = new SpeechPlayout();
          let phase = 0;
          for (let t = 0; t < 80; t++) {
            if (t % every === 0) {
              const pcm = Int16Array.from({ length: chunk }, () => Math.round(level * Math.sin((phase += 0.37))));
              speechIn.push(pcm);
              speechRef.push(pcm);
            }
            const got = mixer.nextFrame();
            const want = fullMix(undefined, speechRef, speechGain);
            expect(got ? Array.from(got) : undefined).toEqual(want ? Array.from(want) : undefined);
          }
          concealments += mixer.stats().concealments;
        },
      ),
      { numRuns: 60, seed: 7 },
    );
    expect(concealments).toBeGreaterThan(10);
  });

  it('clamp a translation and a voice that together pass full scale, and round a voice at half gain', () => {
    const mixer = new Mixer();
    const voice = mixer.addVoice('voice', 1);
    const speech = mixer.addSpeech('speech', { startCushionMs: 20, cushionWaitMs: 0 });
    speech.push(new Int16Array(FRAME_SAMPLES * 20).fill(30000));
    let frame: Int16Array | undefined;
    for (let i = 0; i < 20 && !mixer.lastHadSpeech; i++) {
      voice.push(new Int16Array(FRAME_SAMPLES).fill(30000));
      frame = mixer.nextFrame();
    }
    expect(mixer.lastHadSpeech).toBe(true);
    expect(frame?.[0]).toBe(32767);

    const half = new Mixer();
    half.addVoice('voice', 0.5).push(new Int16Array(FRAME_SAMPLES).fill(301));
    expect(half.nextFrame()?.[0]).toBe(151); // 150.5 rounds half up, a copy would truncate it to 150
  });
});

describe('roundMix (the mix rounded and clamped to int16)', () => {
  /** What the mixer stored before: Math.round, clamped, into an Int16Array (NaN stored as 0). */
  function plain(mix: Float32Array): Int16Array {
    return Int16Array.from(mix, (x) => {
      const v = Math.round(x);
      return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    });
  }

  const edges = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 2 ** -14, -(2 ** -14), 2 ** -15, -(2 ** -15), 1e-45, -1e-45,
    32766.5, 32766.75, 32767, 32767.5, -32767.5, -32767.75, -32768, -32768.5, -32769, 65536, -65536, NaN, Infinity, -Infinity];

  it('is Math.round clamped, for any float32 (NaN, infinities, -0, the smallest) and at every half', () => {
    const mix = Float32Array.from({ length: 4 * edges.length }, (_, i) => edges[i >> 2]); // each in every lane of a pass
    const out = new Int16Array(mix.length);
    roundMix(mix, out);
    expect(Array.from(out)).toEqual(Array.from(plain(mix)));
    // every half across the int16 range, values just either side of it, and the whole number below
    const halves = new Float32Array(4 * 65536);
    for (let k = -32768; k < 32768; k++) {
      const h = Math.fround(k + 0.5);
      const i = 4 * (k + 32768);
      halves[i] = h;
      halves[i + 1] = Math.fround(h - (Math.abs(h) >= 16384 ? 2 ** -9 : 2 ** -10));
      halves[i + 2] = Math.fround(h + (Math.abs(h) >= 16384 ? 2 ** -9 : 2 ** -10));
      halves[i + 3] = k;
    }
    const all = new Int16Array(halves.length);
    roundMix(halves, all);
    expect(Buffer.from(all.buffer).equals(Buffer.from(plain(halves).buffer))).toBe(true);
  });

  it('is Math.round clamped for any frame of float32 values', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float(), fc.float({ min: -40000, max: 40000 }), fc.float({ min: -1, max: 1 })), { minLength: 160, maxLength: 160 }), (values) => {
        const mix = Float32Array.from(values);
        const out = new Int16Array(160);
        roundMix(mix, out);
        expect(Array.from(out)).toEqual(Array.from(plain(mix)));
      }),
      { numRuns: 2000, seed: 47 },
    );
  });
});
