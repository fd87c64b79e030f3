/**
 * `npm run demo` sounds like a real call: the caller speaks once the agent is on the line, the
 * agent hears the translation over the caller's own voice (softly underneath) and answers when it
 * is over; and each run keeps its logs, database and recordings in a folder of its own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readWav } from '../../src/audio';
import { CONFERENCE_VOICES as V, secondsOf, TRANSLATION_VOICES as TO } from '../../scripts/demo-conference';
import { exchange, frameLevels, listenerOffsetSec, MODEL_LAG_MS, overlapSec, spanAbove, SPEECH_DB } from '../../scripts/demo-timeline';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../..');

function runDemo(out: string, extra: string[] = [], speed = '8'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Eight times real time: the calls take seconds; only coarse timing is asserted here.
    const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'scripts/demo.ts'), '--speed', speed, '--out', out, ...extra], {
      cwd: out,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const wav = (file: string): Int16Array => readWav(fs.readFileSync(file)).samples;

let out = '';
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe('npm run demo', () => {
  it('plays two calls that sound like real ones, each run in a folder of its own', async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-demo-'));
    const first = await runDemo(out);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const runs = fs.readdirSync(out).filter((f) => f !== 'latest');
    expect(runs).toHaveLength(1);
    const run = path.join(out, runs[0]);
    expect(fs.readlinkSync(path.join(out, 'latest'))).toBe(runs[0]);
    // The run's own log and database, beside its calls.
    const log = fs.readFileSync(path.join(run, 'tolk.log'), 'utf8').trim().split('\n');
    expect(log.length).toBeGreaterThan(20);
    expect(() => log.map((l) => JSON.parse(l) as unknown)).not.toThrow();
    expect(fs.statSync(path.join(run, 'tolk.db')).size).toBeGreaterThan(0);
    const calls = fs.readdirSync(run).filter((f) => fs.statSync(path.join(run, f)).isDirectory());
    expect(calls).toHaveLength(2);

    for (const call of calls) {
      const dir = path.join(run, call);
      expect(fs.readdirSync(dir).sort()).toEqual(['agent-heard.wav', 'agent-said.wav', 'call.json', 'caller-heard.wav', 'caller-said.wav']);
      const record = JSON.parse(fs.readFileSync(path.join(dir, 'call.json'), 'utf8')) as { id: string; outcome: string; transcript: { direction: string; lagMs?: number }[] };
      expect(record.id).toBe(call);
      expect(record.outcome).toBe('completed');
      expect(record.transcript.map((u) => u.direction)).toEqual(['caller->agent', 'agent->caller']);

      const callerSaid = wav(path.join(dir, 'caller-said.wav'));
      const agentHeard = wav(path.join(dir, 'agent-heard.wav'));
      const agentSaid = wav(path.join(dir, 'agent-said.wav'));
      const callerHeard = wav(path.join(dir, 'caller-heard.wav'));
      // Where the agent's timeline (from their answer) starts on the caller's.
      const agentAt = listenerOffsetSec(callerSaid, agentHeard)!;
      expect(agentAt).toBeGreaterThan(0);
      // The caller speaks once the agent is on the line, not while it rings.
      const callerSpoke = spanAbove(callerSaid, SPEECH_DB)!;
      expect(callerSpoke.startSec).toBeGreaterThan(agentAt);
      // The agent hears the translation while the caller still speaks, the caller's own voice
      // softly underneath before it starts...
      const toAgent = exchange(callerSaid, 0, agentHeard, agentAt)!;
      expect(overlapSec(toAgent.spoke, toAgent.heard)).toBeGreaterThan(2);
      const before = frameLevels(agentHeard).slice(Math.round((toAgent.spoke.startSec - agentAt + 0.1) / 0.02), Math.round((toAgent.heard.startSec - agentAt - 0.1) / 0.02));
      expect(before.length).toBeGreaterThan(5);
      expect(Math.max(...before)).toBeGreaterThan(-45);
      expect(Math.max(...before)).toBeLessThan(-24);
      // ...and answers only once it is over.
      const agentSpoke = spanAbove(agentSaid, SPEECH_DB, agentAt)!;
      expect(agentSpoke.startSec).toBeGreaterThan(toAgent.heard.endSec);
      // The caller hears the answer's translation over the agent's voice too.
      const toCaller = exchange(agentSaid, agentAt, callerHeard, 0, toAgent.heard.endSec)!;
      expect(overlapSec(toCaller.spoke, toCaller.heard)).toBeGreaterThan(1);
      // Each line's lag behind the speaker: the model's own, and what tolk adds to it.
      for (const line of record.transcript) {
        expect(line.lagMs).toBeGreaterThanOrEqual(MODEL_LAG_MS);
        expect(line.lagMs).toBeLessThan(MODEL_LAG_MS + 500);
        // The demo prints it under the line's translation.
        expect(first.stdout).toContain(`(heard ${(line.lagMs! / 1000).toFixed(1)} s behind)`);
      }
    }

    // A second run keeps the first one's folder as it was.
    const second = await runDemo(out);
    expect(second.code).toBe(0);
    expect(fs.readdirSync(out).filter((f) => f !== 'latest')).toHaveLength(2);
    expect(fs.readFileSync(path.join(run, 'tolk.log'), 'utf8').trim().split('\n')).toEqual(log);
  });

  it('--conference: three parties in whisper mode, each recording holding the others\' voices and only its own language\'s translation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-demo-conf-'));
    try {
      // Four times real time: turns must stay apart beyond tolk's 1.2 s utterance pause.
      const run = await runDemo(dir, ['--conference'], '4');
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const runDir = path.join(dir, fs.readdirSync(dir).filter((f) => f !== 'latest')[0]);
      const [call] = fs.readdirSync(runDir).filter((f) => fs.statSync(path.join(runDir, f)).isDirectory());
      const files = fs.readdirSync(path.join(runDir, call)).sort();
      expect(files).toEqual(['agent-heard.wav', 'agent-said.wav', 'call.json', 'caller-heard.wav', 'caller-said.wav', 'guest-heard.wav', 'guest-said.wav']);
      const heard = (who: string) => wav(path.join(runDir, call, `${who}-heard.wav`));
      // The Spanish caller hears both English speakers and their words in Spanish, nothing in English.
      expect(secondsOf(heard('caller'), V.agent)).toBeGreaterThanOrEqual(2);
      expect(secondsOf(heard('caller'), V.guest)).toBeGreaterThanOrEqual(2);
      expect(secondsOf(heard('caller'), TO.es)).toBeGreaterThanOrEqual(4);
      expect(secondsOf(heard('caller'), TO.en)).toBe(0);
      for (const who of ['agent', 'guest']) {
        expect(secondsOf(heard(who), V.caller)).toBeGreaterThanOrEqual(2);
        expect(secondsOf(heard(who), TO.en)).toBeGreaterThanOrEqual(2);
        expect(secondsOf(heard(who), TO.es)).toBe(0);
      }
      const record = JSON.parse(fs.readFileSync(path.join(runDir, call, 'call.json'), 'utf8')) as { kind: string; outcome: string; transcript: { direction: string; lagMs?: number }[] };
      expect(record).toMatchObject({ kind: 'conference', outcome: 'completed' });
      // Each language's listeners are behind the speaker by the model's lag and what tolk adds,
      // never by the time since speech their language's session let pass (the caller's Spanish, for
      // the Spanish session), on every measure taken (the metrics and webhooks get them all).
      const lags = fs
        .readFileSync(path.join(runDir, 'tolk.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; route?: string; lagMs?: number })
        .filter((l) => l.event === 'translate.latency');
      expect(new Set(lags.map((l) => l.route))).toEqual(new Set(['to:en', 'to:es']));
      for (const { lagMs } of [...lags, ...record.transcript]) {
        expect(lagMs).toBeGreaterThanOrEqual(MODEL_LAG_MS);
        expect(lagMs).toBeLessThan(MODEL_LAG_MS + 500);
      }
      expect(run.stdout).toContain('What each party heard');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
