/** What the tests of several tolk instances share: a database of their own, the admin API, metrics. */
import { onServer } from '../../scripts/rig/tolk-processes';
import { TEST_DATABASE_URL } from '../store/helpers/postgres';
import { ADMIN_TOKEN } from './harness';

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
