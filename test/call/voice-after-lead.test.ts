/**
 * Translation tolk holds is sent ahead of the far end's play-out to a listener no voice is heard
 * by (original volume 0). When the other party's own voice comes up during the call (their
 * language turns out to be the listener's, or the translation fails), it must not play behind all
 * that was sent ahead for as long as it keeps talking: it is heard as soon as it would be by a
 * listener it was linked to all along.
 */
import { decodeMulawSample } from '../../src/audio';
import { farEndHears, TimedLeg } from './fakes/far-end';
import { SimulatedClock } from './fakes/simulated-clock';
import { twoPartyGraph } from './fakes/two-party-graph';

const TRANSLATION = 0x30;
/** Frame k of the caller's voice: one loud mu-law code throughout. */
const voiceCode = (k: number): number => 0x90 + k;
const VOICE_FRAMES = 100;
/** A quiet phone line: low noise, not digital silence (the voice is live all along). */
const LINE_NOISE = 0x7d;
const DIGITAL_SILENCE = 0xff;
const PHASE_MS = 10;

/**
 * The agent hears a 2 s translation from 1 s in; the caller, linked to them at `voiceGain`, says
 * `VOICE_FRAMES` frames from 2 s in (`quiet` otherwise), and the route goes direct at
 * `goDirectAtMs`. Returns how late the far end played each of the caller's frames after it arrived.
 */
async function voiceDelays(voiceGain: number, quiet: number, goDirectAtMs?: number): Promise<number[]> {
  const clock = new SimulatedClock();
  const agent = new TimedLeg(clock);
  const { graph, caller, translators } = twoPartyGraph(clock, agent, voiceGain);
  graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
  await new Promise((r) => setImmediate(r));
  const model = translators.to('en');
  const saidAtMs: number[] = [];
  for (let k = 0; k < 300; k++) {
    const atMs = 20 * k + 3;
    clock.advanceTo(atMs);
    if (k === 50) model.fire('audio', new Int16Array(160 * 100).fill(decodeMulawSample(TRANSLATION)));
    if (goDirectAtMs !== undefined && atMs >= goDirectAtMs && atMs < goDirectAtMs + 20) graph.setRouteMode('caller->agent', 'direct');
    const v = k - 100;
    if (v >= 0 && v < VOICE_FRAMES) {
      saidAtMs[v] = atMs;
      caller.say(new Uint8Array(160).fill(voiceCode(v)));
    } else caller.say(new Uint8Array(160).fill(quiet));
  }
  clock.advanceTo(20 * 300 + 500);
  await graph.close();
  const heard = farEndHears(agent.sent, agent.sentAtMs, clock.nowMs, { phaseMs: PHASE_MS, wanderMs: 0, seed: 1 });
  const delays: number[] = [];
  heard.forEach((c, i) => {
    const v = c - voiceCode(0);
    if (v >= 0 && v < VOICE_FRAMES) delays.push((i + 1) * 20 + PHASE_MS - saidAtMs[v]);
  });
  return delays;
}

describe("the other party's voice coming up while translation was sent ahead", () => {
  it('is heard, to its end, no later than by a listener it was linked to all along', async () => {
    // Linked all along, a voice starting under the translation comes in behind what was primed.
    const linked = Math.max(...(await voiceDelays(1, DIGITAL_SILENCE)));
    for (const goDirectAtMs of [1200, 1950, 2500]) {
      const delays = await voiceDelays(0, LINE_NOISE, goDirectAtMs);
      expect(delays.length).toBeGreaterThan(VOICE_FRAMES / 2);
      expect(delays.slice(10)).toEqual(delays.slice(10).map(() => delays[10]));
      expect(delays[10]).toBeLessThanOrEqual(linked);
    }
  });
});
