/**
 * The far end (Twilio) plays what tolk sends from its own buffer, on its own clock, which never
 * ticks quite in step with tolk's. A voice that starts after a long silence (the far end's buffer
 * has run dry) must still be heard whole: no hole at the start of each utterance, none inside it.
 */
import { encodeMulaw } from '../../src/audio';
import { farEndHears, TimedLeg } from './fakes/far-end';
import { SimulatedClock } from './fakes/simulated-clock';
import { twoPartyGraph } from './fakes/two-party-graph';

const UTTERANCE_FRAMES = 100;
/** Frame k of utterance u: one loud mu-law code throughout, so what the far end plays says which frame it was. */
const code = (u: number, k: number): number => (u === 0 ? 0x10 + (k % 50) : 0x90 + (k % 50));

/**
 * Two utterances, each after 2 s of digital silence, from a caller whose frames arrive on time.
 * The far end plays one frame every 20 ms at `phaseMs` past tolk's ticks, each tick up to
 * ±`wanderMs` off. Returns the codes the agent heard, a frame each (-1 for silence).
 */
function heardByAgent(seed: number, phaseMs: number, wanderMs: number): number[] {
  const clock = new SimulatedClock();
  const agent = new TimedLeg(clock);
  const { graph, caller } = twoPartyGraph(clock, agent);
  const silence = encodeMulaw(new Int16Array(160));
  const said: Uint8Array[] = [];
  for (let u = 0; u < 2; u++) {
    for (let k = 0; k < 100; k++) said.push(silence);
    for (let k = 0; k < UTTERANCE_FRAMES; k++) said.push(new Uint8Array(160).fill(code(u, k)));
  }
  for (let k = 0; k < 50; k++) said.push(silence);
  said.forEach((frame, k) => {
    clock.advanceTo(20 * k + 3);
    caller.say(frame);
  });
  clock.advanceTo(20 * said.length + 500);
  void graph.close();

  return farEndHears(agent.sent, agent.sentAtMs, clock.nowMs, { phaseMs, wanderMs, seed });
}

describe("the far end's play-out of a live voice", () => {
  it.each([
    [1, 0, 8],
    [2, 19, 8],
    [3, 10, 12],
  ])('hears each utterance after a silence whole, with no hole (seed %p, far end %p ms after tolk, wandering ±%p ms)', (seed, phase, wander) => {
    const heard = heardByAgent(seed, phase, wander);
    for (let u = 0; u < 2; u++) {
      const start = heard.indexOf(code(u, 0));
      expect(start).toBeGreaterThan(0);
      expect(heard.slice(start, start + UTTERANCE_FRAMES)).toEqual(Array.from({ length: UTTERANCE_FRAMES }, (_, k) => code(u, k)));
    }
  });
});
