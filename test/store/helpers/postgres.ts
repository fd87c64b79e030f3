/**
 * PostgreSQL for the store tests: `TOLK_TEST_DATABASE_URL`, by default the `test` database on
 * 127.0.0.1:5432 as user postgres without a password (trust auth). The database is created if it
 * is missing; every test gets its own schema, so runs never collide. Schemas are not dropped when
 * a run ends: Kysely's migrator reads the catalog of every schema, and a schema dropped by one run
 * while another run migrates makes that migration fail. Each run instead drops the schemas that
 * runs left behind more than an hour ago.
 */
import { Client } from 'pg';

export const TEST_DATABASE_URL = process.env.TOLK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const SETUP_HINT =
  'The store tests need PostgreSQL: see "Tests and PostgreSQL" in README.md, or point TOLK_TEST_DATABASE_URL at a database you may create schemas in.';

/** Creates the test database if it does not exist (several test files may race to do it). */
export async function ensureTestDatabase(url = TEST_DATABASE_URL): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL at ${target.host} (${(err as Error).message}). ${SETUP_HINT}`, { cause: err });
  }
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`create database "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another test file
      });
    }
  } finally {
    await client.end();
  }
}

let counter = 0;
const PREFIX = 'tolk_test_';
const STALE_AFTER_MS = 60 * 60_000;

/** A schema name no other test run uses: prefix, creation time (base 36 ms), pid, counter. */
export function uniqueSchema(): string {
  return `${PREFIX}${Date.now().toString(36)}_${process.pid}_${counter++}`;
}

/** Drops test schemas created more than an hour ago (by runs that have surely finished). */
export async function dropStaleSchemas(url = TEST_DATABASE_URL, now = Date.now()): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [
      `${PREFIX}%`,
    ]);
    for (const { nspname } of rows) {
      const created = parseInt(nspname.slice(PREFIX.length).split('_')[0], 36);
      if (!(now - created > STALE_AFTER_MS)) continue;
      await client.query(`drop schema if exists "${nspname}" cascade`).catch(() => undefined); // another run got there first
    }
  } finally {
    await client.end();
  }
}
