/**
 * How soon the listener hears the model's translation, on the call's clock (emulated time). Once
 * the call has shown how steadily the model's voice arrives, an utterance's first sample reaches
 * the listener's leg within 40 ms of the model's reply, whether the model paces its voice (chunks
 * as long as the audio it was sent, each a little early or late) or sends it in bursts; and the
 * far end, playing on a clock of its own, hears every frame of every utterance in order, no gap;
 * translation sent in bursts stays whole even when tolk's event loop stalls for 150 ms inside it.
 */
import { decodeMulawSample } from '../../src/audio';
import { farEndHears, TimedLeg } from './fakes/far-end';
import { prng, SimulatedClock } from './fakes/simulated-clock';
import { twoPartyGraph } from './fakes/two-party-graph';

const FRAMES = 100;
/** Frame k of utterance u: one mu-law code throughout, so what the far end plays says which frame it was. */
const code = (u: number, k: number): number => (u === 0 ? 0x10 : 0x90) + k;
/** The second utterance comes this long after the first: the call has shown how its model's voice arrives. */
const LATER_MS = 11_000;

/** When each piece of the translation reaches tolk (emulated ms): its utterance, and how many frames it carries. */
type Piece = { atMs: number; utterance: number; frames: number };

/** Two utterances of `FRAMES` frames in pieces of `chunkFrames`, paced from `startMs` and `laterMs` later, each up to ±`jitterMs` off its time. */
function paced(startMs: number, chunkFrames: number, jitterMs: number, seed: number, laterMs = LATER_MS): Piece[] {
  const rnd = prng(seed);
  const pieces: Piece[] = [];
  for (const utterance of [0, 1]) {
    const from = startMs + utterance * laterMs;
    let last = 0;
    for (let k = 0; k * chunkFrames < FRAMES; k++) {
      const atMs = k === 0 ? from : Math.max(last, from + k * chunkFrames * 20 + (rnd() * 2 - 1) * jitterMs);
      pieces.push({ atMs, utterance, frames: Math.min(chunkFrames, FRAMES - k * chunkFrames) });
      last = atMs;
    }
  }
  return pieces;
}

/** tolk's event loop runs nothing for `forMs` from `fromMs` (a long collection, a busy core). */
type Stall = { fromMs: number; forMs: number };

/**
 * Plays `pieces` to the agent of a two-party call whose caller is silent, their voice linked to the
 * agent at `voiceGain` (the number's original volume), with tolk's event loop stalled through
 * `stalls`. The far end plays a frame every 20 ms at `phaseMs` past tolk's ticks, each up to
 * ±`wanderMs` off. Returns when tolk sent each utterance's first frame, how far ahead of its turn
 * (an utterance plays on from its first frame) tolk sent a frame at most, and the codes the far
 * end played, a frame each (-1 for anything else).
 */
async function listen(
  pieces: Piece[],
  phaseMs: number,
  wanderMs: number,
  seed: number,
  opts: { stalls?: Stall[]; voiceGain?: number } = {},
): Promise<{ firstSentMs: number[]; maxAheadMs: number; heard: number[] }> {
  const clock = new SimulatedClock();
  const agent = new TimedLeg(clock);
  const { graph, translators } = twoPartyGraph(clock, agent, opts.voiceGain ?? 0.16);
  graph.addRoute({ id: 'caller->agent', source: 'caller', targetLanguage: 'en', listeners: ['agent'] });
  await new Promise((r) => setImmediate(r));
  const model = translators.to('en');
  const said = [0, 0];
  const arrive = (piece: Piece) => {
    const pcm = new Int16Array(piece.frames * 160);
    for (let k = 0; k < piece.frames; k++) pcm.fill(decodeMulawSample(code(piece.utterance, said[piece.utterance]++)), k * 160, (k + 1) * 160);
    model.fire('audio', pcm);
  };
  const ahead = [...(opts.stalls ?? [])];
  for (let i = 0; i < pieces.length; i++) {
    const stall = ahead[0];
    if (stall && stall.fromMs <= pieces[i].atMs) {
      ahead.shift();
      clock.advanceTo(stall.fromMs);
      const during = pieces.slice(i).filter((p) => p.atMs < stall.fromMs + stall.forMs);
      clock.stallUntil(stall.fromMs + stall.forMs, () => during.forEach(arrive));
      i += during.length - 1;
      continue;
    }
    clock.advanceTo(pieces[i].atMs);
    arrive(pieces[i]);
  }
  clock.advanceTo(pieces[pieces.length - 1].atMs + 1000);
  await graph.close();

  const firstSentMs = [0, 1].map((u) => agent.sentAtMs[agent.sent.findIndex((f) => f.every((b) => b === code(u, 0)))]);
  let maxAheadMs = 0;
  agent.sent.forEach((f, i) => {
    for (const u of [0, 1]) {
      const k = f[0] - code(u, 0);
      if (k >= 0 && k < FRAMES && f.every((b) => b === f[0])) maxAheadMs = Math.max(maxAheadMs, firstSentMs[u] + 20 * k - agent.sentAtMs[i]);
    }
  });
  return { firstSentMs, maxAheadMs, heard: farEndHears(agent.sent, agent.sentAtMs, clock.nowMs, { phaseMs, wanderMs, seed }) };
}

/** What the far end played of utterance `u`, from its first frame on. */
const played = (heard: number[], u: number): number[] => heard.slice(heard.indexOf(code(u, 0)), heard.indexOf(code(u, 0)) + FRAMES);
const whole = (u: number): number[] => Array.from({ length: FRAMES }, (_, k) => code(u, k));

describe("the model's translation on its way to the listener", () => {
  it.each([
    [100, 1007, 8, 1],
    [100, 1019, 5, 2],
    [40, 1003, 5, 3],
    [20, 1011, 5, 4],
  ])('paced in %p ms chunks (the first at %p ms, each up to ±%p ms off): sent within 40 ms, heard whole', async (chunkMs, startMs, jitterMs, seed) => {
    for (const [phase, wander] of [
      [0, 8],
      [11, 8],
      [19, 12],
    ]) {
      const { firstSentMs, heard } = await listen(paced(startMs, chunkMs / 20, jitterMs, seed), phase, wander, seed);
      expect(firstSentMs[1] - (startMs + LATER_MS)).toBeLessThanOrEqual(40);
      expect(played(heard, 0)).toEqual(whole(0));
      expect(played(heard, 1)).toEqual(whole(1));
    }
  });

  it.each([60, 90])("paced, through a %p ms stall of tolk's event loop inside the first utterance: the next is still sent within 40 ms, both heard whole", async (forMs) => {
    // What arrived while the loop stalled is read before the frames the stall held up, so it was
    // in time for them: it says nothing of how late the model's voice comes, and the next
    // utterance (in the next window of the play-out's learning) waits no longer than it would
    // have without the stall.
    const laterMs = 5000;
    const stalls = [{ fromMs: 1500, forMs }];
    for (const [phase, wander] of [
      [0, 8],
      [11, 8],
    ]) {
      const { firstSentMs, heard } = await listen(paced(1007, 5, 5, 6, laterMs), phase, wander, 6, { stalls, voiceGain: 0 });
      const calm = await listen(paced(1007, 5, 5, 6, laterMs), phase, wander, 6, { voiceGain: 0 });
      expect(firstSentMs[1]).toBe(calm.firstSentMs[1]);
      expect(firstSentMs[1] - (1007 + laterMs)).toBeLessThanOrEqual(40);
      expect(played(heard, 0)).toEqual(whole(0));
      expect(played(heard, 1)).toEqual(whole(1));
    }
  });

  it.each([
    [5950, 90],
    [5970, 60],
  ])("paced, through a stall of tolk's event loop from %p ms (for %p ms) as the next utterance begins: both heard whole", async (fromMs, forMs) => {
    // The next utterance's first piece (at 6007 ms) comes in the stall: the service paces the rest
    // from when it came, so the frames ticked late for the stall must not start playing it, or it
    // runs ahead of its pace and the next piece comes late for the frames after them.
    const stalls = [{ fromMs, forMs }];
    for (const [phase, wander] of [
      [0, 8],
      [11, 8],
    ]) {
      const { heard } = await listen(paced(1007, 5, 5, 6, 5000), phase, wander, 6, { stalls, voiceGain: 0 });
      expect(played(heard, 0)).toEqual(whole(0));
      expect(played(heard, 1)).toEqual(whole(1));
    }
  });

  it("paced, the next utterance's first piece read just before a tick that ran 18 ms after it fell due: sent as if the tick had been on time, heard whole", async () => {
    // A busy loop runs a tick after the sockets it reads: the next utterance's first piece (at
    // 6007 ms, on the dot: no jitter) is read before the tick due at 6000 ms, which runs at 6018 ms
    // and could play it. Its start wait counts from that tick's due time, as if it had been read
    // before an on-time tick (sent at 6020 ms); counted from when the loop got to it, it would go
    // a tick later (6040 ms).
    for (const [phase, wander] of [
      [0, 8],
      [11, 8],
    ]) {
      const calm = await listen(paced(1007, 5, 0, 6, 5000), phase, wander, 6, { voiceGain: 0 });
      const { firstSentMs, heard } = await listen(paced(1007, 5, 0, 6, 5000), phase, wander, 6, { stalls: [{ fromMs: 5999, forMs: 19 }], voiceGain: 0 });
      expect(calm.firstSentMs[1]).toBe(6020);
      expect(firstSentMs[1]).toBe(6020);
      expect(played(heard, 0)).toEqual(whole(0));
      expect(played(heard, 1)).toEqual(whole(1));
    }
  });

  it('in bursts (each reply at once, faster than real time): sent within 40 ms, heard whole', async () => {
    // Two seconds of translation in four bursts, each as soon as the model has it.
    const pieces = [0, 1].flatMap((utterance) => [1005, 1450, 1900, 2350].map((atMs) => ({ atMs: atMs + utterance * LATER_MS, utterance, frames: 25 })));
    const { firstSentMs, heard } = await listen(pieces, 7, 10, 5);
    expect(firstSentMs[1] - (1005 + LATER_MS)).toBeLessThanOrEqual(40);
    expect(played(heard, 0)).toEqual(whole(0));
    expect(played(heard, 1)).toEqual(whole(1));
  });

  const bursts = (): Piece[] => [0, 1].flatMap((utterance) => [1005, 1450, 1900, 2350].map((atMs) => ({ atMs: atMs + utterance * LATER_MS, utterance, frames: 25 })));

  it.each([1100, 1250, 1703, 2500])("in bursts with no voice under it, through a 150 ms stall of tolk's event loop from %p ms in each utterance: heard whole", async (stallMs) => {
    // Each stall comes while tolk holds more than 150 ms of the translation: what it holds is
    // already in the far end's buffer, which plays on through the stall. (A stall that outlasts
    // what was there cuts a hole, as it would at any lead.)
    const stalls = [stallMs, stallMs + LATER_MS].map((fromMs) => ({ fromMs, forMs: 150 }));
    for (const [phase, wander] of [
      [0, 8],
      [11, 8],
      [19, 12],
    ]) {
      const { heard } = await listen(bursts(), phase, wander, 8, { stalls, voiceGain: 0 });
      expect(played(heard, 0)).toEqual(whole(0));
      expect(played(heard, 1)).toEqual(whole(1));
    }
  });

  it("in bursts with the speaker's voice linked under it: never sent more than 40 ms ahead, so a voice coming in is not delayed behind it", async () => {
    // The voice would be mixed into frames that play after everything sent ahead, and so would
    // the rest of the translation while it speaks.
    expect((await listen(bursts(), 7, 10, 9, { voiceGain: 0.16 })).maxAheadMs).toBeLessThanOrEqual(40);
    // With no voice linked, it is sent as far ahead as tolk holds it, up to 200 ms.
    expect((await listen(bursts(), 7, 10, 9, { voiceGain: 0 })).maxAheadMs).toBeGreaterThanOrEqual(160);
  });
});
