import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { InMemoryReplayStore } from '../../src/twilio/stream-token';
import { describeCallRecordStoreContract, newCall } from './helpers/call-record-store.contract';
import { describeReplayKeyStoreContract } from './helpers/replay-key-store.contract';

describeCallRecordStoreContract('InMemoryCallRecordStore', (opts) => Promise.resolve(new InMemoryCallRecordStore(opts)));
describeReplayKeyStoreContract('InMemoryReplayStore', (now) => Promise.resolve(new InMemoryReplayStore(now)));

describe('InMemoryCallRecordStore', () => {
  it('keeps only the newest calls, evicting finished calls before ongoing ones', async () => {
    const store = new InMemoryCallRecordStore({ maxCalls: 3 });
    await store.create(newCall({ id: 'ongoing' }));
    await store.create(newCall({ id: 'done-1', endedAt: new Date() }));
    await store.create(newCall({ id: 'done-2', endedAt: new Date() }));
    await store.create(newCall({ id: 'new-1' }));
    expect(store.size).toBe(3);
    expect(await store.get('done-1')).toBeUndefined();
    expect(await store.get('ongoing')).toBeDefined();
    await store.create(newCall({ id: 'new-2' }));
    await store.create(newCall({ id: 'new-3' }));
    expect(store.size).toBe(3);
    expect(await store.get('ongoing')).toBeUndefined();
    expect((await store.list({ limit: 10 })).items.map((c) => c.id).sort()).toEqual(['new-1', 'new-2', 'new-3']);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => new InMemoryCallRecordStore({ maxCalls: 0 })).toThrow(RangeError);
    expect(() => new InMemoryCallRecordStore({ maxUtterancesPerCall: 1.5 })).toThrow(RangeError);
  });
});
