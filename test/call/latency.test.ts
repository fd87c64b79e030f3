import { LatencyTracker, MAX_LAG_MS } from '../../src/call/latency-tracker';
import { UNHEARD_GAP_MS } from '../../src/call/spoken-times';
import type { UtteranceDelay } from '../../src/call/ports';
import { SpeechDetector } from '../../src/audio/speech-detector';

const frame = (amp: number): Int16Array => Int16Array.from({ length: 160 }, (_, i) => Math.round(amp * Math.sin(i / 3)));

describe('SpeechDetector', () => {
  it('finds the start and the end of speech in background noise, keeping short pauses inside', () => {
    const d = new SpeechDetector({ hangoverMs: 200 });
    const edges: string[] = [];
    let t = 0;
    const feed = (amp: number, frames: number): void => {
      for (let i = 0; i < frames; i++) {
        t += 20;
        const e = d.push(frame(amp), t);
        if (e) edges.push(`${e.type}@${e.atMs}`);
      }
    };
    feed(30, 50); // quiet line noise
    feed(6000, 25); // speech from 1000 to 1500 ms
    feed(30, 5); // a 100 ms pause: still the same utterance
    feed(6000, 10); // until 1800 ms
    feed(30, 30);
    expect(edges).toEqual(['start@1000', 'end@1800']);
  });
});

describe('LatencyTracker', () => {
  const tracker = (): { t: LatencyTracker; seen: UtteranceDelay[] } => {
    const seen: UtteranceDelay[] = [];
    return { t: new LatencyTracker((d) => seen.push(d)), seen };
  };

  it('measures from the end of speech, and from its start, to the first translated audio', () => {
    const { t, seen } = tracker();
    t.speechStarted(1000, false);
    t.speechEnded(2000);
    t.translationStarted(2700);
    t.translationStarted(2900); // another listener of the same translation
    expect(seen).toEqual([{ latencyMs: 700, lagMs: 1700 }]);
  });

  it('counts translation that starts while the speaker still talks as no wait, and still measures its lag', () => {
    const { t, seen } = tracker();
    t.speechStarted(400, false);
    t.translationStarted(1500);
    expect(seen).toEqual([{ latencyMs: 0, lagMs: 1100 }]);
  });

  it('measures the lag from the first start of speech still waiting for its translation, however long the quiet after it', () => {
    const { t, seen } = tracker();
    t.speechStarted(1000, false);
    t.wordsHeard(1900);
    t.speechEnded(3000);
    t.speechStarted(5600, false); // "hello?": the translation is slow to come
    t.translationStarted(5800);
    expect(seen).toEqual([{ latencyMs: 0, lagMs: 4800 }]);
  });

  it('stops waiting on speech the session dealt with without a translation heard (the listener\'s own language)', () => {
    const { t, seen } = tracker();
    t.speechStarted(1000, false);
    t.translationStarted(2000);
    t.translationEnded(4500);
    t.speechStarted(5000, false); // the listener's own language: nothing comes back
    t.speechEnded(7000);
    t.utteranceDone(7000);
    t.speechStarted(8000, false); // the reply, soon after
    t.translationStarted(9000);
    expect(seen).toEqual([
      { latencyMs: 0, lagMs: 1000 },
      { latencyMs: 0, lagMs: 1000 },
    ]);
  });

  it('measures from the speech, not from a noise before it that nothing was transcribed of', () => {
    const { t, seen } = tracker();
    t.speechStarted(0, false); // a cough
    t.speechEnded(300);
    t.speechStarted(300 + UNHEARD_GAP_MS + 1, false);
    t.wordsHeard(300 + UNHEARD_GAP_MS + 800);
    t.translationStarted(300 + UNHEARD_GAP_MS + 1001);
    expect(seen).toEqual([{ latencyMs: 0, lagMs: 1000 }]);
  });

  it('does not measure speech that began while a translation played, or just after it paused', () => {
    const { t, seen } = tracker();
    t.speechStarted(1000, false);
    t.translationStarted(2000);
    t.speechStarted(2500, true); // the speaker goes on while the listener hears the translation
    t.translationEnded(4000);
    t.speechStarted(6000, false); // after a silence: still behind the speech that is not timed
    t.translationStarted(6500);
    t.translationEnded(9000);
    t.speechStarted(9100, false); // the translation only paused...
    t.translationStarted(9200); // ...and goes on: nothing new
    t.translationEnded(9500);
    t.speechStarted(11_000, false);
    t.translationStarted(12_200);
    expect(seen).toEqual([{ latencyMs: 0, lagMs: 1000 }, { latencyMs: 0 }, { latencyMs: 0, lagMs: 1200 }]);
  });

  it('leaves out a lag longer than any translation takes', () => {
    const { t, seen } = tracker();
    t.speechStarted(1000, false);
    t.speechEnded(2000);
    t.translationStarted(1000 + MAX_LAG_MS + 1);
    expect(seen).toEqual([{ latencyMs: MAX_LAG_MS - 999 }]);
  });

  it('ignores translated audio with no speech before it', () => {
    const { t, seen } = tracker();
    t.translationStarted(100);
    expect(seen).toEqual([]);
  });
});
