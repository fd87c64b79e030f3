/**
 * A translation's play-out learns how late its pieces come over windows of 5 s of the call's
 * clock (see SpeechPlayout): the wait before an utterance starts keeps its prior, and what it grew
 * after a gap, for as long whether the listener's frames are sent far ahead of the far end's
 * play-out (no voice linked to them) or not, and however many times a frame is asked for.
 */
import type { SpeechInput } from '../../src/audio/mixer';
import { TimedLeg } from './fakes/far-end';
import { SimulatedClock } from './fakes/simulated-clock';
import { twoPartyGraph } from './fakes/two-party-graph';

/** The times (ms) at which the start wait is looked at. */
const LOOKS = [2900, 3900, 4900, 5900, 8900, 11900];

/**
 * The model paces its translation to the agent in pieces of `chunkFrames` frames from 1 s in; at 2 s
 * one piece comes 300 ms late (a gap: the wait grows). Returns the translation's start wait at each
 * of `LOOKS`, and its gaps by then.
 */
async function waits(voiceGain: number, chunkFrames: number): Promise<{ waitMs: number; gaps: number }[]> {
  const clock = new SimulatedClock();
  const agent = new TimedLeg(clock);
  const { graph, translators } = twoPartyGraph(clock, agent, voiceGain);
  graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
  await new Promise((r) => setImmediate(r));
  const model = translators.to('en');
  const input = graph.endpoint('agent')?.mixer.input('speech:caller->agent') as SpeechInput;
  const seen: { waitMs: number; gaps: number }[] = [];
  const looks = [...LOOKS];
  let lateDone = false;
  for (let t = 1000; looks.length > 0; t += chunkFrames * 20) {
    if (!lateDone && t >= 2000) {
      lateDone = true;
      t += 300;
    }
    for (; looks.length > 0 && looks[0] < t + 7; looks.shift()) {
      clock.advanceTo(looks[0]);
      const s = input.playout.stats();
      seen.push({ waitMs: s.waitMs, gaps: s.underruns });
    }
    clock.advanceTo(t + 7);
    model.fire('audio', new Int16Array(160 * chunkFrames).fill(3000));
  }
  await graph.close();
  return seen;
}

describe("a translation's start wait, sent far ahead to a listener no voice is linked to", () => {
  it.each([1, 5])('in pieces of %p frames: keeps what it grew after a gap, and its prior, as long as a linked one does', async (chunkFrames) => {
    const ahead = await waits(0, chunkFrames);
    expect(ahead).toEqual(await waits(1, chunkFrames));
    // Grown after the gap at 2 s, and kept through the window it came in (to 6 s)...
    expect(ahead[0].gaps).toBe(1);
    expect(ahead.slice(0, 3)).toEqual([ahead[0], ahead[0], ahead[0]]);
    // ...then given back after calm windows.
    expect(ahead[5].waitMs).toBeLessThan(ahead[0].waitMs);
  });
});
