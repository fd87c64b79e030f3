/**
 * Opens tolk's database and brings its schema up to date: PostgreSQL when a connection URL is
 * given (several tolk instances can share it), otherwise an SQLite file (created with its folder
 * if missing; nothing to install). The returned stores share one connection pool.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { Pool } from 'pg';
import type { Logger } from '../log/logger';
import type { CallRecordStore } from './call-record-store';
import { SqlCallerLanguageStore, type CallerLanguageStore } from './caller-language-store';
import type { Dialect, StoreDatabase } from './database';
import { CodeMigrationProvider } from './migrations';
import { SqlNumberStore } from './number-store';
import { SqlReplayKeyStore, type ReplayKeyStore } from './replay-key-store';
import { SqlCallRecordStore, type SqlCallRecordStoreOptions } from './sql-call-record-store';

/** Where the SQLite file goes when neither a URL nor a path is given (relative to the working folder). */
export const DEFAULT_SQLITE_PATH = path.join('data', 'tolk.db');

export interface OpenStoreOptions {
  /** `postgres://user:pass@host:5432/db`; when set, PostgreSQL is used and `sqlitePath` is ignored. */
  databaseUrl?: string;
  /** SQLite file; default `data/tolk.db` under the working folder. */
  sqlitePath?: string;
  /** PostgreSQL schema to use (created if missing); default the server's search_path (`public`). */
  schema?: string;
  logger: Logger;
  calls?: SqlCallRecordStoreOptions;
  /** The clock replay keys expire by (tests); default Date.now. */
  now?: () => number;
}

export interface Store {
  numbers: SqlNumberStore;
  calls: CallRecordStore;
  callerLanguages: CallerLanguageStore;
  /** Single-use keys (stream token nonces, handled webhooks), shared by every instance. */
  replayKeys: ReplayKeyStore;
  dialect: Dialect;
  /** Rejects if the database does not answer (for readiness checks). */
  ping(): Promise<void>;
  /** Closes the connections; pending writes complete first. */
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const log = opts.logger.child({ component: 'store' });
  const dialect: Dialect = opts.databaseUrl ? 'postgres' : 'sqlite';
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new Error(`invalid schema name '${opts.schema}' (lower-case letters, digits and _)`);
  }
  const db = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.schema) : openSqlite(opts.sqlitePath ?? DEFAULT_SQLITE_PATH);
  try {
    if (dialect === 'postgres' && opts.schema) await ensureSchema(db, opts.schema);
    await migrate(db, dialect, opts.schema, log);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  log.info(
    { event: 'store.opened', dialect, ...(dialect === 'sqlite' ? { file: path.resolve(opts.sqlitePath ?? DEFAULT_SQLITE_PATH) } : {}) },
    'store opened',
  );
  let closed = false;
  return {
    dialect,
    numbers: new SqlNumberStore(db),
    calls: new SqlCallRecordStore(db, opts.calls),
    callerLanguages: new SqlCallerLanguageStore(db),
    replayKeys: new SqlReplayKeyStore(db, opts.now),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      log.info({ event: 'store.closed', dialect }, 'store closed');
    },
  };
}

function openSqlite(file: string): Kysely<StoreDatabase> {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new Kysely<StoreDatabase>({
    dialect: new SqliteDialect({
      database: () => {
        const conn = new SQLite(file);
        // WAL: a committed utterance survives the process dying; readers never block the writer.
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        return Promise.resolve(conn);
      },
    }),
  });
}

function openPostgres(url: string, schema: string | undefined): Kysely<StoreDatabase> {
  const pool = new Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  return new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
}

/** `create schema if not exists` can still fail when another instance creates it at the same moment. */
async function ensureSchema(db: Kysely<StoreDatabase>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    const exists = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(db);
    if (exists.rows.length === 0) throw err;
  }
}

async function migrate(db: Kysely<StoreDatabase>, dialect: Dialect, schema: string | undefined, log: Logger): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new CodeMigrationProvider(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Success') log.info({ event: 'store.migrated', migration: r.migrationName }, 'migration applied');
    else if (r.status === 'Error') log.error({ event: 'store.migration_failed', migration: r.migrationName }, 'migration failed');
  }
  if (error) {
    // Errors from the native driver may come from another realm (instanceof Error fails): read the message.
    const message = (error as { message?: unknown } | null)?.message;
    const msg = typeof message === 'string' ? message : JSON.stringify(error);
    throw new Error(`database migration failed: ${msg}`, { cause: error });
  }
}
