/** What the tests of several tolk instances share: a database of their own, the admin API, metrics. */
import { onServer } from '../../scripts/rig/tolk-processes';
import type { GeminiEmulator } from '../../src/emulators/gemini/server';
import type { TwilioEmulator } from '../../src/emulators/twilio/emulator';
import { spawnTolk, type TolkProcess } from '../helpers/tolk-process';
import { REDIS_URL } from '../jobs/helpers';
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
