/**
 * `npm run bench -- --processes P`: tolk as `TOLK_PROCESSES=P npm start` runs it (a supervisor and
 * P cluster processes sharing a Redis and a PostgreSQL database, see README "Every core of a
 * machine"), its CPU taken from the whole process tree, and its metrics summed over the processes
 * (`/metrics/cluster`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { Client } from 'pg';

export interface ProcessesSetup {
  /** tolk's environment. */
  env: Record<string, string>;
  /** Drops the run's database. */
  cleanUp(): Promise<void>;
}

/** Runs one statement on the `postgres` database of `databaseUrl`'s server (creating and dropping databases). */
export async function onServer(databaseUrl: string, sql: string): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Deletes the run's Redis keys. */
async function dropKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * tolk's environment for P processes: REDIS_URL from the bench's environment (its keys under a
 * prefix of the run's own), and a fresh database, dropped after the run, on the PostgreSQL server
 * DATABASE_URL names.
 */
export async function setUpProcesses(processes: number, env: NodeJS.ProcessEnv = process.env): Promise<ProcessesSetup> {
  const missing = ['REDIS_URL', 'DATABASE_URL'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`--processes needs ${missing.join(' and ')}: several tolk processes share a Redis and a PostgreSQL server (the bench makes a database of its own there); scripts/test-services.sh starts both on this machine: REDIS_URL=redis://127.0.0.1:6379 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`);
  }
  const id = randomBytes(4).toString('hex');
  const database = `tolkbench_${id}`;
  const serverUrl = env.DATABASE_URL ?? '';
  await onServer(serverUrl, `create database "${database}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return {
    env: {
      TOLK_PROCESSES: String(processes),
      REDIS_URL: env.REDIS_URL ?? '',
      DATABASE_URL: url.toString(),
      TOLK_QUEUE_PREFIX: `tolkbench-${id}`,
      TOLK_INSTANCE_ID: 'bench',
    },
    async cleanUp() {
      await onServer(serverUrl, `drop database if exists "${database}" with (force)`);
      await dropKeys(env.REDIS_URL ?? '', `tolkbench-${id}`);
    },
  };
}

/** The ids of a process's children (Linux /proc; none where unavailable). */
function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A process and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]));
  return out;
}

/** The cores tolk is pinned to and the rig's, when the machine has a core to spare for the rig. */
export function coreSplit(cores: number, tolkProcesses: number): { tolk: string; rig: string } | undefined {
  if (cores <= tolkProcesses) return undefined;
  return { tolk: tolkProcesses === 1 ? '0' : `0-${tolkProcesses - 1}`, rig: cores - tolkProcesses === 1 ? String(tolkProcesses) : `${tolkProcesses}-${cores - 1}` };
}
