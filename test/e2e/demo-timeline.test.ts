import { answerOffsetSec, exchange, listenerOffsetSec } from '../../scripts/demo-timeline';
import type { EmulatorEvent } from '../../src/emulators/twilio/events';

const RATE = 8000;

/** Reproducible noise standing in for speech: `sec` seconds at `amplitude`. */
function speech(sec: number, amplitude: number, seed: number): Int16Array {
  const out = new Int16Array(Math.round(sec * RATE));
  let x = seed;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    out[i] = Math.round((x / 2_147_483_648 - 0.5) * 2 * amplitude);
  }
  return out;
}

/** A recording of `sec` seconds with `sound` added at `atSec`, scaled by `gain`. */
function track(sec: number, ...parts: { atSec: number; sound: Int16Array; gain?: number }[]): Int16Array {
  const pcm = new Int16Array(Math.round(sec * RATE));
  for (const p of parts) {
    const at = Math.round(p.atSec * RATE);
    p.sound.forEach((v, i) => (pcm[at + i] += Math.round(v * (p.gain ?? 1))));
  }
  return pcm;
}

describe("the demo's timeline of when each side heard the translation", () => {
  // The agent answers 3 s after the caller. The caller speaks from 4 s to 7 s (their timeline);
  // tolk passes their voice to the agent 0.2 s later, 16 dB down, and the translation starts 0.9 s
  // after they started speaking.
  const words = speech(3, 10_000, 1);
  const said = track(10, { atSec: 4, sound: words });
  const heard = track(7, { atSec: 1.2, sound: words, gain: 0.16 }, { atSec: 1.9, sound: speech(3.1, 12_000, 2) });
  const events: EmulatorEvent[] = [
    { t: 1_000, callSid: 'CAcaller', type: 'call.status', status: 'ringing' },
    { t: 2_000, callSid: 'CAcaller', type: 'call.status', status: 'in-progress' },
    { t: 4_500, callSid: 'CAagent', type: 'call.status', status: 'ringing' },
    { t: 5_000, callSid: 'CAagent', type: 'call.status', status: 'in-progress' },
  ];

  it('places the agent\'s recording on the caller\'s timeline by when each leg was answered', () => {
    expect(answerOffsetSec(events, 'CAcaller', 'CAagent')).toBe(3);
    expect(answerOffsetSec(events, 'CAcaller', 'CAnobody')).toBeUndefined();
  });

  it('counts the translation from when the caller started speaking, the time through tolk included', () => {
    const x = exchange(said, 0, heard, answerOffsetSec(events, 'CAcaller', 'CAagent')!)!;
    expect(x.spoke.startSec).toBeCloseTo(4, 1);
    expect(x.heard.startSec - x.spoke.startSec).toBeCloseTo(0.9, 1);
    // Aligning on the caller's own voice instead hides the 0.2 s it took through tolk.
    const aligned = exchange(said, 0, heard, listenerOffsetSec(said, heard)!)!;
    expect(aligned.heard.startSec - aligned.spoke.startSec).toBeCloseTo(0.7, 1);
  });
});
