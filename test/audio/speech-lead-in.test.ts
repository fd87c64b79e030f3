import { SpeechDetector } from '../../src/audio/speech-detector';
import { SpeechLeadIn } from '../../src/audio/speech-lead-in';
import { prng } from './helpers/signals';

const FRAME = 160;

/** Noise at `amp` peak (`ms` long), or silence. */
function noise(ms: number, amp = 0, seed = 1): Int16Array {
  const rnd = prng(seed);
  return Int16Array.from({ length: ms * 8 }, () => (amp === 0 ? 0 : Math.round((rnd() * 2 - 1) * amp)));
}

/** Pushes `ms` of audio in 20 ms frames: noise at `amp` peak, or silence. */
function feed(lead: SpeechLeadIn, ms: number, amp = 0, seed = 1): Int16Array {
  const audio = noise(ms, amp, seed);
  for (let i = 0; i < audio.length; i += FRAME) lead.push(audio.subarray(i, i + FRAME));
  return audio;
}

/** A line whose owner runs its own speech detector, and a lead-in that follows it. */
function owned(detector: SpeechDetector, maxMs?: number): { lead: SpeechLeadIn; feed: (ms: number, amp?: number, seed?: number) => Int16Array } {
  const lead = new SpeechLeadIn({ detector, ...(maxMs ? { maxMs } : {}) });
  let atMs = 0;
  return {
    lead,
    feed: (ms, amp = 0, seed = 1) => {
      const audio = noise(ms, amp, seed);
      for (let i = 0; i < audio.length; i += FRAME) {
        const frame = audio.subarray(i, i + FRAME);
        detector.push(frame, (atMs += 20));
        lead.push(frame);
      }
      return audio;
    },
  };
}

describe('SpeechLeadIn', () => {
  it('carries the utterance in progress from just before its start', () => {
    const lead = new SpeechLeadIn({ leadMs: 100 });
    feed(lead, 1000);
    const word = feed(lead, 300, 6000);
    const taken = lead.inProgress();
    expect(taken.length).toBe(400 * 8);
    expect(taken.subarray(0, 800).every((v) => v === 0)).toBe(true);
    expect(taken.subarray(800)).toEqual(word);
    // Asked again as the utterance goes on: still from its start, with what came since.
    const more = feed(lead, 100, 6000, 2);
    expect(lead.inProgress().subarray(800)).toEqual(Int16Array.from([...word, ...more]));
  });

  it('carries nothing once the utterance is over, nor while nobody has spoken', () => {
    const quiet = new SpeechLeadIn();
    feed(quiet, 1000);
    expect(quiet.inProgress().length).toBe(0);
    const done = new SpeechLeadIn();
    feed(done, 500);
    feed(done, 300, 6000);
    feed(done, 400); // past the detector's 300 ms pause
    expect(done.inProgress().length).toBe(0);
  });

  it('keeps a short pause inside the utterance', () => {
    const lead = new SpeechLeadIn({ leadMs: 0 });
    feed(lead, 500);
    feed(lead, 300, 6000, 1);
    feed(lead, 200);
    feed(lead, 100, 6000, 2);
    expect(lead.inProgress().length).toBe(600 * 8);
  });

  it('carries at most maxMs of a long utterance: its latest', () => {
    const lead = new SpeechLeadIn({ maxMs: 1000 });
    feed(lead, 200);
    const talk = feed(lead, 3000, 6000);
    expect(lead.inProgress()).toEqual(talk.subarray(talk.length - 1000 * 8));
  });

  describe('on its owner\'s speech detector', () => {
    it('carries the utterance in progress from 100 ms before the start its owner detected, at most maxMs of it', () => {
      const line = owned(new SpeechDetector(), 4000);
      const hush = line.feed(1000, 20); // line noise, far below speech
      expect(line.lead.inProgress().length).toBe(0);
      const word = line.feed(1000, 6000);
      expect(line.lead.inProgress()).toEqual(Int16Array.from([...hush.subarray(hush.length - 800), ...word]));
      // Talking on for 5 s in all: its latest 4 s.
      const more = line.feed(4000, 6000, 2);
      const talk = Int16Array.from([...word, ...more]);
      expect(line.lead.inProgress()).toEqual(talk.subarray(talk.length - 4000 * 8));
    });

    it('takes speech\'s start and end from its owner\'s detector, not one of its own', () => {
      // An owner pausing longer before it calls an utterance over: a 500 ms pause stays inside it.
      const patient = owned(new SpeechDetector({ hangoverMs: 1000 }));
      patient.feed(500);
      patient.feed(300, 6000);
      patient.feed(500);
      expect(patient.lead.inProgress().length).toBe((100 + 300 + 500) * 8);
      // An owner that takes nothing this quiet for speech: nobody is speaking.
      const deaf = owned(new SpeechDetector({ minLevelDb: -10 }));
      deaf.feed(500);
      deaf.feed(300, 6000);
      expect(deaf.lead.inProgress().length).toBe(0);
    });
  });
});
