import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openStore } from '../../src/store/open-store';
import { describeCallRecordStoreContract, newCall, utterance } from './helpers/call-record-store.contract';
import { describeNumberStoreContract } from './helpers/number-store.contract';
import { describeDeliveryStoreContract } from './helpers/delivery-store.contract';
import { describeReplayKeyStoreContract } from './helpers/replay-key-store.contract';
import { silentLogger } from './helpers/silent-logger';
import { storeHarness } from './helpers/store-harness';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-store-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Each store opened by the contracts gets a file of its own in this file's temporary folder. */
const harness = storeHarness(() => ({ sqlitePath: path.join(dir, `contract-${n++}.db`) }));

describeCallRecordStoreContract('SQLite', async (opts) => (await harness.open({ calls: opts })).calls);
describeNumberStoreContract(
  'SQLite',
  () => harness.open(),
  async () => {
    const sqlitePath = path.join(dir, `contract-${n++}.db`);
    return [await harness.open({ sqlitePath }), await harness.open({ sqlitePath })];
  },
);
describeReplayKeyStoreContract('SQLite', async (now) => (await harness.open({ now })).replayKeys);
describeDeliveryStoreContract('SQLite', async (now) => (await harness.open({ now })).deliveries);

describe('SQLite store', () => {
  it('creates the database file and its folder when missing, and migrates once', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'tolk.db');
    const first = await harness.open({ sqlitePath: file });
    expect(first.dialect).toBe('sqlite');
    expect(fs.existsSync(file)).toBe(true);
    await first.numbers.upsert({ number: '+15550001111', destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' });
    await first.close();
    const again = await harness.open({ sqlitePath: file });
    expect((await again.numbers.list()).map((s) => s.number)).toEqual(['+15550001111']);
  });

  it('keeps a transcript line appended before tolk stopped mid-call', async () => {
    const file = path.join(dir, 'crash.db');
    const before = await openStore({ logger: silentLogger(), sqlitePath: file });
    const { id } = await before.calls.create(newCall({ state: 'bridged' }));
    await before.calls.appendUtterance(id, utterance(0));
    await before.close(); // the call is never finished

    const after = await harness.open({ sqlitePath: file });
    const got = await after.calls.get(id);
    expect(got).toMatchObject({ state: 'bridged', transcript: [utterance(0)], droppedUtterances: 0 });
    expect(got).not.toHaveProperty('endedAt');
    // the call goes on being written after the restart
    expect(await after.calls.appendUtterance(id, utterance(1))).toBe(true);
    expect((await after.calls.get(id))!.transcript).toEqual([utterance(0), utterance(1)]);
  });

  it('remembers CallSids and claimed keys across a restart', async () => {
    const file = path.join(dir, 'replay.db');
    const callSid = 'CA' + 'e'.repeat(32);
    const before = await openStore({ logger: silentLogger(), sqlitePath: file });
    await before.calls.create(newCall({ id: 'old', legs: [{ role: 'caller', callSid, language: 'es' }] }));
    expect(await before.replayKeys.claim('stream-token:nonce', Date.now() + 60_000)).toBe(true);
    await before.close();

    const after = await harness.open({ sqlitePath: file });
    await expect(after.calls.create(newCall({ id: 'new', legs: [{ role: 'caller', callSid, language: 'es' }] }))).rejects.toMatchObject({ status: 409 });
    expect((await after.calls.findByCallSid(callSid))?.id).toBe('old');
    expect(await after.replayKeys.claim('stream-token:nonce', Date.now() + 60_000)).toBe(false);
  });

  it('prepares each SQL text once while transcript lines are appended', async () => {
    const store = await harness.open();
    const { id } = await store.calls.create(newCall({ state: 'bridged' }));
    const prepare = jest.spyOn(SQLite.prototype, 'prepare');
    try {
      expect(await store.calls.appendUtterance(id, utterance(0))).toBe(true);
      const first = prepare.mock.calls.length;
      expect(first).toBeGreaterThan(0); // at least the counter update and the insert
      for (let i = 1; i < 20; i++) expect(await store.calls.appendUtterance(id, utterance(i))).toBe(true);
      expect(prepare).toHaveBeenCalledTimes(first);
    } finally {
      prepare.mockRestore();
    }
    expect((await store.calls.get(id))!.transcript).toEqual(Array.from({ length: 20 }, (_, i) => utterance(i)));
  });

  it('refuses a file that is not a database, saying so', async () => {
    const file = path.join(dir, 'not-a-db.db');
    fs.writeFileSync(file, 'this is text, not SQLite'.repeat(100));
    await expect(openStore({ logger: silentLogger(), sqlitePath: file })).rejects.toThrow(/not a database/);
  });
});
