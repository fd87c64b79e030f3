/**
 * The store contracts on PostgreSQL (see helpers/postgres.ts for which server). Each store opened
 * here lives in a schema of its own (see helpers/postgres.ts for their clean-up).
 */
import { openStore } from '../../src/store/open-store';
import { describeCallRecordStoreContract, newCall, utterance } from './helpers/call-record-store.contract';
import { describeNumberStoreContract } from './helpers/number-store.contract';
import { describeDeliveryStoreContract } from './helpers/delivery-store.contract';
import { describeReplayKeyStoreContract } from './helpers/replay-key-store.contract';
import { dropStaleSchemas, ensureTestDatabase, TEST_DATABASE_URL, uniqueSchema } from './helpers/postgres';
import { silentLogger } from './helpers/silent-logger';
import { storeHarness } from './helpers/store-harness';

const freshSchema = uniqueSchema;

beforeAll(async () => {
  await ensureTestDatabase();
  await dropStaleSchemas();
});

const harness = storeHarness(() => ({ databaseUrl: TEST_DATABASE_URL, schema: freshSchema() }));

describeCallRecordStoreContract('PostgreSQL', async (opts) => (await harness.open({ calls: opts })).calls);
describeNumberStoreContract(
  'PostgreSQL',
  () => harness.open(),
  () => {
    const schema = freshSchema();
    return Promise.all([harness.open({ schema }), harness.open({ schema })]);
  },
);
describeReplayKeyStoreContract('PostgreSQL', async (now) => (await harness.open({ now })).replayKeys);
describeDeliveryStoreContract('PostgreSQL', async (now) => (await harness.open({ now })).deliveries);

describe('PostgreSQL store', () => {
  it('migrates once, also when two instances start together on one schema', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([harness.open({ schema }), harness.open({ schema })]);
    expect(a.dialect).toBe('postgres');
    await a.numbers.upsert({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' });
    expect((await b.numbers.list()).map((s) => s.number)).toEqual(['+15550001111']);
    const c = await harness.open({ schema });
    expect(await c.numbers.lookup('+15550001111')).toBeDefined();
  });

  it('keeps a transcript line appended before tolk stopped mid-call', async () => {
    const schema = freshSchema();
    const before = await openStore({ logger: silentLogger(), databaseUrl: TEST_DATABASE_URL, schema });
    const { id } = await before.calls.create(newCall({ state: 'bridged' }));
    await before.calls.appendUtterance(id, utterance(0));
    await before.close(); // the call is never finished

    const after = await harness.open({ schema });
    const got = await after.calls.get(id);
    expect(got).toMatchObject({ state: 'bridged', transcript: [utterance(0)], droppedUtterances: 0 });
    expect(got).not.toHaveProperty('endedAt');
    expect(await after.calls.appendUtterance(id, utterance(1))).toBe(true);
    expect((await after.calls.get(id))!.transcript).toEqual([utterance(0), utterance(1)]);
  });

  it('shares CallSids and claimed keys between instances', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([harness.open({ schema }), harness.open({ schema })]);
    const callSid = 'CA' + 'f'.repeat(32);
    await a.calls.create(newCall({ id: 'on-a', legs: [{ role: 'caller', callSid, language: 'es' }] }));
    await expect(b.calls.create(newCall({ id: 'on-b', legs: [{ role: 'caller', callSid, language: 'es' }] }))).rejects.toMatchObject({ status: 409 });
    const claims = await Promise.all([a, b].map((s) => s.replayKeys.claim('stream-token:shared', Date.now() + 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('fails to open with a clear error when the server cannot be reached', async () => {
    await expect(
      openStore({ logger: silentLogger(), databaseUrl: 'postgres://postgres@127.0.0.1:1/test' }),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      openStore({ logger: silentLogger(), databaseUrl: TEST_DATABASE_URL, schema: 'x"; drop table calls; --' }),
    ).rejects.toThrow(/invalid schema name/);
  });
});
