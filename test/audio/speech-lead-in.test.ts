import { SpeechLeadIn } from '../../src/audio/speech-lead-in';
import { prng } from './helpers/signals';

const FRAME = 160;

/** Pushes `ms` of audio in 20 ms frames: noise at `amp` peak, or silence. */
function feed(lead: SpeechLeadIn, ms: number, amp = 0, seed = 1): Int16Array {
  const rnd = prng(seed);
  const audio = Int16Array.from({ length: ms * 8 }, () => (amp === 0 ? 0 : Math.round((rnd() * 2 - 1) * amp)));
  for (let i = 0; i < audio.length; i += FRAME) lead.push(audio.subarray(i, i + FRAME));
  return audio;
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
});
