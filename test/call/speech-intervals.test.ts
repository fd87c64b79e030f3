import { END_SLACK_MS, KEPT_INTERVALS, MAX_SPEECH_MS, REPORT_DELAY_MS, SpeechIntervals, TAIL_MS } from '../../src/call/speech-intervals';

/** Reports that `id` spoke from `from` to `to`, arriving REPORT_DELAY_MS after each edge. */
function spoke(s: SpeechIntervals, id: string, from: number, to: number): void {
  s.started(id, from + REPORT_DELAY_MS);
  s.stopped(id, to + REPORT_DELAY_MS);
}

describe('speech intervals', () => {
  it('measure how much of a line each party spoke, allowing for the reports trailing the speech', () => {
    const s = new SpeechIntervals();
    spoke(s, 'agent', 1000, 3000);
    expect(s.overlap('agent', 1000, 3000, 10_000)).toBe(2000);
    expect(s.overlap('agent', 2500, 4000, 10_000)).toBe(500);
    expect(s.overlap('guest', 1000, 3000, 10_000)).toBe(0);
  });

  it('name the one candidate whose speech clearly covers the line', () => {
    const s = new SpeechIntervals();
    spoke(s, 'agent', 1000, 3000);
    spoke(s, 'guest', 5000, 7000);
    // A short overlap at the turn is not a rival.
    spoke(s, 'caller', 2800, 4000);
    expect(s.clearSpeaker(['agent', 'guest'], 1000, 3000, 10_000)).toBe('agent');
    expect(s.clearSpeaker(['agent', 'guest', 'caller'], 1000, 3000, 10_000)).toBe('agent');
    expect(s.clearSpeaker(['agent', 'guest'], 5000, 7000, 10_000)).toBe('guest');
  });

  it('judge a line by who said its end: a reply timed from the start of the turn before it names who replied', () => {
    const s = new SpeechIntervals();
    // The guest speaks [10 s, 14 s]; the caller replies [14.6 s, 15.5 s]; the line's start reached
    // back over the guest's turn, so the guest covers most of [10 s, 15.5 s].
    spoke(s, 'guest', 10_000, 14_000);
    spoke(s, 'caller', 14_600, 15_500);
    expect(s.clearSpeaker(['guest', 'caller'], 10_000, 15_500, 20_000)).toBe('caller');
    // A reply within 300 ms, its start reported while the guest's stop was still to come.
    const t = new SpeechIntervals();
    spoke(t, 'guest', 10_000, 14_300);
    spoke(t, 'caller', 14_550, 15_500);
    expect(t.clearSpeaker(['guest', 'caller'], 10_000, 15_500, 20_000)).toBe('caller');
    // The guest speaking over the caller's reply is a rival.
    spoke(t, 'guest', 20_000, 21_500);
    spoke(t, 'caller', 20_200, 21_500);
    expect(t.clearSpeaker(['guest', 'caller'], 20_000, 21_500, 25_000)).toBeUndefined();
  });

  it('name no one when the one speaking at the end covers less than half the tail, or no one was', () => {
    const s = new SpeechIntervals();
    spoke(s, 'caller', 14_800, 15_500);
    expect(s.clearSpeaker(['caller'], 10_000, 15_500, 20_000)).toBeUndefined();
    expect(s.clearSpeaker(['caller'], 15_500 - TAIL_MS, 15_500, 20_000)).toBeUndefined();
    // Speech that stopped before the line's last words.
    spoke(s, 'agent', 30_000, 33_000);
    expect(s.clearSpeaker(['agent'], 30_000, 33_000 + END_SLACK_MS + 100, 40_000)).toBeUndefined();
    expect(s.clearSpeaker(['agent'], 30_000, 33_000 + END_SLACK_MS - 100, 40_000)).toBe('agent');
  });

  it('drop a report numbered no later than the last one taken for its party', () => {
    const s = new SpeechIntervals();
    // The stop of speech at [1 s, 1.4 s] is handled before its start.
    expect(s.report('agent', false, 1700, 6)).toBe(true);
    expect(s.report('agent', true, 1750, 5)).toBe(false);
    expect(s.overlap('agent', 0, 40_000, 40_000)).toBe(0);
    // In order; the same report twice counts once; unnumbered reports are taken as they come.
    expect(s.report('agent', true, 5300, 7)).toBe(true);
    expect(s.report('agent', true, 5300, 7)).toBe(false);
    expect(s.report('agent', false, 6300, 8)).toBe(true);
    expect(s.overlap('agent', 0, 40_000, 40_000)).toBe(1000);
    expect(s.report('guest', true, 5300)).toBe(true);
    expect(s.report('guest', false, 6300)).toBe(true);
    expect(s.overlap('guest', 0, 40_000, 40_000)).toBe(1000);
  });

  it('name no one when two talked over each other, or no one spoke most of the line', () => {
    const s = new SpeechIntervals();
    spoke(s, 'agent', 1000, 3000);
    spoke(s, 'guest', 1500, 3000);
    expect(s.clearSpeaker(['agent', 'guest'], 1000, 3000, 10_000)).toBeUndefined();
    // The guest alone would have been named.
    expect(s.clearSpeaker(['guest'], 1500, 3000, 10_000)).toBe('guest');
    // Speech over less than half the line.
    spoke(s, 'caller', 20_000, 20_800);
    expect(s.clearSpeaker(['caller', 'agent'], 20_000, 22_000, 30_000)).toBeUndefined();
    // A line with no length, and no candidates.
    expect(s.clearSpeaker(['agent'], 2000, 2000, 10_000)).toBeUndefined();
    expect(s.clearSpeaker([], 1000, 3000, 10_000)).toBeUndefined();
  });

  it('count speech in progress up to now, and close a start whose stop never came after MAX_SPEECH_MS', () => {
    const s = new SpeechIntervals();
    s.started('agent', 1000 + REPORT_DELAY_MS);
    expect(s.overlap('agent', 1000, 3000, 2000)).toBe(2000 - 1000 - REPORT_DELAY_MS);
    expect(s.overlap('agent', 1000, 3000, 5000)).toBe(2000);
    const end = 1000 + MAX_SPEECH_MS;
    expect(s.overlap('agent', end - 1000, end + 5000, end + 60_000)).toBe(1000);
    // A stop long after the deadline does not stretch it; a new start closes the old one.
    s.stopped('agent', end + 50_000);
    expect(s.overlap('agent', end - 1000, end + 5000, end + 60_000)).toBe(1000);
    s.started('guest', 100);
    s.started('guest', 2100);
    s.stopped('guest', 3100);
    expect(s.overlap('guest', -1000, 5000, 6000)).toBe(3000);
  });

  it('keep the last KEPT_INTERVALS per party, and forget a party', () => {
    const s = new SpeechIntervals();
    for (let i = 0; i <= KEPT_INTERVALS; i++) spoke(s, 'agent', i * 1000, i * 1000 + 500);
    expect(s.overlap('agent', 0, 1000, 100_000)).toBe(0);
    expect(s.overlap('agent', 1000, 2000, 100_000)).toBe(500);
    s.forget('agent');
    expect(s.overlap('agent', 0, 100_000, 100_000)).toBe(0);
  });
});
