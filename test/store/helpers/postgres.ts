/**
 * PostgreSQL for the store tests: `TOLK_TEST_DATABASE_URL`, by default the `test` database on
 * 127.0.0.1:5432 as user postgres without a password (trust auth). The database is created if it
 * is missing; every test gets its own schema, dropped when its file is done, so runs never collide.
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

/** A schema name no other test run uses. */
export function uniqueSchema(): string {
  return `tolk_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}

export async function dropSchemas(schemas: readonly string[], url = TEST_DATABASE_URL): Promise<void> {
  if (schemas.length === 0) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  } finally {
    await client.end();
  }
}
