/**
 * `npm run demo`: an interpreted phone call, offline, with no credentials.
 *
 * Starts tolk with the Twilio emulator and the Gemini Live emulator (script mode), places a call
 * from a Spanish-speaking caller to an English-speaking agent, then a second one from an English
 * speaker to a German speaker. Prints the transcript as it happens and a latency summary, and
 * writes what each party said and heard to demo-output/<call id>/ as WAV files.
 *
 *   npm run demo [-- --speed 4] [-- --out demo-output]
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startApp } from '../src/app';
import { RealFrameClock } from '../src/call/frame-clock';
import { loadConfig } from '../src/config/env';
import type { NumberSettings } from '../src/config/numbers';
import { openStore } from '../src/store/open-store';
import { startGeminiEmulator } from '../src/emulators/gemini/server';
import { loadScript } from '../src/emulators/gemini/script';
import { startTwilioEmulator } from '../src/emulators/twilio/emulator';
import { createLogger } from '../src/log/logger';
import { freePort } from '../src/emulators/free-port';

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');

interface DemoCall {
  title: string;
  number: NumberSettings;
  caller: { from: string; speech: string };
  agent: { speech: string };
  script: string;
}

const CALLS: DemoCall[] = [
  {
    title: 'Spanish-speaking caller, English-speaking agent',
    number: { number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en', echoTargetLanguage: false, originalVolume: 0.16, greeting: 'Hola. Le comunicamos con un agente.' },
    caller: { from: '+34911234567', speech: 'caller-es.ulaw8k.wav' },
    agent: { speech: 'agent-en.ulaw8k.wav' },
    script: 'demo-es-en.json',
  },
  {
    title: 'English-speaking caller, German-speaking agent',
    number: { number: '+15550003333', destination: '+4930123456', callerLanguage: 'en', agentLanguage: 'de', echoTargetLanguage: false, originalVolume: 0.16 },
    caller: { from: '+14155550123', speech: 'caller-en.ulaw8k.wav' },
    agent: { speech: 'agent-de.ulaw8k.wav' },
    script: 'demo-en-de.json',
  },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}


const out = (s: string): boolean => process.stdout.write(`${s}\n`);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(5)} s`;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    out('usage: npm run demo [-- --speed N] [-- --out DIR]\n  --speed N  run N times faster than real time (default 1)\n  --out DIR  where recordings go (default demo-output)');
    return;
  }
  const speed = Number(arg('speed', '1'));
  if (!(speed > 0 && speed <= 20)) throw new Error('--speed must be a number between 0 and 20');
  const outDir = path.resolve(arg('out', path.join(ROOT, 'demo-output')));
  fs.mkdirSync(outDir, { recursive: true });

  const gemini = await startGeminiEmulator({
    mode: 'script',
    script: await loadScript(path.join(__dirname, CALLS[0].script)),
    lagMs: 400,
    timeScale: 1 / speed,
    detector: { pauseMs: 1200, maxUtteranceMs: 15_000 },
  });
  const twilio = await startTwilioEmulator({ timeScale: 1 / speed });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(outDir, 'tolk.log');
  const logStream = fs.createWriteStream(logFile);
  const events: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _e, cb) {
        logStream.write(chunk);
        for (const line of chunk.toString().split('\n')) if (line) onLog(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    }),
  });
  let callStart = Date.now();
  function onLog(e: Record<string, unknown>): void {
    events.push(e);
    const at = secs((Date.now() - callStart) * speed);
    if (e.event === 'call.transition') out(`${at}  call ${String(e.from)} -> ${String(e.to)}${typeof e.outcome === 'string' ? ` (${e.outcome})` : ''}`);
    if (e.event === 'transcript.utterance') {
      const src = e.source as { text: string; languageCode: string };
      const tr = e.translation as { text: string; languageCode: string };
      out(`${at}  ${String(e.direction).padEnd(14)} [${src.languageCode}] ${src.text}`);
      out(`${' '.repeat(at.length)}  ${''.padEnd(14)} [${tr.languageCode}] ${tr.text}`);
    }
    if (e.event === 'translate.language') out(`${at}  detected ${String(e.route)} speaker language: ${String(e.languageCode)}`);
  }

  // The demo keeps its own database next to its recordings, fresh each run.
  const dbFile = path.join(outDir, 'tolk.db');
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) fs.rmSync(f, { force: true });
  const store = await openStore({ sqlitePath: dbFile, logger });
  for (const c of CALLS) await store.numbers.upsert(c.number);
  const tolk = await startApp(
    loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: base,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_API_URL: twilio.url,
      GEMINI_API_KEY: 'demo-key',
      GEMINI_API_URL: gemini.url,
    }),
    logger,
    { clock: new RealFrameClock({ timeScale: 1 / speed }), store },
  );

  out(`tolk ${base} | Twilio emulator ${twilio.url} | Gemini emulator ${gemini.url} | ${speed}x real time`);
  const latencies: Record<string, number[]> = {};
  try {
    for (const [i, demo] of CALLS.entries()) {
      gemini.setScript(await loadScript(path.join(__dirname, demo.script)));
      twilio.addNumber({ phoneNumber: demo.number.number, voiceUrl: `${base}/twilio/voice`, statusCallback: `${base}/twilio/status` });
      twilio.setCallee(demo.number.destination, { scenario: { kind: 'answer', afterSec: 2 }, speech: path.join(FIXTURES, demo.agent.speech), speakAfterSec: 14 });
      out(`\n=== Call ${i + 1}: ${demo.title} (${demo.number.callerLanguage} <-> ${demo.number.agentLanguage}) ===`);
      callStart = Date.now();
      const firstEvent = events.length;
      const callerSid = await twilio.dial({
        from: demo.caller.from,
        to: demo.number.number,
        party: { speech: path.join(FIXTURES, demo.caller.speech), speakAfterSec: 2, hangupAfterSec: 40 },
      });
      await twilio.waitForStatus(callerSid, 'completed', (60_000 / speed) * 2);
      while (tolk.calls.activeCalls > 0) await new Promise((r) => setTimeout(r, 50));
      const agentSid = twilio.calls().find((c) => c.to === demo.number.destination && c.direction !== 'inbound')?.sid;
      const created = events.slice(firstEvent).find((e) => e.event === 'call.created');
      const callId = typeof created?.callId === 'string' ? created.callId : callerSid;
      const dir = path.join(outDir, callId);
      fs.mkdirSync(dir, { recursive: true });
      const callerRec = twilio.recording(callerSid);
      fs.writeFileSync(path.join(dir, 'caller-heard.wav'), callerRec.heardWav());
      fs.writeFileSync(path.join(dir, 'caller-said.wav'), callerRec.saidWav());
      if (agentSid) {
        const agentRec = twilio.recording(agentSid);
        fs.writeFileSync(path.join(dir, 'agent-heard.wav'), agentRec.heardWav());
        fs.writeFileSync(path.join(dir, 'agent-said.wav'), agentRec.saidWav());
      }
      const record = await tolk.records.get(callId);
      fs.writeFileSync(path.join(dir, 'call.json'), JSON.stringify(record, null, 2));
      for (const e of events.slice(firstEvent)) {
        if (e.event === 'translate.latency') (latencies[String(e.route)] ??= []).push(Number(e.latencyMs));
      }
      out(`recordings: ${path.relative(process.cwd(), dir)}/{caller,agent}-{heard,said}.wav, call.json`);
    }
    out('\n=== Latency: end of speech -> first translated audio heard ===');
    out('(the emulated model waits for 1.2 s of silence, then answers after 400 ms; the rest is tolk)');
    for (const [route, values] of Object.entries(latencies)) {
      out(`${route.padEnd(14)} n=${values.length}  p50 ${Math.round(percentile(values, 50))} ms  max ${Math.round(Math.max(...values))} ms`);
    }
    const metrics = await tolk.metrics.render();
    const frame = /tolk_frame_processing_seconds_sum\{path="(in|out)"\} ([\d.e-]+)\n.*?tolk_frame_processing_seconds_count\{path="\1"\} (\d+)/gs;
    for (const m of metrics.matchAll(frame)) out(`tolk processing per 20 ms frame (${m[1]}): ${((Number(m[2]) / Number(m[3])) * 1e6).toFixed(1)} us`);
    out(`\nFull log (one JSON line per event): ${path.relative(process.cwd(), logFile)}`);
  } finally {
    await tolk.stop();
    await twilio.close();
    await gemini.close();
    await store.close();
    logStream.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
