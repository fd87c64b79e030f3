/**
 * An SQLite database for Kysely's SqliteDialect that keeps its prepared statements. The dialect
 * calls `prepare(sql)` for every query, and preparing (parsing and planning the SQL) costs more
 * than running a short insert; tolk sends the same few SQL texts over and over (a transcript line
 * per utterance of every call), so each text is prepared once and its statement reused. The cache
 * holds at most `capacity` statements, dropping the least recently used, and leaves SQL longer
 * than `maxSqlLength` uncached. A statement still busy (an `iterate` not yet finished) is never
 * handed out again: a fresh one is prepared in its place for that caller.
 */
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** A better-sqlite3 statement as far as Kysely uses it, plus `busy` (true while an iterator is open). */
export interface BusySqliteStatement extends SqliteStatement {
  readonly busy: boolean;
}

/** What is wrapped: a better-sqlite3 Database as far as Kysely uses it. */
export interface PreparingSqliteDatabase {
  prepare(sql: string): BusySqliteStatement;
  close(): void;
}

export interface StatementCacheOptions {
  /** Most statements kept; default 128, at most 4096. */
  capacity?: number;
  /** Longest SQL text (characters) whose statement is kept; longer texts are prepared each time. Default 8192. */
  maxSqlLength?: number;
}

export const DEFAULT_STATEMENT_CACHE_CAPACITY = 128;
export const MAX_STATEMENT_CACHE_CAPACITY = 4096;
export const DEFAULT_MAX_CACHED_SQL_LENGTH = 8192;
const MAX_MAX_CACHED_SQL_LENGTH = 1 << 20;

export class StatementCachingDatabase implements SqliteDatabase {
  /** Least recently used first (a Map keeps insertion order; a hit is moved to the end). */
  private readonly statements = new Map<string, BusySqliteStatement>();
  readonly capacity: number;
  readonly maxSqlLength: number;

  constructor(
    private readonly db: PreparingSqliteDatabase,
    opts: StatementCacheOptions = {},
  ) {
    this.capacity = boundedInteger('capacity', opts.capacity ?? DEFAULT_STATEMENT_CACHE_CAPACITY, MAX_STATEMENT_CACHE_CAPACITY);
    this.maxSqlLength = boundedInteger('maxSqlLength', opts.maxSqlLength ?? DEFAULT_MAX_CACHED_SQL_LENGTH, MAX_MAX_CACHED_SQL_LENGTH);
  }

  /** Statements currently kept. */
  get size(): number {
    return this.statements.size;
  }

  prepare(sql: string): BusySqliteStatement {
    if (sql.length > this.maxSqlLength) return this.db.prepare(sql);
    const kept = this.statements.get(sql);
    if (kept) {
      // In use by an unfinished iterate: this caller gets a statement of its own, not kept.
      if (kept.busy) return this.db.prepare(sql);
      this.statements.delete(sql);
      this.statements.set(sql, kept);
      return kept;
    }
    const stmt = this.db.prepare(sql); // throws on bad SQL, before anything is kept
    if (this.statements.size >= this.capacity) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  /** Forgets the statements and closes the database (which finalizes them). */
  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

function boundedInteger(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`statement cache ${name} must be an integer from 1 to ${max}, not ${value}`);
  }
  return value;
}
