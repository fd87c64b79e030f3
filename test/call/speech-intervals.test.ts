import { KEPT_INTERVALS, MAX_SPEECH_MS, REPORT_DELAY_MS, SpeechIntervals } from '../../src/call/speech-intervals';

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
