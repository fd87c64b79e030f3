/** What the tests of several tolk instances share: a database of their own, the admin API, metrics. */
import { onServer } from '../../scripts/rig/tolk-processes';
import { REDIS_URL } from '../jobs/helpers';
import { TEST_DATABASE_URL } from '../store/helpers/postgres';
import { ADMIN_TOKEN, INTERPRETER_APP_SID } from './harness';

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

/**
 * What makes a tolk process one instance of the test cluster: the shared database, Redis (keys under
 * `prefix`) and stream secret, its numbers file and its own name. Add it to `emulatorEnv`.
 */
export function clusterInstanceEnv(o: { id: string; numbersFile: string; databaseUrl: string; prefix: string }): Record<string, string> {
  return {
    TOLK_NUMBERS: o.numbersFile,
    DATABASE_URL: o.databaseUrl,
    REDIS_URL,
    TOLK_QUEUE_PREFIX: o.prefix,
    TOLK_CLUSTER: 'on',
    TWILIO_TWIML_APP_SID: INTERPRETER_APP_SID,
    TOLK_INSTANCE_ID: o.id,
    MEDIA_STREAM_SECRET: 'cluster-test-secret-0123456789-abcdefghij',
  };
}
