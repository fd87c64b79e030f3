/**
 * `TOLK_PROCESSES=2 npm start`: one command runs two tolk processes behind its one port; calls
 * placed through the emulators land on both, every one is bridged, and SIGTERM stops them all.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { freePort } from '../../src/emulators/free-port';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../jobs/helpers';
import { spawnTolk, type TolkProcess } from '../helpers/tolk-process';
import { adminSql, freshDatabase, json, metricSum } from './cluster-helpers';
import { AGENT_NUMBER, TOLK_NUMBER, emulatorEnv, fixture, waitUntil } from './harness';

jest.setTimeout(120_000);

let twilio: TwilioEmulator | undefined;
let gemini: GeminiEmulator | undefined;
let tolk: TolkProcess | undefined;
let dir = '';
let database = '';
let prefix = '';

afterEach(async () => {
  await tolk?.stop('SIGKILL');
  await twilio?.close();
  await gemini?.close();
  if (prefix) await dropPrefix(prefix);
  if (database) await adminSql(`drop database if exists "${database}" with (force)`);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface CallJson {
  id: string;
  outcome?: string;
  instance?: string;
  legs: { role: string; callSid: string }[];
  transcript?: { direction: string }[];
}

describe('TOLK_PROCESSES=2 npm start', () => {
  it('runs two processes behind one port, spreads calls across both and stops both on SIGTERM', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-processes-'));
    database = `tolk_processes_${Date.now().toString(36)}_${process.pid}`;
    const databaseUrl = await freshDatabase(database);
    prefix = uniquePrefix();
    gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300 });
    twilio = await startTwilioEmulator({ sayAudio: 'silence' });
    fs.writeFileSync(path.join(dir, 'numbers.yaml'), `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    tolk = spawnTolk(
      {
        ...emulatorEnv({ port, publicUrl: base, twilio, gemini }),
        TOLK_NUMBERS: path.join(dir, 'numbers.yaml'),
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        TOLK_QUEUE_PREFIX: prefix,
        TOLK_INSTANCE_ID: 'box',
        TOLK_PROCESSES: '2',
      },
      { cwd: dir },
    );
    await tolk.waitForStdout(/"event":"processes.listening"/, 60_000);
    const metrics = await fetch(`${base}/metrics/cluster`);
    expect(metrics.headers.get('x-tolk-instances')).toBe('box-1,box-2');

    twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${base}/twilio/voice`, statusCallback: `${base}/twilio/status` });
    twilio.setCallee(AGENT_NUMBER, {});
    const sids: string[] = [];
    for (let i = 0; i < 4; i++) {
      sids.push(await twilio.dial({ from: `+3491100020${i}`, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 0.5, hangupAfterSec: 9 } }));
      await new Promise((r) => setTimeout(r, 300));
    }
    let calls: CallJson[] = [];
    await waitUntil(
      async () => {
        const listed = (await json<{ calls: CallJson[] }>(`${base}/api/calls?limit=100`)).body.calls;
        calls = await Promise.all(listed.map(async (c) => (await json<CallJson>(`${base}/api/calls/${c.id}`)).body));
        return calls.length === sids.length && calls.every((c) => c.outcome !== undefined && (c.transcript?.length ?? 0) > 0);
      },
      60_000,
      'every call to end with a transcript',
    );
    for (const c of calls) expect(c).toMatchObject({ outcome: 'completed', transcript: [{ direction: 'caller->agent' }] });
    expect([...new Set(calls.map((c) => c.instance))].sort()).toEqual(['box-1', 'box-2']);
    expect(metricSum(await (await fetch(`${base}/metrics/cluster`)).text(), 'tolk_calls_total', 'outcome="completed"')).toBe(4);

    await tolk.stop('SIGTERM');
    expect(await tolk.exited).toBe(0);
    // Both processes stopped, then the command itself.
    expect(tolk.stdout().match(/"event":"server.stopped"/g)).toHaveLength(3);
  });
});
