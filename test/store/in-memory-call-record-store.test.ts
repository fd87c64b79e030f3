import type { NewCallRecord, Utterance } from '../../src/store/call-record';
import { InvalidCursorError } from '../../src/store/call-record-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';

const T0 = Date.parse('2025-01-01T10:00:00Z');

function newCall(over: Partial<NewCallRecord> = {}): NewCallRecord {
  return {
    number: '+15550001111',
    from: '+34600000000',
    destination: '+15550002222',
    languages: { caller: 'es', agent: 'en' },
    state: 'answering',
    startedAt: new Date(T0),
    ...over,
  };
}

const utterance = (i: number): Utterance => ({
  direction: i % 2 ? 'agent->caller' : 'caller->agent',
  source: { text: `dicho ${i}`, languageCode: 'es' },
  translation: { text: `said ${i}`, languageCode: 'en' },
  startMs: i * 1000,
  endMs: i * 1000 + 800,
});

describe('InMemoryCallRecordStore', () => {
  it('creates, updates and returns a call with its transcript in order', async () => {
    const store = new InMemoryCallRecordStore({ newId: () => 'call-1' });
    const created = await store.create(newCall());
    expect(created).toMatchObject({ id: 'call-1', legs: [], state: 'answering' });

    expect(await store.update('call-1', {
      state: 'bridged',
      answeredAt: new Date(T0 + 5000),
      legs: [
        { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es' },
        { role: 'agent', callSid: 'CA2', language: 'en' },
      ],
    })).toBe(true);
    await store.appendUtterance('call-1', utterance(0));
    await store.appendUtterance('call-1', utterance(1));
    await store.update('call-1', { state: 'ended', outcome: 'completed', endedAt: new Date(T0 + 60000) });

    const got = await store.get('call-1');
    expect(got).toEqual({
      ...newCall(),
      id: 'call-1',
      state: 'ended',
      outcome: 'completed',
      answeredAt: new Date(T0 + 5000),
      endedAt: new Date(T0 + 60000),
      legs: [
        { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es' },
        { role: 'agent', callSid: 'CA2', language: 'en' },
      ],
      transcript: [utterance(0), utterance(1)],
      droppedUtterances: 0,
    });
  });

  it('answers false/undefined for unknown calls and rejects a duplicate id', async () => {
    const store = new InMemoryCallRecordStore();
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.update('nope', { state: 'x' })).toBe(false);
    expect(await store.appendUtterance('nope', utterance(0))).toBe(false);
    await store.create(newCall({ id: 'a' }));
    await expect(store.create(newCall({ id: 'a' }))).rejects.toThrow(/already exists/);
  });

  it('generates unique ids and never lets callers mutate stored data', async () => {
    const store = new InMemoryCallRecordStore();
    const input = newCall();
    const a = await store.create(input);
    const b = await store.create(input);
    expect(a.id).not.toBe(b.id);
    input.languages.caller = 'fr';
    a.state = 'hacked';
    const u = utterance(0);
    await store.appendUtterance(a.id, u);
    u.source.text = 'changed';
    const got = (await store.get(a.id))!;
    expect(got.languages.caller).toBe('es');
    expect(got.state).toBe('answering');
    expect(got.transcript[0].source.text).toBe('dicho 0');
    got.transcript.push(utterance(9));
    expect((await store.get(a.id))!.transcript).toHaveLength(1);
    await store.update(a.id, { id: 'other' } as never);
    expect((await store.get(a.id))?.id).toBe(a.id);
  });

  it('keeps only the newest calls, evicting finished calls before ongoing ones', async () => {
    const store = new InMemoryCallRecordStore({ maxCalls: 3 });
    await store.create(newCall({ id: 'ongoing' }));
    await store.create(newCall({ id: 'done-1', endedAt: new Date(T0) }));
    await store.create(newCall({ id: 'done-2', endedAt: new Date(T0) }));
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

  it('bounds a transcript and counts what it dropped', async () => {
    const store = new InMemoryCallRecordStore({ maxUtterancesPerCall: 2 });
    const { id } = await store.create(newCall());
    for (let i = 0; i < 5; i++) expect(await store.appendUtterance(id, utterance(i))).toBe(true);
    const got = (await store.get(id))!;
    expect(got.transcript).toEqual([utterance(0), utterance(1)]);
    expect(got.droppedUtterances).toBe(3);
  });

  it('rejects nonsensical bounds', () => {
    expect(() => new InMemoryCallRecordStore({ maxCalls: 0 })).toThrow(RangeError);
    expect(() => new InMemoryCallRecordStore({ maxUtterancesPerCall: 1.5 })).toThrow(RangeError);
  });

  describe('list', () => {
    async function seeded() {
      const store = new InMemoryCallRecordStore();
      // c0..c9, one minute apart; even ones to +1111 completed, odd ones to +3333 busy
      for (let i = 0; i < 10; i++) {
        await store.create(
          newCall({
            id: `c${i}`,
            number: i % 2 ? '+15550003333' : '+15550001111',
            outcome: i % 2 ? 'busy' : 'completed',
            startedAt: new Date(T0 + i * 60_000),
          }),
        );
      }
      return store;
    }

    it('returns newest first, without transcripts, paginated by cursor', async () => {
      const store = await seeded();
      await store.appendUtterance('c9', utterance(0));
      const p1 = await store.list({ limit: 4 });
      expect(p1.items.map((c) => c.id)).toEqual(['c9', 'c8', 'c7', 'c6']);
      expect(p1.items[0]).not.toHaveProperty('transcript');
      const p2 = await store.list({ limit: 4, cursor: p1.nextCursor });
      expect(p2.items.map((c) => c.id)).toEqual(['c5', 'c4', 'c3', 'c2']);
      const p3 = await store.list({ limit: 4, cursor: p2.nextCursor });
      expect(p3.items.map((c) => c.id)).toEqual(['c1', 'c0']);
      expect(p3.nextCursor).toBeUndefined();
    });

    it('pages stably when calls share a start time', async () => {
      const store = new InMemoryCallRecordStore();
      for (const id of ['b', 'a', 'c']) await store.create(newCall({ id }));
      const p1 = await store.list({ limit: 2 });
      const p2 = await store.list({ limit: 2, cursor: p1.nextCursor });
      expect([...p1.items, ...p2.items].map((c) => c.id)).toEqual(['c', 'b', 'a']);
    });

    it('filters by number, outcome and start time range [from, to)', async () => {
      const store = await seeded();
      const ids = async (q: Parameters<typeof store.list>[0]) => (await store.list(q)).items.map((c) => c.id);
      expect(await ids({ limit: 100, number: '+15550003333' })).toEqual(['c9', 'c7', 'c5', 'c3', 'c1']);
      expect(await ids({ limit: 100, outcome: 'completed', number: '+15550001111' })).toEqual(['c8', 'c6', 'c4', 'c2', 'c0']);
      expect(await ids({ limit: 100, outcome: 'no-answer' })).toEqual([]);
      expect(await ids({ limit: 100, from: new Date(T0 + 3 * 60_000), to: new Date(T0 + 6 * 60_000) })).toEqual(['c5', 'c4', 'c3']);
    });

    it('rejects a forged cursor with a 400-class error', async () => {
      const store = await seeded();
      await expect(store.list({ limit: 2, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
      await expect(store.list({ limit: 2, cursor: Buffer.from('{"a":1}').toString('base64url') })).rejects.toMatchObject({ status: 400 });
    });
  });
});
