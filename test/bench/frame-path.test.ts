/**
 * The frame path `npm run bench:instructions` counts (scripts/frame-path) runs its call faster than
 * real time; what it does must still be what a real-time call does, or the count measures something
 * else: here, that the parties' utterances end on their pauses and are written as transcript lines,
 * as they are in a call (the translator counts an utterance's pause on the call's clock it is given).
 */
import { FramePathCall } from '../../scripts/frame-path/call';
import { loadTimelines } from '../../scripts/rig/timelines';

describe('the frame path', () => {
  it('ends the utterances of its faster-than-real-time call on their pauses, as a real-time call does', async () => {
    const seconds = 20; // the caller speaks from 1 s and the agent from 8 s (scripts/rig/timelines.ts)
    const call = new FramePathCall({ chunkMs: 100, latencyTicks: 15 });
    await call.connect(loadTimelines(seconds));
    let summary: ReturnType<FramePathCall['summary']>;
    try {
      for (let i = 0; i < seconds * 50; i++) await call.step();
      summary = call.summary();
    } finally {
      await call.close();
    }
    expect(summary).toMatchObject({ framesIn: seconds * 100, edgeProblems: 0 });
    // Both parties' first utterances have paused and been written.
    expect(summary.utterances).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
