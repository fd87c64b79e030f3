import { losses } from '../../scripts/rig/losses';

const scrape = (m: Record<string, number>): Map<string, number> => new Map(Object.entries(m));

describe("the bench's losses", () => {
  it("counts the window's own, and what the set-up and the hang-up lost apart", () => {
    // At the window's start: a stall while the calls were set up had skipped 3 frames and cut a gap.
    const a = scrape({ tolk_clock_skipped_frames_total: 3, tolk_playout_underruns_total: 1, tolk_playout_concealments_total: 4 });
    // In the window: 40 ms of inbound audio filled, one outbound frame dropped, two concealments.
    const b = scrape({ tolk_clock_skipped_frames_total: 3, tolk_playout_underruns_total: 1, tolk_playout_concealments_total: 6, 'tolk_twilio_edge_events{kind="gap_fill_ms"}': 40, 'tolk_twilio_edge_events{kind="outbound_dropped_frames"}': 1 });
    // Every call hung up at once: the stall skipped 5 more frames, 0.1 s of play-out was dropped.
    const end = scrape({ tolk_clock_skipped_frames_total: 8, tolk_playout_underruns_total: 2, tolk_playout_concealments_total: 6, 'tolk_twilio_edge_events{kind="gap_fill_ms"}': 40, 'tolk_twilio_edge_events{kind="outbound_dropped_frames"}': 1, tolk_playout_dropped_seconds_total: 0.1 });
    expect(losses(a, b, end)).toEqual({
      framesLost: 2 + 1,
      clockSkips: 0,
      translationGaps: 0,
      translationConcealments: 2,
      framesLostOutsideWindow: 3 + 5 + 5,
      translationGapsOutsideWindow: 1 + 1,
      translationConcealmentsOutsideWindow: 4,
    });
  });

  it('counts a stall in the window as a clock skip of the window', () => {
    const a = scrape({ tolk_clock_skipped_frames_total: 0 });
    const b = scrape({ tolk_clock_skipped_frames_total: 2 });
    expect(losses(a, b, b)).toMatchObject({ framesLost: 2, clockSkips: 2, framesLostOutsideWindow: 0 });
  });
});
