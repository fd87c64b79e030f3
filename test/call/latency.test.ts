import { LatencyTracker } from '../../src/call/latency-tracker';
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
  it('measures from the end of speech to the first translated audio', () => {
    const seen: number[] = [];
    const t = new LatencyTracker((ms) => seen.push(ms));
    t.speechStarted();
    t.speechEnded(2000);
    t.translationStarted(2700);
    t.translationStarted(2900); // the same utterance continuing
    expect(seen).toEqual([700]);
  });

  it('counts translation that starts while the speaker still talks as no wait', () => {
    const seen: number[] = [];
    const t = new LatencyTracker((ms) => seen.push(ms));
    t.speechStarted();
    t.translationStarted(1500);
    expect(seen).toEqual([0]);
  });

  it('ignores translated audio with no speech before it', () => {
    const seen: number[] = [];
    new LatencyTracker((ms) => seen.push(ms)).translationStarted(100);
    expect(seen).toEqual([]);
  });
});
