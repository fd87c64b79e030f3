/**
 * `TOLK_PROCESSES=2 npm start`: one command runs two tolk processes behind its one port; calls
 * placed through the emulators land on both, every one is bridged, and SIGTERM stops them all.
 * A call's media streams reach the process serving it, none relayed.
 * A process stopped on its own is handed no new connection, so the call it moves keeps going on
 * the other; a stopping supervisor still answers (`/readyz` 503, busy callers, hang-ups) until its
 * processes have gone.
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
import { readWav } from '../../src/audio';
import { AGENT_NUMBER, TOLK_NUMBER, emulatorEnv, fixture, loudFrames, waitUntil } from './harness';

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
  state?: string;
  outcome?: string;
  moves?: { from: string; to: string }[];
  instance?: string;
  legs: { role: string; callSid: string }[];
  transcript?: { direction: string }[];
}

/** Starts `TOLK_PROCESSES=2 npm start` (processes box-1 and box-2) on the emulators; resolves with its URL. */
async function startProcesses(): Promise<string> {
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
  twilio.addNumber({ phoneNumber: TOLK_NUMBER, voiceUrl: `${base}/twilio/voice`, statusCallback: `${base}/twilio/status` });
  twilio.setCallee(AGENT_NUMBER, {});
  return base;
}

/** The process id of each process, by instance name, from the supervisor's `processes.ready` lines. */
function processIds(): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of tolk!.stdout().split('\n')) {
    if (!line.includes('"event":"processes.ready"')) continue;
    const { process: index, pid } = JSON.parse(line) as { process: number; pid: number };
    ids.set(`box-${index}`, pid);
  }
  return ids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Places a call that lasts (the caller hangs up after a minute) and resolves once it is bridged. */
async function liveCall(base: string): Promise<{ sid: string; call: CallJson }> {
  const sid = await twilio!.dial({ from: '+34911000299', to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), speakAfterSec: 0.5, hangupAfterSec: 60 } });
  let call: CallJson | undefined;
  await waitUntil(
    async () => {
      const listed = (await json<{ calls: CallJson[] }>(`${base}/api/calls?limit=10`)).body.calls.find((c) => c.legs.some((l) => l.callSid === sid));
      call = listed && (await json<CallJson>(`${base}/api/calls/${listed.id}`)).body;
      return call?.state === 'bridged' && call.instance !== undefined;
    },
    30_000,
    'the call to be bridged',
  );
  return { sid, call: call! };
}

/**
 * Places four calls 300 ms apart, from `${from}0` to `${from}3`, each caller speaking Spanish
 * `speakAfterSec` in and hanging up `hangupAfterSec` in; resolves with their records once every
 * one has ended with a transcript (within 60 s).
 */
async function fourEndedCalls(base: string, from: string, party: { speakAfterSec: number; hangupAfterSec: number }): Promise<CallJson[]> {
  const sids: string[] = [];
  for (let i = 0; i < 4; i++) {
    sids.push(await twilio!.dial({ from: `${from}${i}`, to: TOLK_NUMBER, party: { speech: fixture('caller-es.ulaw8k.wav'), ...party } }));
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
  return calls;
}

describe('TOLK_PROCESSES=2 npm start', () => {
  it('runs two processes behind one port, spreads calls across both and stops both on SIGTERM', async () => {
    const base = await startProcesses();
    const metrics = await fetch(`${base}/metrics/cluster`);
    expect(metrics.headers.get('x-tolk-instances')).toBe('box-1,box-2');

    const calls = await fourEndedCalls(base, '+3491100020', { speakAfterSec: 0.5, hangupAfterSec: 9 });
    for (const c of calls) expect(c).toMatchObject({ outcome: 'completed', transcript: [{ direction: 'caller->agent' }] });
    expect([...new Set(calls.map((c) => c.instance))].sort()).toEqual(['box-1', 'box-2']);
    expect(metricSum(await (await fetch(`${base}/metrics/cluster`)).text(), 'tolk_calls_total', 'outcome="completed"')).toBe(4);

    await tolk!.stop('SIGTERM');
    expect(await tolk!.exited).toBe(0);
    // Both processes stopped, then the command itself.
    expect(tolk!.stdout().match(/"event":"server.stopped"/g)).toHaveLength(3);
  });

  it("hands each call's media streams to the process serving it: none relayed, the audio intact", async () => {
    const base = await startProcesses();
    const calls = await fourEndedCalls(base, '+3491100021', { speakAfterSec: 5, hangupAfterSec: 16 });
    const edge = await (await fetch(`${base}/metrics/cluster`)).text();
    // Both legs' streams of every call, each to the process serving it.
    expect(metricSum(edge, 'tolk_twilio_edge_events', 'kind="ws_relayed"')).toBe(0);
    expect(metricSum(edge, 'tolk_twilio_edge_events', 'kind="ws_relay_failed"')).toBe(0);
    expect(metricSum(edge, 'tolk_twilio_edge_events', 'kind="legs_started"')).toBe(8);
    const spoken = loudFrames(readWav(fs.readFileSync(fixture('caller-es.ulaw8k.wav'))).samples, -30).length;
    for (const c of calls) {
      expect(c).toMatchObject({ outcome: 'completed', transcript: [{ direction: 'caller->agent' }] });
      const agentSid = c.legs.find((l) => l.role === 'agent')!.callSid;
      // The agent, bridged before the caller speaks, heard their words.
      expect(loudFrames(twilio!.recording(agentSid).heard, -30).length).toBeGreaterThan(0.8 * spoken);
    }
  });

  it('hands a process that is stopping no new connection: the call it moves goes on on the other', async () => {
    const base = await startProcesses();
    const { sid, call } = await liveCall(base);
    const holder = call.instance!;
    const other = holder === 'box-1' ? 'box-2' : 'box-1';
    const pid = processIds().get(holder)!;

    // Stopped on its own (not through the supervisor): the call moves to the other process.
    process.kill(pid, 'SIGTERM');
    await tolk!.waitForStdout(/"event":"process.signal"/, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    // Meanwhile every new connection reaches the other process, which is ready.
    for (let i = 0; i < 4; i++) expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await waitUntil(() => !alive(pid), 40_000, `${holder} to exit once its call has moved`);
    // Its moved streams came to the other process directly: the call outlives the stopped process.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(twilio!.call(sid)?.status).toBe('in-progress');
    const moved = (await json<CallJson>(`${base}/api/calls/${call.id}`)).body;
    expect(moved).toMatchObject({ state: 'bridged', instance: other, moves: [{ from: holder, to: other }] });
    expect(moved.outcome).toBeUndefined();

    const hungUp = await json<CallJson>(`${base}/api/calls/${call.id}/hangup`, { method: 'POST' });
    expect(hungUp).toMatchObject({ status: 200, body: { outcome: 'hungup_by_operator', instance: other } });
  });

  it('keeps answering while it stops: /readyz 503, new callers busy, live calls reachable until the last process has gone', async () => {
    const base = await startProcesses();
    const { sid, call } = await liveCall(base);
    process.kill(tolk!.child.pid!, 'SIGTERM');
    await tolk!.waitForStdout(/"event":"process.signal"/, 5_000);
    await new Promise((r) => setTimeout(r, 500));

    // A load balancer sees the 503 it needs to stop sending; the process with no call has gone.
    await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 503, 5_000, '/readyz to answer 503');
    // A new caller hears that all lines are busy.
    const refused = await twilio!.dial({ from: '+34911000298', to: TOLK_NUMBER, party: {} });
    await waitUntil(() => twilio!.call(refused)?.status === 'completed', 15_000, 'the new caller to be turned away');
    await tolk!.waitForStdout(/"event":"call.draining_refused"/, 5_000);
    // The live call goes on, and the operator can still end it.
    expect(twilio!.call(sid)?.status).toBe('in-progress');
    const hungUp = await json<CallJson>(`${base}/api/calls/${call.id}/hangup`, { method: 'POST' });
    expect(hungUp).toMatchObject({ status: 200, body: { outcome: 'hungup_by_operator', instance: call.instance } });

    expect(await tolk!.exitWithin(30_000)).toBe(0);
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
  });
});
