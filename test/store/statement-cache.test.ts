import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { StatementCachingDatabase, type StatementCacheOptions } from '../../src/store/statement-cache';

interface TestDatabase {
  items: { id: number; name: string };
}

/** An in-memory database behind a statement cache, counting what reaches better-sqlite3's prepare. */
function open(opts?: StatementCacheOptions) {
  const raw = new SQLite(':memory:');
  const prepare = jest.spyOn(raw, 'prepare');
  const cache = new StatementCachingDatabase(raw, opts);
  const db = new Kysely<TestDatabase>({ dialect: new SqliteDialect({ database: cache }) });
  return { raw, prepare, cache, db };
}

const opened: Kysely<TestDatabase>[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.destroy()));
});

async function withItems(opts?: StatementCacheOptions) {
  const t = open(opts);
  opened.push(t.db);
  await t.db.schema.createTable('items').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('name', 'text', (c) => c.notNull()).execute();
  t.prepare.mockClear();
  return t;
}

const preparedTexts = (prepare: jest.SpyInstance) => prepare.mock.calls.map(([text]) => text as string);

describe('StatementCachingDatabase', () => {
  it('prepares the same SQL once across repeated queries through Kysely', async () => {
    const { db, prepare } = await withItems();
    for (let i = 0; i < 50; i++) {
      await db.insertInto('items').values({ id: i, name: `n${i}` }).execute();
    }
    const inserts = preparedTexts(prepare).filter((text) => text.startsWith('insert'));
    expect(inserts).toEqual(['insert into "items" ("id", "name") values (?, ?)']);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('prepares begin and commit once across repeated transactions', async () => {
    const { db, prepare } = await withItems();
    for (let i = 0; i < 10; i++) {
      await db.transaction().execute((trx) => trx.insertInto('items').values({ id: i, name: `n${i}` }).execute());
    }
    expect(preparedTexts(prepare).sort()).toEqual(['begin', 'commit', 'insert into "items" ("id", "name") values (?, ?)']);
    expect(await db.selectFrom('items').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 10 });
  });

  it('returns the right rows: what was inserted, and for each parameter its own rows', async () => {
    const { db, prepare } = await withItems();
    await db.insertInto('items').values({ id: 1, name: 'one' }).execute();
    await db.insertInto('items').values({ id: 2, name: 'two' }).execute();
    await db.insertInto('items').values({ id: 3, name: 'two' }).execute();
    expect(await db.selectFrom('items').selectAll().orderBy('id').execute()).toEqual([
      { id: 1, name: 'one' },
      { id: 2, name: 'two' },
      { id: 3, name: 'two' },
    ]);
    const byName = (name: string) => db.selectFrom('items').select('id').where('name', '=', name).orderBy('id').execute();
    expect(await byName('two')).toEqual([{ id: 2 }, { id: 3 }]);
    expect(await byName('one')).toEqual([{ id: 1 }]);
    expect(await byName('none')).toEqual([]);
    expect(await byName('two')).toEqual([{ id: 2 }, { id: 3 }]);
    const selects = preparedTexts(prepare).filter((text) => text.includes('where "name" = ?'));
    expect(selects).toHaveLength(1);
    // writes still report what they did
    const updated = await db.updateTable('items').set({ name: 'three' }).where('id', '=', 3).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
    const inserted = await db.insertInto('items').values({ id: 7, name: 'seven' }).executeTakeFirst();
    expect(inserted.insertId).toBe(7n);
  });

  it('keeps at most capacity statements, dropping the least recently used', async () => {
    const { db, prepare, cache } = await withItems({ capacity: 4 });
    const distinct = (k: number) => sql`select ${sql.raw(String(k))} as k`.execute(db);
    for (let k = 0; k < 10; k++) {
      await distinct(k);
      expect(cache.size).toBeLessThanOrEqual(4);
    }
    expect(prepare).toHaveBeenCalledTimes(10);
    expect(cache.size).toBe(4);
    // 6..9 are kept: no prepare; 9 used last, so 6 is the oldest
    for (const k of [6, 7, 8, 9]) await distinct(k);
    expect(prepare).toHaveBeenCalledTimes(10);
    await distinct(6); // now 7 is the least recently used
    await distinct(0); // evicts 7
    expect(prepare).toHaveBeenCalledTimes(11);
    await distinct(6);
    expect(prepare).toHaveBeenCalledTimes(11);
    await distinct(7);
    expect(prepare).toHaveBeenCalledTimes(12);
    expect(cache.size).toBe(4);
    expect((await distinct(7)).rows).toEqual([{ k: 7 }]);
  });

  it('does not keep SQL longer than maxSqlLength', async () => {
    const { db, prepare, cache } = await withItems({ maxSqlLength: 40 });
    const long = sql`select ${sql.raw(`'${'x'.repeat(40)}'`)} as v`;
    for (let i = 0; i < 3; i++) expect((await long.execute(db)).rows).toEqual([{ v: 'x'.repeat(40) }]);
    expect(prepare).toHaveBeenCalledTimes(3);
    expect(cache.size).toBe(0);
  });

  it('never hands out a statement an unfinished iterate is using', async () => {
    const { raw, prepare, cache } = await withItems();
    raw.exec(`insert into items (id, name) values (1, 'one'), (2, 'two'), (3, 'three')`);
    const text = 'select id from items order by id';
    const before = cache.size;
    const first = cache.prepare(text);
    const rows = first.iterate([]);
    expect(rows.next().value).toEqual({ id: 1 });
    // the kept statement is busy: the next caller gets another, which works
    const second = cache.prepare(text);
    expect(second).not.toBe(first);
    expect(second.all([])).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect([...rows]).toEqual([{ id: 2 }, { id: 3 }]);
    // finished, the kept one is handed out again
    expect(cache.prepare(text)).toBe(first);
    expect(prepare).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(before + 1);
  });

  it('streams through Kysely, reusing the statement once a stream is finished or left early', async () => {
    const { db, prepare } = await withItems();
    await db.insertInto('items').values([1, 2, 3].map((id) => ({ id, name: `n${id}` }))).execute();
    prepare.mockClear();
    const query = db.selectFrom('items').select('id').orderBy('id');
    const all: number[] = [];
    for await (const row of query.stream()) all.push(row.id);
    expect(all).toEqual([1, 2, 3]);
    for await (const row of query.stream()) {
      expect(row.id).toBe(1);
      break;
    }
    expect(await query.execute()).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('throws bad SQL at prepare and keeps nothing for it', async () => {
    const { db, cache } = await withItems();
    const before = cache.size;
    // (better-sqlite3's SqliteError may come from another test file's realm, so not toThrow)
    const err = await sql`select from nowhere at all`.execute(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as { message?: unknown } | undefined)?.message).toMatch(/syntax error/);
    expect(cache.size).toBe(before);
  });

  it('closes the database', () => {
    const raw = new SQLite(':memory:');
    const cache = new StatementCachingDatabase(raw);
    cache.prepare('select 1');
    cache.close();
    expect(raw.open).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('refuses a capacity or length that is not a positive integer within bounds', () => {
    const raw = new SQLite(':memory:');
    try {
      for (const capacity of [0, -1, 1.5, Number.NaN, 100_000]) {
        expect(() => new StatementCachingDatabase(raw, { capacity })).toThrow(RangeError);
      }
      expect(() => new StatementCachingDatabase(raw, { maxSqlLength: 0 })).toThrow(RangeError);
      expect(new StatementCachingDatabase(raw, { capacity: 1 }).capacity).toBe(1);
    } finally {
      raw.close();
    }
  });
});
