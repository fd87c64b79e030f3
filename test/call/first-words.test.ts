/**
 * A caller who is already talking when the other party's leg connects: the other party hears the
 * translation of that utterance from its first word, and nothing of what the caller said (and
 * finished saying) while the line was still ringing.
 *
 * The translation service here echoes what it hears, so what the agent hears of the caller's words
 * can be compared with the words themselves. The caller's leg runs the real echo canceller against
 * the ringback it hears, as in production.
 */
import { decodeMulaw, encodeMulaw } from '../../src/audio';
import { EchoCanceller } from '../../src/audio/echo-canceller';
import { DirectCall } from '../../src/call/direct-call';
import { CallEventBus } from '../../src/call/events';
import { ManualFrameClock } from '../../src/call/frame-clock';
import type { CallMetrics, LegReport, Telephony, TranslationSessionOptions } from '../../src/call/ports';
import type { NumberSettings } from '../../src/config/numbers';
import { FakeMediaLeg } from './fakes/fake-media-leg';
import { FakeTranslator, FakeTranslatorFactory } from './fakes/fake-translator';
import { silentLogger } from './fakes/rig-fixtures';
import { prng } from './fakes/simulated-clock';

const FRAME = 160;
const CALLER_SID = 'CA' + '1'.repeat(32);
const AGENT_SID = 'CA' + '2'.repeat(32);
const SETTINGS: NumberSettings = { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16 };

/** A translation session whose translation is what it heard, at once. */
class EchoTranslator extends FakeTranslator {
  override sendAudio(pcm: Int16Array): void {
    super.sendAudio(pcm);
    this.fire('audio', pcm.slice());
  }
}

class EchoTranslatorFactory extends FakeTranslatorFactory {
  override create(opts: TranslationSessionOptions): FakeTranslator {
    const t = new EchoTranslator(opts.targetLanguage, opts.inputRate, opts.outputRate);
    this.created.push(t);
    return t;
  }
}

const telephony: Telephony = {
  dial: () => Promise.resolve(AGENT_SID),
  hangUp: () => Promise.resolve(),
  sayAndHangUp: () => Promise.resolve(),
  lookUp: (): Promise<LegReport | undefined> => Promise.resolve(undefined),
};

const metrics = new Proxy({} as CallMetrics, { get: () => () => undefined });

/** Seeded noise at `amp` peak: a "word" that no other stretch of audio resembles. */
function word(ms: number, seed: number, amp = 6000): Int16Array {
  const rnd = prng(seed);
  return Int16Array.from({ length: (ms * 8000) / 1000 }, () => Math.round((rnd() * 2 - 1) * amp));
}

/**
 * Where `part` is heard best in `heard`: the normalised cross-correlation there (1: heard exactly,
 * at some gain) and the gain it is heard at (1: as loud as it was said).
 */
function bestMatch(heard: Int16Array, part: Int16Array): { correlation: number; gain: number } {
  let energy = 0;
  for (const v of part) energy += v * v;
  let best = { correlation: 0, gain: 0 };
  for (let lag = 0; lag + part.length <= heard.length; lag++) {
    let dot = 0;
    let h2 = 0;
    for (let i = 0; i < part.length; i++) {
      const h = heard[lag + i];
      dot += h * part[i];
      h2 += h * h;
    }
    const correlation = h2 > 0 ? dot / Math.sqrt(h2 * energy) : 0;
    if (correlation > best.correlation) best = { correlation, gain: dot / energy };
  }
  return best;
}

/** `part` is in `heard` whole and at its own loudness (within 2 dB: the original voice lies under it). */
function expectHeard(heard: Int16Array, part: Int16Array): void {
  const m = bestMatch(heard, part);
  expect(m.correlation).toBeGreaterThan(0.9);
  expect(m.gain).toBeGreaterThan(0.8);
  expect(m.gain).toBeLessThan(1.25);
}

/**
 * Runs a call whose agent's leg connects at `joinMs`; the caller's microphone plays `said` from the
 * moment their stream starts. Returns what the agent heard until `untilMs`.
 */
async function agentHears(said: Int16Array, joinMs: number, untilMs: number): Promise<Int16Array> {
  const clock = new ManualFrameClock();
  const logger = silentLogger();
  const call = new DirectCall(
    { clock, translators: new EchoTranslatorFactory(), telephony, prompts: { get: () => undefined }, metrics, events: new CallEventBus(logger), logger, echoCanceller: () => new EchoCanceller() },
    { id: 'call-1', settings: SETTINGS, callerLeg: CALLER_SID, from: '+12025550123' },
  );
  const caller = new FakeMediaLeg(CALLER_SID, 'caller');
  const agent = new FakeMediaLeg(AGENT_SID, 'agent');
  call.attachMedia(caller);
  await Promise.resolve(); // the dial resolves
  call.legStatus(AGENT_SID, { state: 'ringing' });
  call.legStatus(AGENT_SID, { state: 'answered' });
  const silence = encodeMulaw(new Int16Array(FRAME));
  for (let f = 0; f * 20 < untilMs; f++) {
    if (f * 20 === joinMs) {
      call.attachMedia(agent);
      await Promise.resolve(); // the sessions start
    }
    const from = f * FRAME;
    caller.say(from < said.length ? encodeMulaw(said.subarray(from, from + FRAME)) : silence);
    if (f * 20 >= joinMs) agent.say(silence);
    clock.tick();
  }
  expect(call.state).toBe('bridged');
  await call.shutdown();
  const heard = new Int16Array(agent.sent.length * FRAME);
  agent.sent.forEach((frame, i) => heard.set(decodeMulaw(frame), i * FRAME));
  return heard;
}

describe('the caller already talking when the other party connects', () => {
  // Timeline (ms from the caller's stream): the caller hears ringback until the agent's leg
  // connects at 1200; they say an early word from 200 to 500, while it rings.
  const early = word(300, 1);
  const said = (next: Int16Array, atMs: number): Int16Array => {
    const audio = new Int16Array((3000 * 8000) / 1000);
    audio.set(early, 200 * 8);
    audio.set(next, atMs * 8);
    return audio;
  };

  it('hears the translation of the utterance in progress from its first word', async () => {
    // A word from 1000 to 1600: 200 ms of it are said before the agent's leg connects.
    const inProgress = word(600, 2);
    const heard = await agentHears(said(inProgress, 1000), 1200, 4000);
    expectHeard(heard, inProgress.subarray(0, 1600));
    expectHeard(heard, inProgress.subarray(1600));
  });

  it('hears the first words said as it connects, after the caller spoke over the ringback', async () => {
    // The caller's early word is no echo of the ringback: the echo canceller must not take their
    // next words, said as the ringback stops, for its echo.
    const atJoin = word(600, 3);
    const heard = await agentHears(said(atJoin, 1200), 1200, 4000);
    expectHeard(heard, atJoin.subarray(0, 1600));
    expectHeard(heard, atJoin.subarray(1600));
  });

  it('does not hear what the caller said and finished while it rang', async () => {
    const heard = await agentHears(said(word(600, 2), 1000), 1200, 4000);
    expect(bestMatch(heard, early).correlation).toBeLessThan(0.3);
  });
});
