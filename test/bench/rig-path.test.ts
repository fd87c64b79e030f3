/**
 * The load rig exercises the path the emulators do: the same tolk (from the same sources, started
 * the same way, with the same number) serves one call placed through the Twilio and Gemini
 * emulators and three placed through the rig (scripts/rig/), on the same routes (/twilio/voice,
 * /twilio/status, the media stream, the Live API's BidiGenerateContent), through the same call
 * lifecycle, and each listener hears the other party's speech, echoed by the model, as intact
 * through the rig as through the emulators.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Downsampler24to8, readWav, Upsampler8to16 } from '../../src/audio';
import { resampleLinear } from '../../src/emulators/gemini/resample';
import { freePort } from '../../src/emulators/free-port';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import type { ChildProcess } from 'node:child_process';
import { AGENT_NUMBER, get, scrape, sleep, startLoadRig, startTolk, TOLK_NUMBER, waitFor, waitForHttp, type LoadRig } from '../../scripts/rig/load-rig';
import { onsets } from '../../scripts/rig/frames';
import { loudFrames, matchSnrDb } from '../e2e/harness';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
/** The caller's speech as the rig says it: from its first loud sample. */
const callerSpeech = ((): Int16Array => {
  const pcm = readWav(fs.readFileSync(path.join(FIXTURES, 'caller-es.ulaw8k.wav'))).samples;
  return pcm.subarray(onsets(pcm, [0])[0] ?? 0);
})();

/**
 * The caller's speech as the agent should hear it through the rig: its first second of silence and
 * its words, through tolk's 8 to 16 kHz conversion, the rig model's echo (linear interpolation to
 * 24 kHz over the whole stream) and tolk's 24 to 8 kHz conversion: the same resamplers, so the same
 * fractional delays.
 */
function echoedThroughTolk(speech: Int16Array): Int16Array {
  const timeline = new Int16Array(8000 + speech.length);
  timeline.set(speech, 8000);
  const up = new Upsampler8to16();
  const pcm16k = up.process(timeline, new Int16Array(up.outputLength(timeline.length)));
  const pcm24k = resampleLinear(pcm16k, 16_000, 24_000);
  const down = new Downsampler24to8();
  return down.process(pcm24k, new Int16Array(down.outputLength(pcm24k.length))).slice(8000);
}

interface LogLine {
  event?: string;
  callId?: string;
  from?: string;
  to?: string;
  trigger?: string;
  outcome?: string;
}

const logOf = (dir: string): LogLine[] =>
  fs
    .readFileSync(path.join(dir, 'tolk.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** Each call's lifecycle, as tolk logs it: its transitions, then how it ended. */
function lifecycles(log: LogLine[]): string[][] {
  const byCall = new Map<string, string[]>();
  for (const l of log) {
    if (!l.callId || (l.event !== 'call.transition' && l.event !== 'call.ended')) continue;
    const steps = byCall.get(l.callId) ?? [];
    steps.push(l.event === 'call.ended' ? `ended ${l.outcome}` : `${l.from} -> ${l.to} (${l.trigger})`);
    byCall.set(l.callId, steps);
  }
  return [...byCall.values()];
}

/** Kinds of log lines tolk wrote, per call (the ones that count calls, streams and sessions). */
function eventKinds(log: LogLine[]): string[] {
  return [...new Set(log.map((l) => l.event).filter((e): e is string => e !== undefined && /^(call|twilio\.media|translate)\./.test(e)))].sort();
}

const exited = (c: ChildProcess): Promise<void> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));

let twilio: TwilioEmulator | undefined;
let gemini: GeminiEmulator | undefined;
let tolk: ChildProcess | undefined;
let rig: LoadRig | undefined;
const dirs: string[] = [];

afterEach(async () => {
  tolk?.kill('SIGKILL');
  await twilio?.close();
  await gemini?.close();
  await rig?.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** One call through the emulators: tolk's log, its metrics, and what the agent heard. */
async function emulatorCall(): Promise<{ log: LogLine[]; metrics: Map<string, number>; agentHeard: Int16Array }> {
  gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300 });
  twilio = await startTwilioEmulator({ sayAudio: 'silence' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-rig-path-'));
  dirs.push(dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  tolk = startTolk({
    dir,
    fromSource: true,
    originalVolume: 0,
    env: { PORT: String(port), LOG_LEVEL: 'info', PUBLIC_URL: base, TWILIO_ACCOUNT_SID: twilio.accountSid, TWILIO_AUTH_TOKEN: twilio.authToken, TWILIO_API_URL: twilio.url, GEMINI_API_URL: gemini.url },
  });
  await waitForHttp(`${base}/healthz`, 60_000);
  twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${base}/twilio/voice`, statusCallback: `${base}/twilio/status` });
  twilio.setCallee(AGENT_NUMBER, { scenario: { kind: 'answer', afterSec: 1 } });
  const callerSid = await twilio.dial({ from: '+34911234567', to: TOLK_NUMBER, party: { speech: path.join(FIXTURES, 'caller-es.ulaw8k.wav'), speakAfterSec: 1, hangupAfterSec: 10 } });
  await twilio.waitForStatus(callerSid, 'completed', 30_000);
  const agentSid = twilio.calls().find((c) => c.to === AGENT_NUMBER)?.sid ?? '';
  await twilio.waitForStatus(agentSid, 'completed', 10_000);
  await waitFor('the call to end', async () => get(await scrape(`${base}/metrics`), 'tolk_active_calls') === 0, 10_000);
  const metrics = await scrape(`${base}/metrics`);
  const agentHeard = twilio.recording(agentSid).heard;
  tolk.kill('SIGTERM');
  await exited(tolk);
  return { log: logOf(dir), metrics, agentHeard };
}

/** Three calls through the rig, its model echoing: tolk's log, its metrics, what each agent heard. */
async function rigCalls(calls: number): Promise<{ log: LogLine[]; metrics: Map<string, number>; agentsHeard: Int16Array[] }> {
  rig = await startLoadRig({ calls, callSec: 30, fromSource: true, pin: false, processes: 0, echo: true, record: true, logLevel: 'info', originalVolume: 0 });
  dirs.push(rig.dir);
  await rig.twilio.request({ type: 'dial', calls });
  await waitFor('every call to be bridged', async () => get(await scrape(rig!.metricsUrl), 'tolk_active_translation_sessions') === 2 * calls, 30_000);
  // Each caller speaks for 7 s from 1 s into the call; the agent hears it echoed 300 ms later.
  await sleep(12_000);
  const reply = await rig.twilio.request({ type: 'recordings' });
  const agentsHeard = reply.type === 'recordings' ? reply.recordings.filter((r) => r.role === 'agent').map((r) => { const b = Buffer.from(r.heard, 'base64'); return new Int16Array(b.buffer, b.byteOffset, b.length >> 1); }) : [];
  await rig.twilio.request({ type: 'hangupAll' });
  await waitFor('calls to end', async () => get(await scrape(rig!.metricsUrl), 'tolk_active_calls') === 0, 20_000);
  const metrics = await scrape(rig.metricsUrl);
  await rig.stopTolk();
  return { log: logOf(rig.dir), metrics, agentsHeard };
}

describe('the load rig', () => {
  it('takes tolk through the same routes, lifecycle and audio path as the emulators', async () => {
    const emulated = await emulatorCall();
    const rigged = await rigCalls(3);

    // Same routes: every call's two legs were answered by /twilio/voice with a stream that tolk
    // accepted on its media path, and each opened its two Live sessions (the rig's Gemini side
    // refuses any path but BidiGenerateContent); nothing was refused.
    const perCall = (m: Map<string, number>, calls: number): Record<string, number> => ({
      completed: get(m, 'tolk_calls_total{outcome="completed"}') / calls,
      legs: get(m, 'tolk_twilio_edge_events{kind="legs_started"}') / calls,
      streams: get(m, 'tolk_twilio_edge_events{kind="ws_connections"}') / calls,
      refused: [...m].filter(([k]) => k.startsWith('tolk_twilio_edge_events{') && !/legs_started|ws_connections|webhook_duplicate/.test(k)).reduce((a, [, v]) => a + v, 0),
      failures: [...m].filter(([k]) => k.startsWith('tolk_translation_failures_total')).reduce((a, [, v]) => a + v, 0),
    });
    expect(perCall(rigged.metrics, 3)).toEqual(perCall(emulated.metrics, 1));
    expect(perCall(emulated.metrics, 1)).toMatchObject({ completed: 1, legs: 2, streams: 2, refused: 0, failures: 0 });

    // Same lifecycle: every rig call goes through tolk's states as the emulator's call does.
    const [reference] = lifecycles(emulated.log);
    expect(reference).toContain('ended completed');
    const rigLifecycles = lifecycles(rigged.log);
    expect(rigLifecycles).toHaveLength(3);
    for (const l of rigLifecycles) expect(l).toEqual(reference);
    expect(eventKinds(rigged.log)).toEqual(eventKinds(emulated.log));

    // Audio intact end to end: through the emulators the agent hears the caller's words (their
    // model echoes the voiced parts only); through the rig, where the model echoes every chunk, it
    // hears them sample for sample, as tolk's own resamplers make them: a gap, a slip or a wrong
    // rate inside the utterance would drop the ratio far below (mu-law alone allows ~37 dB).
    expect(loudFrames(emulated.agentHeard, -30).length).toBeGreaterThan(0.8 * loudFrames(callerSpeech, -30).length);
    // (From half a second in: the agent's leg connects while the caller has started talking.)
    const expected = echoedThroughTolk(callerSpeech).subarray(4000);
    expect(rigged.agentsHeard).toHaveLength(3);
    for (const heard of rigged.agentsHeard) {
      expect(heard.length).toBeGreaterThan(expected.length + 8000);
      expect(matchSnrDb(heard, expected).snrDb).toBeGreaterThan(30);
    }
  }, 120_000);
});
