/**
 * Per-number settings kept in the database: the `NumberDirectory` the call bridge reads, plus the
 * writes the admin API and the CLI need. Every write is validated with the numbers-file schema, so
 * a setting the file would refuse is refused here too, with the same per-field messages.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { NumberStore } from '../config/number-store';
import { normaliseDialledNumber, type CallMode, type Interpretation, type NumberSettings } from '../config/numbers';
import { validateNumberSettings, type FieldProblem } from '../config/numbers-schema';
import { toBoolean, type Dialect, type NumbersTable, type StoreDatabase } from './database';

/** What `upsert` accepts: settings whose defaulted fields may be left out. */
export type NumberSettingsInput = Omit<NumberSettings, 'echoTargetLanguage' | 'originalVolume'> &
  Partial<Pick<NumberSettings, 'echoTargetLanguage' | 'originalVolume'>>;

export interface UpsertResult {
  /** The settings as stored (defaults applied). */
  settings: NumberSettings;
  /** True if the number was not configured before. */
  created: boolean;
}

/**
 * The contract is `NumberStore` (src/config/number-store.ts, shared with the in-memory store the
 * admin API's tests use); this store also returns the settings as stored, and always remembers.
 */
export type { NumberStore } from '../config/number-store';

export class InvalidNumberSettingsError extends Error {
  readonly status = 400;
  constructor(readonly problems: FieldProblem[]) {
    super(`invalid number settings: ${problems.map((p) => `${p.path.join('.') || '(settings)'}: ${p.message}`).join('; ')}`);
    this.name = 'InvalidNumberSettingsError';
  }
}

export class SqlNumberStore implements NumberStore {
  constructor(
    private readonly db: Kysely<StoreDatabase>,
    private readonly dialect: Dialect,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(number: string): Promise<NumberSettings | undefined> {
    const key = normaliseDialledNumber(number);
    if (key === undefined) return undefined;
    const row = await this.db.selectFrom('numbers').selectAll().where('number', '=', key).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(): Promise<NumberSettings[]> {
    const rows = await this.db.selectFrom('numbers').selectAll().orderBy('number').execute();
    return rows.map(fromRow);
  }

  async upsert(input: NumberSettingsInput): Promise<UpsertResult> {
    const s = validated(input);
    const now = this.now();
    const values = columns(s, now);
    return this.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('numbers').select('number').where('number', '=', s.number).executeTakeFirst();
      await trx
        .insertInto('numbers')
        .values({ ...values, number: s.number, created_at: now })
        .onConflict((oc) => oc.column('number').doUpdateSet(values))
        .execute();
      return { settings: s, created: !existing };
    });
  }

  async seedIfEmpty(inputs: readonly NumberSettingsInput[]): Promise<boolean> {
    const now = this.now();
    // A later entry for a number replaces an earlier one, as upserting them in turn would.
    const rows = [...new Map(inputs.map((input) => [input.number, validated(input)])).values()].map((s) => ({ ...columns(s, now), number: s.number, created_at: now }));
    if (rows.length === 0) return false;
    if (this.dialect === 'sqlite') {
      // One statement: SQLite takes the file's write lock before the statement reads anything, so
      // no other connection writes between the check and the inserts.
      const names = Object.keys(rows[0]);
      const res = await sql`insert into numbers (${sql.join(names.map((c) => sql.ref(c)))})
        select ${sql.join(names.map((c) => sql`json_extract(value, ${`$.${c}`})`))} from json_each(${JSON.stringify(rows)})
        where not exists (select 1 from numbers)`.execute(this.db);
      return (res.numAffectedRows ?? 0n) > 0n;
    }
    return this.db.transaction().execute(async (trx) => {
      // Held by one transaction at a time, and no insert, update or delete of a number runs while it
      // is: a second seeder waits here, then reads the first one's numbers.
      await sql`lock table numbers in share row exclusive mode`.execute(trx);
      if (await trx.selectFrom('numbers').select('number').limit(1).executeTakeFirst()) return false;
      await trx.insertInto('numbers').values(rows).execute();
      return true;
    });
  }

  async remove(number: string): Promise<boolean> {
    const key = normaliseDialledNumber(number);
    if (key === undefined) return false;
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('caller_languages').where('number', '=', key).execute();
      const res = await trx.deleteFrom('numbers').where('number', '=', key).executeTakeFirst();
      return res.numDeletedRows > 0n;
    });
  }

  async forgetCallerLanguage(number: string, caller: string): Promise<boolean> {
    const key = normaliseDialledNumber(number) ?? number;
    const res = await this.db
      .deleteFrom('caller_languages')
      .where('number', '=', key)
      .where('caller', '=', caller)
      .executeTakeFirst();
    return res.numDeletedRows > 0n;
  }
}

/** The settings with their defaults applied; throws InvalidNumberSettingsError naming each problem. */
function validated(input: NumberSettingsInput): NumberSettings {
  const result = validateNumberSettings(input);
  if (!result.ok) throw new InvalidNumberSettingsError(result.problems);
  return result.value;
}

/** A number's row, all but its key and creation time. */
function columns(s: NumberSettings, now: number) {
  return {
    destination: s.destination,
    caller_language: s.callerLanguage,
    agent_language: s.agentLanguage,
    echo_target_language: s.echoTargetLanguage ? 1 : 0,
    original_volume: s.originalVolume,
    greeting: s.greeting ?? null,
    webhook_url: s.webhookUrl ?? null,
    default_language: s.defaultLanguage ?? null,
    language_menu: s.languageMenu === undefined ? null : JSON.stringify(s.languageMenu),
    remember_language: s.rememberLanguage === false ? 0 : 1,
    mode: s.mode ?? null,
    interpretation: s.interpretation ?? null,
    updated_at: now,
  };
}

function fromRow(row: Selectable<NumbersTable>): NumberSettings {
  const s: NumberSettings = {
    number: row.number,
    destination: row.destination,
    callerLanguage: row.caller_language,
    agentLanguage: row.agent_language,
    rememberLanguage: toBoolean(row.remember_language),
    echoTargetLanguage: toBoolean(row.echo_target_language),
    originalVolume: row.original_volume,
  };
  if (row.default_language !== null) s.defaultLanguage = row.default_language;
  if (row.language_menu !== null) s.languageMenu = JSON.parse(row.language_menu) as string[];
  if (row.greeting !== null) s.greeting = row.greeting;
  if (row.mode !== null) s.mode = row.mode as CallMode;
  if (row.interpretation !== null) s.interpretation = row.interpretation as Interpretation;
  if (row.webhook_url !== null && row.webhook_url !== undefined) s.webhookUrl = row.webhook_url;
  return s;
}
