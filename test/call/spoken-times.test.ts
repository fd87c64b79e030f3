import { MAX_SHIFT_MS, SpokenTimes, UNHEARD_GAP_MS } from '../../src/call/spoken-times';

describe('SpokenTimes', () => {
  it('places an utterance transcribed late where it was said', () => {
    const t = new SpokenTimes();
    t.started(13_900);
    t.ended(20_700);
    // The transcript came at the end of the speech (as some services send it).
    expect(t.place(19_800, 21_500)).toEqual({ startMs: 13_900, endMs: 20_700 });
  });

  it('reaches back over the pauses inside the speech, to where it began', () => {
    const t = new SpokenTimes();
    for (const [from, to] of [
      [13_900, 15_000],
      [15_700, 18_200],
      [19_000, 20_700],
    ]) {
      t.started(from);
      t.ended(to);
    }
    expect(t.place(19_800, 21_500)).toEqual({ startMs: 13_900, endMs: 20_700 });
  });

  it('does not reach back to speech the session let pass (said in the listener\'s own language)', () => {
    const t = new SpokenTimes();
    t.started(1000); // the listener's own language: nothing of it comes back
    t.ended(4000);
    t.started(4000 + UNHEARD_GAP_MS + 1);
    t.ended(9000);
    expect(t.place(7500, 9800)).toEqual({ startMs: 4000 + UNHEARD_GAP_MS + 1, endMs: 9000 });
  });

  it('keeps pauses inside an utterance in it, and a speaker still talking keeps its end', () => {
    const t = new SpokenTimes();
    t.started(1000);
    t.ended(2000);
    t.started(2400);
    expect(t.place(1900, 3500)).toEqual({ startMs: 1000, endMs: 3500 });
  });

  it('gives each utterance the speech after the one before', () => {
    const t = new SpokenTimes();
    t.started(1000);
    t.ended(3000);
    t.started(3600);
    t.ended(5000);
    expect(t.place(2000, 3900)).toEqual({ startMs: 1000, endMs: 3000 });
    expect(t.place(4400, 5800)).toEqual({ startMs: 3600, endMs: 5000 });
  });

  it('never moves an utterance later, nor onto speech before the previous utterance', () => {
    const t = new SpokenTimes();
    t.started(1000);
    t.ended(3000);
    expect(t.place(1500, 3200)).toEqual({ startMs: 1000, endMs: 3000 });
    // Nothing new was detected (the speaker was quiet to the detector): the transcript's times stay.
    expect(t.place(6000, 7000)).toEqual({ startMs: 6000, endMs: 7000 });
    t.started(8000);
    expect(t.place(7500, 9000)).toEqual({ startMs: 7500, endMs: 9000 });
  });

  it('ends with the speech its last words came in, leaving a short reply after it to the next utterance', () => {
    const t = new SpokenTimes();
    t.started(0);
    t.ended(3000);
    t.started(3500); // "yes", before the first utterance's last words were transcribed
    t.ended(3800);
    expect(t.place(800, 4200)).toEqual({ startMs: 0, endMs: 3000 });
    expect(t.place(4300, 4600)).toEqual({ startMs: 3500, endMs: 3800 });
  });

  it('moves times back by at most its bound: to the earliest speech within it', () => {
    const t = new SpokenTimes();
    t.started(1000);
    expect(t.place(1000 + MAX_SHIFT_MS + 1, 1000 + MAX_SHIFT_MS + 2).startMs).toBe(1000 + MAX_SHIFT_MS + 1);
    const u = new SpokenTimes();
    for (let at = 0; at < 20_000; at += 2000) {
      u.started(at);
      u.ended(at + 1500);
    }
    expect(u.place(19_000, 19_800).startMs).toBe(19_000 - MAX_SHIFT_MS);
  });
});
