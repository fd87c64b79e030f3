import { FRAME_SAMPLES } from '../../src/audio/frame';
import { Mixer } from '../../src/audio/mixer';
import { RecentLateness } from '../../src/audio/recent-lateness';
import { SpeechPlayout, type SpeechPlayoutOptions } from '../../src/audio/speech-playout';
import { RINGBACK_US } from '../../src/audio/tones';

const ramp = (n: number, start = 1): Int16Array => Int16Array.from({ length: n }, (_, i) => start + i);

/** One listener of a two-party call: the other party's voice at `originalGain` and one translation. */
function listener(opts: SpeechPlayoutOptions & { originalGain: number }) {
  const mixer = new Mixer();
  const voice = mixer.addVoice('voice:other', opts.originalGain);
  const speech = mixer.addSpeech('speech:other->me', opts);
  return {
    mixer,
    nextFrame: () => mixer.nextFrame(),
    pushTranslated: (pcm: Int16Array) => speech.push(pcm),
    pushOriginal: (pcm: Int16Array) => voice.push(pcm),
    pushPrompt: (pcm: Int16Array) => mixer.pushPrompt(pcm),
    setTone: (spec: typeof RINGBACK_US | undefined) => mixer.setTone(spec),
    setTranslationMuted: (muted: boolean) => speech.playout.setMuted(muted),
    onEvent: (l: Parameters<typeof speech.playout.onEvent>[0]) => speech.playout.onEvent(l),
    get depthMs() {
      return mixer.depthMs;
    },
    stats: () => mixer.stats(),
  };
}
type Listener = ReturnType<typeof listener>;

const collect = (p: Listener, frames: number): (Int16Array | undefined)[] =>
  Array.from({ length: frames }, () => {
    const f = p.nextFrame();
    return f ? f.slice() : undefined;
  });

describe('Mixer, as one listener of a two-party call', () => {
  it('plays nothing when there is nothing to play', () => {
    const p = listener({ originalGain: 0.16 });
    expect(p.nextFrame()).toBeUndefined();
  });

  it('plays a burst of translated speech contiguously, in order, after the start cushion', () => {
    const p = listener({ originalGain: 0, startCushionMs: 60 });
    const speech = ramp(800); // 100 ms arriving in one burst
    p.pushTranslated(speech);
    const frames = collect(p, 16);
    const played = frames.filter((f): f is Int16Array => f !== undefined);
    const joined = new Int16Array(played.length * FRAME_SAMPLES);
    played.forEach((f, i) => joined.set(f, i * FRAME_SAMPLES));
    expect(Array.from(joined.subarray(0, 800))).toEqual(Array.from(speech));
    // No gap: the five frames carrying speech are consecutive.
    const firstIdx = frames.findIndex((f) => f !== undefined);
    expect(frames.slice(firstIdx, firstIdx + 5).every((f) => f !== undefined)).toBe(true);
  });

  it('waits for the cushion when audio trickles in, then plays without gaps', () => {
    const p = listener({ originalGain: 0, startCushionMs: 60, cushionWaitMs: 100 });
    const out: (Int16Array | undefined)[] = [];
    // 20 ms of audio arrives every 20 ms but the first piece alone must not start play-out.
    for (let i = 0; i < 10; i++) {
      p.pushTranslated(ramp(160, i * 160 + 1));
      if (i === 0) p.pushTranslated(ramp(0));
      out.push(p.nextFrame()?.slice());
    }
    expect(out[0]).toBeUndefined();
    const start = out.findIndex((f) => f !== undefined);
    expect(start).toBeGreaterThan(0);
    expect(out.slice(start).every((f) => f !== undefined)).toBe(true);
  });

  /** Gaps heard inside an utterance whose audio comes `pattern[i]` frames before tick i (real-time pace on average, but bunched). */
  const gapsHeard = (p: Listener, pattern: number[]): number => {
    let gapsInside = 0;
    let started = false;
    let silentRun = 0;
    for (const n of pattern) {
      for (let k = 0; k < n; k++) p.pushTranslated(new Int16Array(FRAME_SAMPLES).fill(1000));
      const f = p.nextFrame();
      if (f) {
        if (started && silentRun > 0) gapsInside++;
        started = true;
        silentRun = 0;
      } else if (started) silentRun++;
    }
    return gapsInside;
  };
  // Audio arrives 3 frames at a time every 3 ticks, twice 40 ms late: with a 40 ms cushion that starves.
  const bunchy = [3, 0, 0, 3, 0, 0, 0, 0, 3, 0, 0, 3, 0, 0, 3, 0, 0, 0, 0, 6, 0, 0, 3, 0, 0, 3, 0, 0];

  it('grows its cushion after jitter starves an utterance, so later jitter leaves no gap', () => {
    // (Without the concealment, which carries these utterances over their gaps: see the next test.)
    const p = listener({ originalGain: 0, startCushionMs: 40, cushionWaitMs: 40, cushionStepMs: 40, maxCushionMs: 160, concealMaxMs: 0 });
    const gaps = (pattern: number[]): number => gapsHeard(p, pattern);
    expect(gaps(bunchy)).toBeGreaterThan(0);
    // One starved utterance, one step of growth: the burst cushion (the largest piece, 20 ms, and
    // its 40 ms margin) and 40 ms more.
    expect(p.stats()).toMatchObject({ underruns: 1, cushionMs: 100 });
    // The same jitter again and again: within a few utterances the grown cushion absorbs it.
    const perPass: number[] = [];
    for (let pass = 0; pass < 4; pass++) {
      for (let i = 0; i < 20; i++) p.nextFrame(); // drain between utterances
      perPass.push(gaps(bunchy));
    }
    expect(perPass.slice(-2)).toEqual([0, 0]);
    expect(p.stats().cushionMs).toBeLessThanOrEqual(160);
  });

  it('with the concealment (the default), carries the same jitter over from the first utterance: no gap, and no growth', () => {
    const p = listener({ originalGain: 0, startCushionMs: 40, cushionWaitMs: 40, cushionStepMs: 40, maxCushionMs: 160 });
    expect(gapsHeard(p, bunchy)).toBe(0);
    // The burst cushion is the largest piece (20 ms) and its 40 ms margin, with no step of growth.
    expect(p.stats()).toMatchObject({ underruns: 0, concealments: 2, cushionMs: 60 });
    // Each run-dry left the rest of its utterance later by what was made up: the second came
    // with that much more in hand and needed less.
    expect(p.stats().concealedMs).toBeGreaterThan(0);
    expect(p.stats().concealedMs).toBeLessThanOrEqual(80);
  });

  it('mixes the other party\'s voice under the translation at the configured gain', () => {
    const p = listener({ originalGain: 0.5, startCushionMs: 0, jitterMarginMs: 0 });
    p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(1000));
    p.pushTranslated(new Int16Array(FRAME_SAMPLES).fill(2000));
    const f = p.nextFrame();
    expect(f?.[0]).toBe(2500);
    p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(1000));
    expect(p.nextFrame()?.[10]).toBe(500);
  });

  it('sends nothing while the other party is silent', () => {
    const p = listener({ originalGain: 1 });
    p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(8)); // mu-law's quietest steps
    expect(p.nextFrame()).toBeUndefined();
    p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(300));
    expect(p.nextFrame()?.[0]).toBe(300);
  });

  it('plays a short pause inside speech as silence, in time, and stops sending once the voice has gone quiet', () => {
    const p = listener({ originalGain: 1 });
    const heard: (number | undefined)[] = [];
    const say = (level: number, frames: number): void => {
      for (let i = 0; i < frames; i++) {
        p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(level));
        heard.push(p.nextFrame()?.[0]);
      }
    };
    say(300, 3);
    say(0, 2); // a pause between words
    say(400, 2);
    expect(heard).toEqual([300, 300, 300, 0, 0, 400, 400]);
    say(0, 60); // the party stopped talking
    expect(heard.slice(-30)).toEqual(Array(30).fill(undefined));
  });

  it('clamps the mix instead of wrapping', () => {
    const p = listener({ originalGain: 1, startCushionMs: 0, jitterMarginMs: 0 });
    p.pushOriginal(new Int16Array(FRAME_SAMPLES).fill(30000));
    p.pushTranslated(new Int16Array(FRAME_SAMPLES).fill(30000));
    expect(p.nextFrame()?.[0]).toBe(32767);
  });

  it('keeps the original-voice jitter buffer shallow so it adds no delay', () => {
    const p = listener({ originalGain: 1 });
    for (let i = 0; i < 10; i++) p.pushOriginal(ramp(FRAME_SAMPLES, i * 1000));
    p.nextFrame();
    const second = p.nextFrame();
    // Older frames were dropped: the second frame out is the newest one pushed.
    expect(second?.[0]).toBe(9000);
    expect(p.stats().droppedOriginalMs).toBeGreaterThan(0);
  });

  it('bounds the translated queue and counts what it drops', () => {
    const p = listener({ originalGain: 0, maxQueueMs: 100 });
    p.pushTranslated(new Int16Array(8000)); // 1 s into a 100 ms queue
    expect(p.depthMs).toBe(100);
    expect(p.stats().droppedTranslatedMs).toBe(900);
  });

  it('plays prompts before translated speech and reports translation start/end', () => {
    const events: string[] = [];
    const p = listener({ originalGain: 0, startCushionMs: 0, jitterMarginMs: 0 });
    p.onEvent((e) => events.push(e));
    p.pushTranslated(new Int16Array(FRAME_SAMPLES).fill(7));
    p.pushPrompt(new Int16Array(FRAME_SAMPLES).fill(9));
    expect(p.nextFrame()?.[0]).toBe(9);
    expect(p.nextFrame()?.[0]).toBe(7);
    expect(p.nextFrame()).toBeUndefined();
    expect(events).toEqual(['translation-start', 'translation-end']);
  });

  it('discards translated speech while muted (same-language calls)', () => {
    const p = listener({ originalGain: 1, startCushionMs: 0, jitterMarginMs: 0 });
    p.setTranslationMuted(true);
    p.pushTranslated(new Int16Array(FRAME_SAMPLES).fill(7));
    expect(p.nextFrame()).toBeUndefined();
  });

  it('plays a ringback tone in its cadence', () => {
    const p = listener({ originalGain: 0 });
    p.setTone(RINGBACK_US);
    const rms = (f: Int16Array | undefined): number => Math.sqrt((f ?? new Int16Array(1)).reduce((a, v) => a + v * v, 0) / FRAME_SAMPLES);
    const frames = collect(p, 300); // 6 s: 2 s on, 4 s off
    expect(rms(frames[10])).toBeGreaterThan(1000);
    expect(rms(frames[150])).toBe(0);
    p.setTone(undefined);
    expect(p.nextFrame()).toBeUndefined();
  });
});

describe('Mixer inputs', () => {
  it('sums several translations into one listener, each at its own gain, each on its own cushion', () => {
    const m = new Mixer();
    const es = m.addSpeech('speech:into-es', { startCushionMs: 0, jitterMarginMs: 0 });
    const en = m.addSpeech('speech:into-en', { startCushionMs: 0, jitterMarginMs: 0, gain: 0.5 });
    es.push(new Int16Array(FRAME_SAMPLES).fill(1000));
    en.push(new Int16Array(2 * FRAME_SAMPLES).fill(2000));
    expect(m.nextFrame()?.[0]).toBe(2000);
    expect(m.nextFrame()?.[0]).toBe(1000);
    expect(m.stats().translationStarts).toBe(2);
  });

  it('holds every translation while a prompt plays', () => {
    const m = new Mixer();
    const a = m.addSpeech('speech:a', { startCushionMs: 0, jitterMarginMs: 0 });
    const b = m.addSpeech('speech:b', { startCushionMs: 0, jitterMarginMs: 0 });
    a.push(new Int16Array(FRAME_SAMPLES).fill(10));
    b.push(new Int16Array(FRAME_SAMPLES).fill(20));
    m.pushPrompt(new Int16Array(FRAME_SAMPLES).fill(9));
    expect(m.nextFrame()?.[0]).toBe(9);
    expect(m.nextFrame()?.[0]).toBe(30);
  });

  it('names its inputs: gains change by name, a removed input is silent, a name is taken once', () => {
    const m = new Mixer();
    const voice = m.addVoice('voice:caller', 0.25);
    expect(() => m.addVoice('voice:caller', 1)).toThrow(/already has an input named voice:caller/);
    voice.push(new Int16Array(FRAME_SAMPLES).fill(4000));
    expect(m.nextFrame()?.[0]).toBe(1000);
    const input = m.input('voice:caller');
    if (input?.kind === 'voice') input.setGain(1);
    voice.push(new Int16Array(FRAME_SAMPLES).fill(4000));
    expect(m.nextFrame()?.[0]).toBe(4000);
    voice.push(new Int16Array(FRAME_SAMPLES).fill(4000));
    m.remove('voice:caller');
    expect(m.nextFrame()).toBeUndefined();
    expect(m.input('voice:caller')).toBeUndefined();
  });
});

describe('SpeechPlayout on the call clock', () => {
  /** A playout read every 20 ms of `clock.ms`; `say` pushes `frames` frames now. */
  function timed(opts: SpeechPlayoutOptions = {}) {
    const clock = { ms: 0 };
    const playout = new SpeechPlayout({ nowMs: () => clock.ms, ...opts });
    const mix = new Float32Array(FRAME_SAMPLES);
    return {
      clock,
      playout,
      say: (frames: number) => playout.push(new Int16Array(frames * FRAME_SAMPLES).fill(1000)),
      /** Reads up to `ms` (a frame every 20 ms); the clock times of the reads that played. */
      readUntil(ms: number): number[] {
        const played: number[] = [];
        while (clock.ms + 20 <= ms) {
          clock.ms += 20;
          if (playout.mixInto(mix.fill(0), 0, 1) > 0) played.push(clock.ms);
        }
        return played;
      },
    };
  }

  /** An utterance of `chunks` 100 ms chunks from `fromMs`, chunk k arriving `lateMs[k]` after its time; the first read that played it. */
  function utterance(p: ReturnType<typeof timed>, fromMs: number, chunks: number, lateMs: (k: number) => number): number {
    let first = Infinity;
    for (let k = 0; k < chunks; k++) {
      first = Math.min(first, ...p.readUntil(fromMs + 100 * k + lateMs(k)));
      p.clock.ms = fromMs + 100 * k + lateMs(k);
      p.say(5);
    }
    return Math.min(first, ...p.readUntil(fromMs + 100 * chunks + 1000));
  }

  it('waits as long as its pieces have come late, not a whole chunk; a stall is not learnt', () => {
    const p = timed();
    // Paced 100 ms chunks, on time. Until 5 s with speech have shown the jitter, 100 ms of it is
    // assumed: the first plays at the first read at least 10 + 100 ms after it came.
    expect(utterance(p, 1000, 10, () => 0) - 1000).toBe(120);
    // Chunks up to 30 ms late, in the first 5 s: after them, 10 + 30 ms.
    utterance(p, 2500, 10, (k) => (k % 3 === 1 ? 30 : 0));
    expect(utterance(p, 7000, 10, () => 0) - 7000).toBe(40);
    // 5 s more on time: 10 ms, not a whole chunk more.
    expect(utterance(p, 11_000, 10, () => 0) - 11_000).toBe(20);
    expect(p.playout.stats().underruns).toBe(0);
    // A chunk 150 ms late came after a stall: it starves its utterance once, and is not learnt as jitter.
    utterance(p, 12_500, 10, (k) => (k === 4 ? 150 : 0));
    expect(p.playout.stats().underruns).toBe(1);
    expect(p.playout.stats().waitMs).toBeLessThan(100);
  });

  /**
   * An utterance whose speech began inside the service's piece: a first piece of `firstMs`, then
   * 100 ms pieces every 100 ms; the first read that played it, from `fromMs`.
   */
  function startingShort(p: ReturnType<typeof timed>, fromMs: number, firstMs: number): number {
    p.readUntil(fromMs);
    p.clock.ms = fromMs;
    p.playout.push(new Int16Array((firstMs / 20) * FRAME_SAMPLES).fill(1000));
    let first = Infinity;
    for (let k = 1; k < 10; k++) {
      first = Math.min(first, ...p.readUntil(fromMs + 100 * k));
      p.clock.ms = fromMs + 100 * k;
      p.say(5);
    }
    return Math.min(first, ...p.readUntil(fromMs + 2000)) - fromMs;
  }

  it('paces an utterance that begins inside a piece from the piece after it: its short first piece is not learnt as lateness', () => {
    const p = timed();
    utterance(p, 1000, 10, () => 0);
    // The next piece comes 100 ms after a 20 ms first one: it starts 80 ms later than a whole
    // piece would, and then plays on without running dry.
    for (const at of [6000, 7500, 9000]) expect(startingShort(p, at, 20)).toBe(100);
    expect(p.playout.stats()).toMatchObject({ underruns: 0, concealments: 0 });
    // Pieces that came on their pace: an utterance starting with a whole piece waits 10 ms, not 10 + 80.
    expect(utterance(p, 12_000, 10, () => 0) - 12_000).toBe(20);
    expect(startingShort(p, 13_500, 60)).toBe(60);
    expect(p.playout.stats()).toMatchObject({ underruns: 0, concealments: 0 });
  });

  it("holds a short first piece back by the service's usual piece, not by its longest", () => {
    const p = timed();
    utterance(p, 1000, 10, () => 0);
    // An utterance in pieces of 300, 300, 300, 100, 100 and 100 ms, each sent once it was made.
    let t = 6000;
    for (const ms of [300, 300, 300, 100, 100, 100]) {
      t += ms;
      p.readUntil(t);
      p.clock.ms = t;
      p.playout.push(new Int16Array((ms / 20) * FRAME_SAMPLES).fill(1000));
    }
    p.readUntil(t + 1000);
    // The next starts with 20 ms: it waits for the 100 ms piece after it, not for a 300 ms one.
    expect(startingShort(p, 9000, 20)).toBe(100);
    expect(p.playout.stats()).toMatchObject({ underruns: 0, concealments: 0 });
  });

  it('tells the service\'s piece neither by the short piece an utterance ended with nor by pieces that came in a burst', () => {
    const p = timed();
    /** An utterance from `fromMs`: pieces of `piecesMs`, each `atMs` after the first. */
    const pieces = (fromMs: number, piecesMs: number[], atMs: number[]): void => {
      piecesMs.forEach((ms, k) => {
        p.readUntil(fromMs + atMs[k]);
        p.clock.ms = fromMs + atMs[k];
        p.playout.push(new Int16Array((ms / 20) * FRAME_SAMPLES).fill(1000));
      });
      p.readUntil(fromMs + 2000);
    };
    utterance(p, 1000, 10, () => 0);
    // A short reply: 100 ms, 100 ms, then the 20 ms its speech ended with, on a 100 ms pace.
    pieces(6000, [100, 100, 20], [0, 100, 200]);
    expect(startingShort(p, 9000, 20)).toBe(100);
    // Three 100 ms pieces at once, then two on the pace.
    pieces(12_000, [100, 100, 100, 100, 100], [0, 0, 0, 100, 200]);
    expect(startingShort(p, 15_000, 20)).toBe(100);
    expect(p.playout.stats()).toMatchObject({ underruns: 0, concealments: 0 });
  });

  it('holds no short first piece back from a service that sends its pieces in bursts', () => {
    const p = timed();
    /** An utterance sent all at once, in pieces of `piecesMs`; the first read that played it, from `fromMs`. */
    const burst = (fromMs: number, piecesMs: number[]): number => {
      p.readUntil(fromMs);
      p.clock.ms = fromMs;
      for (const ms of piecesMs) p.playout.push(new Int16Array((ms / 20) * FRAME_SAMPLES).fill(1000));
      return p.readUntil(fromMs + 2000)[0] - fromMs;
    };
    for (const at of [1000, 2500, 4000]) burst(at, [100, 100, 100, 100]);
    // 60 ms in all, less than a burst that starts at once: it waits 10 ms, not 10 + the 80 its first piece was short.
    for (const at of [6000, 7500, 9000]) expect(burst(at, [20, 40])).toBe(20);
    expect(p.playout.stats()).toMatchObject({ underruns: 0, concealments: 0 });
  });

  it("waits for the most any of the process's routes saw lately, and for the prior only when nobody spoke lately", () => {
    const recent = new RecentLateness();
    const a = timed({ recent });
    // One route hears chunks up to 30 ms late (in the process's first window: see the next test).
    utterance(a, 1000, 10, (k) => (k % 3 === 1 ? 30 : 0));
    // Another, new to speech, waits 10 + 30 ms, not 10 + the 100 ms prior...
    const b = timed({ recent });
    expect(utterance(b, 6500, 10, () => 0) - 6500).toBe(40);
    // ...and while the first still sees it, so does a route whose own chunks come on time: the
    // event loop and the network path to the service are the same.
    utterance(a, 9000, 10, (k) => (k % 3 === 1 ? 30 : 0));
    expect(utterance(b, 10_500, 10, () => 0) - 10_500).toBe(40);
    // Once nobody has seen it for 5 to 10 s, its own calm is what it follows.
    utterance(a, 16_000, 10, () => 0);
    expect(utterance(b, 21_000, 10, () => 0) - 21_000).toBe(20);
    // After two quiet windows nobody has seen anything lately: a route new to speech waits for the prior.
    expect(utterance(timed({ recent }), 40_000, 10, () => 0) - 40_000).toBe(120);
    expect(a.playout.stats().underruns + b.playout.stats().underruns).toBe(0);
  });

  it("keeps the prior through the process's first window of speech, so a start-up stall does not cut an utterance", () => {
    const recent = new RecentLateness();
    // The first calls' first chunks come on time...
    utterance(timed({ recent }), 500, 5, () => 0);
    // ...then, still in the process's first seconds, a chunk comes 40 ms late (calls setting up,
    // the compiler at work): a route that took the others' on-time start for the jitter would run dry.
    const b = timed({ recent });
    expect(utterance(b, 1500, 10, (k) => (k === 3 ? 40 : 0)) - 1500).toBe(120);
    expect(b.playout.stats().underruns).toBe(0);
  });
});

describe('RecentLateness', () => {
  it('reports the most noted over the last one to two windows, among a few pieces', () => {
    const r = new RecentLateness(5000);
    expect(r.lateMs(0)).toBeUndefined();
    r.note(20, 1000);
    r.note(5, 4000);
    // Nothing until a whole window has passed since the first note.
    expect(r.lateMs(4000)).toBeUndefined();
    expect(r.lateMs(5999)).toBeUndefined();
    expect(r.lateMs(6000)).toBe(20);
    r.note(8, 6000);
    expect(r.lateMs(9999)).toBe(20);
    expect(r.lateMs(10_000)).toBe(8);
    expect(r.lateMs(15_000)).toBeUndefined();
    r.note(3, 40_000);
    expect(r.lateMs(40_000)).toBe(3);
  });

  it('reports all but the latest piece in a hundred: one piece its request went late for sets no wait for every route', () => {
    const r = new RecentLateness(5000);
    // Four hundred pieces from 0 to 12 ms late, and three 80 to 95 ms late.
    for (let i = 0; i < 400; i++) r.note(i % 13, 1000 + i);
    for (const late of [80, 95, 90]) r.note(late, 2000);
    expect(r.lateMs(6000)).toBe(12);
    // Among fewer than a hundred pieces the latest counts.
    const few = new RecentLateness(5000);
    for (let i = 0; i < 60; i++) few.note(i === 30 ? 70 : 4, 1000 + i);
    expect(few.lateMs(6000)).toBe(70);
    // A few more late pieces than one in a hundred set it.
    for (let i = 0; i < 5; i++) r.note(40, 6500);
    expect(r.lateMs(6500)).toBe(40);
  });

  it('counts its first window from its first note, wherever that falls in the windows', () => {
    const r = new RecentLateness(5000);
    r.note(0, 4990);
    r.note(25, 5100);
    expect(r.lateMs(5100)).toBeUndefined();
    expect(r.lateMs(9989)).toBeUndefined();
    expect(r.lateMs(9990)).toBe(25);
  });
});
