/**
 * What the tests of several tolk instances share: the cluster (a database of its own, emulators,
 * nginx, the instances) and its teardown, the admin API, metrics.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onServer } from '../../scripts/rig/tolk-processes';
import { freePort } from '../../src/emulators/free-port';
import { startGeminiEmulator, type GeminiEmulator, type GeminiEmulatorOptions } from '../../src/emulators/gemini/server';
import { startTwilioEmulator, type TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { startNginx, type Nginx } from '../helpers/nginx';
import { spawnTolk, type TolkProcess } from '../helpers/tolk-process';
import { REDIS_URL, dropPrefix, uniquePrefix } from '../jobs/helpers';
import { TEST_DATABASE_URL } from '../store/helpers/postgres';
import { ADMIN_TOKEN, INTERPRETER_APP_SID, emulatorEnv, waitUntil } from './harness';

export const ADMIN = ADMIN_TOKEN;

/** Runs one statement on the test server's `postgres` database (creating and dropping databases). */
export const adminSql = (sql: string): Promise<void> => onServer(TEST_DATABASE_URL, sql);

export async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; instance: string | null }> {
  const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, instance: res.headers.get('x-tolk-instance') };
}

/** The sum of a metric's samples in a Prometheus text answer (optionally only those with `label`). */
export function metricSum(text: string, name: string, label = ''): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => l.includes(label))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/** A new, empty database on the test server; its URL. */
export async function freshDatabase(name: string): Promise<string> {
  await adminSql(`create database "${name}"`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface ClusterInstanceOptions {
  /** Its name (TOLK_INSTANCE_ID). */
  id: string;
  /** The loopback port it listens on. */
  port: number;
  /** Where Twilio reaches the cluster: nginx's URL. */
  publicUrl: string;
  twilio: TwilioEmulator;
  gemini: GeminiEmulator;
  numbersFile: string;
  /** The database the instances share. */
  databaseUrl: string;
  /** The instances' Redis keys are under it. */
  prefix: string;
}

/**
 * Starts one instance of the test cluster, tolk in a child process on the emulators, sharing the
 * database, Redis (keys under `prefix`) and stream secret with the others; resolves once it
 * answers GET /readyz (at most 30 s; rejects with the end of its stderr if it exits before).
 */
export async function startClusterInstance(o: ClusterInstanceOptions): Promise<TolkProcess> {
  const proc = spawnTolk({
    ...emulatorEnv({ port: o.port, publicUrl: o.publicUrl, twilio: o.twilio, gemini: o.gemini, logLevel: 'warn' }),
    TOLK_NUMBERS: o.numbersFile,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL,
    TOLK_QUEUE_PREFIX: o.prefix,
    TOLK_CLUSTER: 'on',
    TWILIO_TWIML_APP_SID: INTERPRETER_APP_SID,
    TOLK_INSTANCE_ID: o.id,
    MEDIA_STREAM_SECRET: 'cluster-test-secret-0123456789-abcdefghij',
  });
  const ready = async (): Promise<boolean> => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${o.id} exited before it was ready: ${proc.stderr().slice(-2000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${o.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    }
  };
  await waitUntil(ready, 30_000, `${o.id} to be ready`);
  return proc;
}

/** The test cluster's instances. */
export const CLUSTER_IDS = ['tolk-a', 'tolk-b'] as const;
export type ClusterId = (typeof CLUSTER_IDS)[number];

export interface ClusterOptions {
  /** Names its temp folder (`tolk-<name>-…`) and database (`tolk_<name>_…`): lowercase letters, digits, '-'. */
  name: string;
  /** The numbers file's entries: YAML list items, each line ending in a newline. */
  numbers: string;
  gemini: GeminiEmulatorOptions;
  proxy?: { streamsByPath?: boolean };
}

/** A call record as far as finding it by its caller leg needs. */
export interface CallWithLegs {
  id: string;
  legs: { role: string; callSid: string }[];
}

/** A started test cluster: the emulators and nginx up, no instance yet. */
export interface Cluster {
  twilio: TwilioEmulator;
  nginx: Nginx;
  /** Each instance's loopback port, picked before nginx starts. */
  ports: Record<ClusterId, number>;
  /** The instances started (and not yet torn down), by name. */
  tolks: Map<string, TolkProcess>;
  /** Starts instance `id` (see startClusterInstance) and keeps it in `tolks`. */
  start: (id: ClusterId) => Promise<TolkProcess>;
  /** Instance `id`'s own URL, not through nginx. */
  base: (id: ClusterId) => string;
  /** The whole record of the call whose caller leg is `callerSid`, asked through nginx; undefined while not listed. */
  callOf: <T extends CallWithLegs>(callerSid: string) => Promise<T | undefined>;
}

export interface ClusterFixture {
  /** Makes the temp folder, database, Redis prefix, emulators (in that order), numbers file and nginx. */
  start: (o: ClusterOptions) => Promise<Cluster>;
}

/**
 * The cluster set-up of a test file: call once at the top level. After each test it tears down,
 * pass or fail, whatever `start` got to: the instances (SIGKILL), nginx, the emulators, the Redis
 * keys, the database and the temp folder.
 */
export function clusterFixture(): ClusterFixture {
  let teardown: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    const steps = teardown.reverse();
    teardown = [];
    for (const step of steps) await step();
  });
  return {
    start: async (o) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tolk-${o.name}-`));
      teardown.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const database = `tolk_${o.name.replaceAll('-', '_')}_${Date.now().toString(36)}_${process.pid}`;
      const databaseUrl = await freshDatabase(database);
      teardown.push(() => adminSql(`drop database if exists "${database}" with (force)`));
      const prefix = uniquePrefix();
      teardown.push(() => dropPrefix(prefix));
      const gemini = await startGeminiEmulator(o.gemini);
      teardown.push(() => gemini.close());
      const twilio = await startTwilioEmulator({ sayAudio: 'silence' });
      teardown.push(() => twilio.close());
      const numbersFile = path.join(dir, 'numbers.yaml');
      fs.writeFileSync(numbersFile, `numbers:\n${o.numbers}`);
      const ports = { 'tolk-a': await freePort(), 'tolk-b': await freePort() };
      const nginx = await startNginx(CLUSTER_IDS.map((id) => ({ id, address: `127.0.0.1:${ports[id]}` })), o.proxy);
      teardown.push(() => nginx.stop());
      const tolks = new Map<string, TolkProcess>();
      teardown.push(async () => {
        await Promise.all([...tolks.values()].map((t) => t.stop('SIGKILL')));
        tolks.clear();
      });
      return {
        twilio,
        nginx,
        ports,
        tolks,
        start: async (id) => {
          const proc = await startClusterInstance({ id, port: ports[id], publicUrl: nginx.url, twilio, gemini, numbersFile, databaseUrl, prefix });
          tolks.set(id, proc);
          return proc;
        },
        base: (id) => `http://127.0.0.1:${ports[id]}`,
        callOf: async <T extends CallWithLegs>(callerSid: string): Promise<T | undefined> => {
          const { body } = await json<{ calls: T[] }>(`${nginx.url}/api/calls?limit=100`);
          const found = body.calls.find((c) => c.legs.some((l) => l.role === 'caller' && l.callSid === callerSid));
          return found && (await json<T>(`${nginx.url}/api/calls/${found.id}`)).body;
        },
      };
    },
  };
}
