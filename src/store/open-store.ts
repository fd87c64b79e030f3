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
import { SqlDeliveryStore, type DeliveryStore } from './delivery-store';
import { SqlNumberStore } from './number-store';
import { SqlReplayKeyStore, type ReplayKeyStore } from './replay-key-store';
import { SqlCallRecordStore, type SqlCallRecordStoreOptions } from './sql-call-record-store';
import { StatementCachingDatabase } from './statement-cache';

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
  /**
   * PostgreSQL only: how long to keep trying to reach the server (it may be starting with tolk)
   * before giving up with `StoreUnavailableError`; also each connection's own deadline. Default 10 s.
   */
  connectTimeoutMs?: number;
}

/**
 * The database cannot be opened: the SQLite file or its folder cannot be created or is not a
 * database, or the PostgreSQL server cannot be reached or refuses the connection. `target` is the
 * file, or the URL without its password; `reason` says what went wrong in a few words.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly dialect: Dialect,
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${dialect === 'sqlite' ? 'SQLite file' : 'PostgreSQL'} ${target}: ${reason}`, options);
    this.name = 'StoreUnavailableError';
  }
}

export interface Store {
  numbers: SqlNumberStore;
  calls: CallRecordStore;
  callerLanguages: CallerLanguageStore;
  /** Single-use keys (stream token nonces, handled webhooks), shared by every instance. */
  replayKeys: ReplayKeyStore;
  /** Webhook deliveries owed to customers. */
  deliveries: DeliveryStore;
  dialect: Dialect;
  /** Rejects if the database does not answer (for readiness checks). */
  ping(): Promise<void>;
  /**
   * After an erasure: SQLite (which overwrites what it deletes) empties its write-ahead log, where
   * the pages as they were before still lie; PostgreSQL leaves erased rows to its vacuum.
   */
  scrub(): Promise<void>;
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
  const sqlitePath = opts.sqlitePath ?? DEFAULT_SQLITE_PATH;
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const db = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.schema, connectTimeoutMs) : openSqlite(sqlitePath);
  try {
    if (dialect === 'postgres') await reachPostgres(db, opts.databaseUrl!, connectTimeoutMs, log);
    else await probeSqlite(db, sqlitePath);
    if (dialect === 'postgres' && opts.schema) await ensureSchema(db, opts.schema);
    await migrate(db, dialect, opts.schema, log);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    throw err;
  }
  log.info(
    { event: 'store.opened', dialect, ...(dialect === 'sqlite' ? { file: path.resolve(opts.sqlitePath ?? DEFAULT_SQLITE_PATH) } : {}) },
    'store opened',
  );
  let closed = false;
  return {
    dialect,
    numbers: new SqlNumberStore(db, dialect),
    calls: new SqlCallRecordStore(db, opts.calls),
    callerLanguages: new SqlCallerLanguageStore(db),
    replayKeys: new SqlReplayKeyStore(db, opts.now),
    deliveries: new SqlDeliveryStore(db, opts.now),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async scrub() {
      if (dialect === 'sqlite') await sql`pragma wal_checkpoint(truncate)`.execute(db);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      log.info({ event: 'store.closed', dialect }, 'store closed');
    },
  };
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function openSqlite(file: string): Kysely<StoreDatabase> {
  const folder = path.dirname(path.resolve(file));
  try {
    fs.mkdirSync(folder, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'a file is in the way' : errnoText(err);
    throw new StoreUnavailableError('sqlite', path.resolve(file), `cannot have its folder ${folder} created (${why})`, { cause: err });
  }
  return new Kysely<StoreDatabase>({
    dialect: new SqliteDialect({
      database: () => {
        const conn = new SQLite(file);
        // WAL: a committed utterance survives the process dying; readers never block the writer.
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        // What is deleted (an erased call: retention/retention.ts) is overwritten, not left in free pages.
        conn.pragma('secure_delete = ON');
        // Each SQL text is prepared once, not on every query.
        return Promise.resolve(new StatementCachingDatabase(conn));
      },
    }),
  });
}

function openPostgres(url: string, schema: string | undefined, connectTimeoutMs: number): Kysely<StoreDatabase> {
  const pool = new Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  return new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Waits until the server answers, retrying what may pass (refused, timed out, unknown host, "the
 * database system is starting up") with backoff until the deadline; what will not pass (bad
 * password, no such database) fails at once.
 */
async function reachPostgres(db: Kysely<StoreDatabase>, url: string, deadlineMs: number, log: Logger): Promise<void> {
  const giveUpAt = Date.now() + deadlineMs;
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 2000)) {
    try {
      await sql`select 1`.execute(db);
      return;
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      const transient = typeof code !== 'string' || /^E[A-Z]+$/.test(code) || code === '57P03';
      const left = giveUpAt - Date.now();
      if (!transient || left <= delay) {
        const reason = transient ? `unreachable after ${Math.round(deadlineMs / 1000)} s (${postgresReason(err)})` : `refused the connection (${postgresReason(err)})`;
        throw new StoreUnavailableError('postgres', redactUrl(url), reason, { cause: err });
      }
      log.warn({ event: 'store.unreachable', attempt, reason: postgresReason(err), retryInMs: delay }, 'database not reachable yet');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The URL with its password replaced by `***` (for messages and logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

function errnoText(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
}

function postgresReason(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' && e.message ? e.message : undefined;
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code;
  if (message === 'timeout expired' || message?.includes('connection timeout')) return 'connection timed out';
  return message ?? errnoText(err);
}

/** Opens the file and takes (then releases) the write lock: a file tolk could read but not write fails now, not mid-call. */
async function probeSqlite(db: Kysely<StoreDatabase>, file: string): Promise<void> {
  try {
    await sql`begin immediate`.execute(db);
    await sql`rollback`.execute(db);
  } catch (err) {
    throw new StoreUnavailableError('sqlite', path.resolve(file), sqliteReason(file, err), { cause: err });
  }
}

function sqliteReason(file: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB') return 'is not a database (SQLite cannot read it)';
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) return 'is a folder, not a file';
  if (code === 'SQLITE_READONLY') return 'is read-only';
  return `cannot be opened (${errnoText(err)})`;
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
