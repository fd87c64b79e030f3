/**
 * Two tolk instances behind Debian's nginx with the emulators, for the tests of moving live calls
 * (a rolling deploy): tolk-a alone serves the calls placed first, then tolk-b joins. Everything
 * started here is stopped by `close`. To look into a failure: MOVE_LOG_LEVEL=info for the
 * instances' logs, and MOVE_LOG_DIR=<folder> to keep them there, one file per test and instance.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startGeminiEmulator, type GeminiEmulator } from '../../src/emulators/gemini/server';
import { freePort } from '../../src/emulators/free-port';
import { startTwilioEmulator, type TwilioEmulator, type TwilioEmulatorOptions } from '../../src/emulators/twilio/emulator';
import { dropPrefix, REDIS_URL, uniquePrefix } from '../jobs/helpers';
import { startNginx, type Nginx } from '../helpers/nginx';
import { spawnTolk, type TolkProcess } from '../helpers/tolk-process';
import { adminSql, clusterInstanceEnv, freshDatabase, json } from './cluster-helpers';
import { AGENT_NUMBER, TOLK_NUMBER, emulatorEnv, frameLevels, waitUntil } from './harness';

export const IDS = ['tolk-a', 'tolk-b'] as const;
export type InstanceId = (typeof IDS)[number];

export interface Line {
  direction: string;
  source: { text: string };
  translation: { text: string };
  startMs: number;
}

export interface CallJson {
  id: string;
  kind?: string;
  state: string;
  outcome?: string;
  instance?: string;
  moves?: { from: string; to: string; at: string; failed?: string }[];
  legs: { role: string; callSid: string }[];
  transcript: Line[];
}

export interface MoveRig {
  twilio: TwilioEmulator;
  gemini: GeminiEmulator;
  nginx: Nginx;
  tolks: Map<InstanceId, TolkProcess>;
  ports: Record<InstanceId, number>;
  prefix: string;
  start(id: InstanceId): Promise<void>;
  /** The record of the call whose caller leg is `callerSid`, as the API behind nginx gives it. */
  callOf(callerSid: string): Promise<CallJson | undefined>;
  /** Whether instance `id` answers /readyz with 200. */
  ready(id: InstanceId): Promise<boolean>;
  /** Keys of the cluster's directory in Redis that name call `callId` or one of `legs`. */
  directoryKeys(callId: string, legs: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** The numbers file: a direct number (caller Spanish, agent English), plus `extra` YAML entries. */
export function numbersYaml(extra = ''): string {
  return `numbers:\n  - number: "${TOLK_NUMBER}"\n    destination: "${AGENT_NUMBER}"\n    callerLanguage: es\n    agentLanguage: en\n${extra}`;
}

export async function startMoveRig(opts: { numbers?: string; twilio?: TwilioEmulatorOptions } = {}): Promise<MoveRig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-move-'));
  const database = `tolk_move_${Date.now().toString(36)}_${process.pid}`;
  const databaseUrl = await freshDatabase(database);
  const prefix = uniquePrefix();
  const gemini = await startGeminiEmulator({ mode: 'echo', language: 'en=es,es=en', lagMs: 300 });
  const twilio = await startTwilioEmulator({ sayAudio: 'silence', ...opts.twilio });
  fs.writeFileSync(path.join(dir, 'numbers.yaml'), opts.numbers ?? numbersYaml());
  const ports = { 'tolk-a': await freePort(), 'tolk-b': await freePort() };
  const nginx = await startNginx(IDS.map((id) => ({ id, address: `127.0.0.1:${ports[id]}` })));
  const tolks = new Map<InstanceId, TolkProcess>();
  const ready = async (id: InstanceId): Promise<boolean> => (await fetch(`http://127.0.0.1:${ports[id]}/readyz`).catch(() => undefined))?.ok === true;
  const rig: MoveRig = {
    twilio,
    gemini,
    nginx,
    tolks,
    ports,
    prefix,
    ready,
    async start(id) {
      tolks.set(
        id,
        spawnTolk({
          ...emulatorEnv({ port: ports[id], publicUrl: nginx.url, twilio, gemini, logLevel: process.env.MOVE_LOG_LEVEL ?? 'warn' }),
          ...clusterInstanceEnv({ id, numbersFile: path.join(dir, 'numbers.yaml'), databaseUrl, prefix }),
        }),
      );
      await waitUntil(() => ready(id), 30_000, `${id} to be ready`);
    },
    async callOf(callerSid) {
      const { body } = await json<{ calls: CallJson[] }>(`${nginx.url}/api/calls?limit=100`);
      const found = body.calls.find((c) => c.legs.some((l) => l.role === 'caller' && l.callSid === callerSid));
      return found && (await json<CallJson>(`${nginx.url}/api/calls/${found.id}`)).body;
    },
    async directoryKeys(callId, legs) {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      try {
        const keys = await redis.keys(`${prefix}:cluster:*`);
        return keys.filter((k) => k.endsWith(`:call:${callId}`) || legs.some((l) => k.endsWith(`:leg:${l}`)));
      } finally {
        redis.disconnect();
      }
    },
    async close() {
      await Promise.all([...tolks.values()].map((t) => t.stop('SIGKILL')));
      // MOVE_LOG_DIR: each instance's log is kept there, named after the test.
      const logDir = process.env.MOVE_LOG_DIR;
      const test = (expect.getState().currentTestName ?? 'test').replace(/[^a-z0-9]+/gi, '-').slice(-60);
      if (logDir) for (const [id, t] of tolks) fs.writeFileSync(path.join(logDir, `${test}-${id}.log`), t.stdout() + t.stderr());
      tolks.clear();
      await nginx.stop();
      await twilio.close();
      await gemini.close();
      await dropPrefix(prefix);
      await adminSql(`drop database if exists "${database}" with (force)`);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** The longest run of frames quieter than -50 dBFS in `heard` between `fromSec` and `toSec`, in seconds. */
export function longestSilenceSec(heard: Int16Array, fromSec: number, toSec: number): number {
  const levels = frameLevels(heard).slice(Math.max(0, Math.floor(fromSec * 50)), Math.floor(toSec * 50));
  let longest = 0;
  let run = 0;
  for (const l of levels) {
    run = l < -50 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest / 50;
}

/** Seconds of `heard` louder than -40 dBFS between `fromSec` and `toSec`. */
export function soundSec(heard: Int16Array, fromSec: number, toSec: number): number {
  return frameLevels(heard).slice(Math.floor(fromSec * 50), Math.floor(toSec * 50)).filter((l) => l > -40).length / 50;
}
