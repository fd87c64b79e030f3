/**
 * The scripted Spanish-English exchange heard whole: the caller and then the agent speak, the
 * Gemini emulator answers each with the script's recorded translation, and each party's recording
 * is compared, stretch by stretch, with that translation as the phone network carries it.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Downsampler24to8, readWav } from '../../src/audio';
import { loadScript } from '../../src/emulators/gemini/script';
import { AGENT_NUMBER, CALLER_NUMBER, TOLK_NUMBER, fixture, keepWav, startRig, stretchesHeard, waitUntil, type Rig, type RigOptions, type StretchesHeard } from './harness';

export interface ExchangeHeard {
  /** What the agent heard against the caller's words translated. */
  agent: StretchesHeard;
  /** What the caller heard against the agent's words translated. */
  caller: StretchesHeard;
  /** What to look at when a stretch was damaged: this process's longest stall, and each leg's play-out counts. */
  seen: { loopStallMs: number; legs: unknown[] };
}

/**
 * Runs the exchange in real time with no original voice under the translation (`options` adds to
 * that, e.g. Twilio faults), keeps both recordings as `<keepAs>-agent-heard.wav` and
 * `<keepAs>-caller-heard.wav`, and measures them. `started` receives the rig as soon as it is up,
 * so the caller's clean-up closes it whatever happens next.
 */
export async function hearScriptedExchange(options: RigOptions, keepAs: string, started: (rig: Rig) => void): Promise<ExchangeHeard> {
  const script = await loadScript(require.resolve('../../scripts/demo-es-en.json'));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const rig = await startRig({ ...options, speed: 1, pauseOnStall: true, number: { originalVolume: 0 }, gemini: { mode: 'script', script, detector: { pauseMs: 1200, maxUtteranceMs: 15_000 } } });
  started(rig);
  rig.twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 }, speech: fixture('agent-en.ulaw8k.wav'), speakAfterSec: 11 });
  const callerSid = await rig.twilio.dial({ from: CALLER_NUMBER, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 24 } });
  await waitUntil(() => rig.twilio.call(callerSid)?.status === 'completed', 30_000, 'the caller to hang up', rig.time?.now);
  const agentSid = rig.twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
  await waitUntil(() => rig.tolk.calls.activeCalls === 0, 5000, 'tolk to end the call');
  loop.disable();
  const expected = (file: string): Int16Array => new Downsampler24to8().process(readWav(fs.readFileSync(fixture(file))).samples);
  const agentHeard = rig.twilio.recording(agentSid);
  const callerHeard = rig.twilio.recording(callerSid);
  keepWav(`${keepAs}-agent-heard.wav`, agentHeard.heardWav());
  keepWav(`${keepAs}-caller-heard.wav`, callerHeard.heardWav());
  return {
    agent: stretchesHeard(agentHeard.heard, expected('caller-es.to-en.pcm24k.wav')),
    caller: stretchesHeard(callerHeard.heard, expected('agent-en.to-es.pcm24k.wav')),
    seen: { loopStallMs: Math.round(loop.max / 1e6), legs: rig.logs.filter((l) => l.event === 'leg.closed') },
  };
}
