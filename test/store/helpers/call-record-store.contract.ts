/**
 * What every CallRecordStore must do, whatever keeps the records. Each implementation's test file
 * calls `describeCallRecordStoreContract` with a factory that opens a fresh, empty store.
 */
import type { NewCallRecord, Utterance } from '../../../src/store/call-record';
import { CallSidTakenError, InvalidCursorError, type CallRecordStore, type CallRecordStoreOptions } from '../../../src/store/call-record-store';

/** Opens an empty store; the contract closes nothing itself, the factory's owner cleans up. */
export type OpenCallRecordStore = (opts?: CallRecordStoreOptions) => Promise<CallRecordStore>;

export const T0 = Date.parse('2025-01-01T10:00:00Z');

export function newCall(over: Partial<NewCallRecord> = {}): NewCallRecord {
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

export const utterance = (i: number): Utterance => ({
  direction: i % 2 ? 'agent->caller' : 'caller->agent',
  source: { text: `dicho ${i}`, languageCode: 'es' },
  translation: { text: `said ${i}`, languageCode: 'en' },
  startMs: i * 1000,
  endMs: i * 1000 + 800,
});

export function describeCallRecordStoreContract(name: string, open: OpenCallRecordStore): void {
  describe(`${name}: CallRecordStore contract`, () => {
    it("keeps why a call's interpretation failed", async () => {
      const store = await open({ newId: () => 'call-1' });
      await store.create(newCall());
      expect((await store.get('call-1'))?.interpretationFailure).toBeUndefined();
      await store.update('call-1', { interpretationFailure: { kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' } });
      expect((await store.get('call-1'))?.interpretationFailure).toEqual({ kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' });
      expect((await store.list({ limit: 5 })).items[0]?.interpretationFailure).toEqual({ kind: 'auth', message: 'Gemini refused the API key: check GEMINI_API_KEY' });
    });

    it('creates, updates and returns a call with its transcript in order', async () => {
      const store = await open({ newId: () => 'call-1' });
      const created = await store.create(newCall());
      expect(created).toMatchObject({ id: 'call-1', legs: [], state: 'answering' });

      expect(
        await store.update('call-1', {
          state: 'bridged',
          answeredAt: new Date(T0 + 5000),
          legs: [
            { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es', languageSource: 'detected' },
            { role: 'agent', callSid: 'CA2', language: 'en' },
          ],
        }),
      ).toBe(true);
      await store.appendUtterance('call-1', utterance(0));
      await store.appendUtterance('call-1', utterance(1));
      await store.update('call-1', { state: 'ended', outcome: 'completed', endedAt: new Date(T0 + 60000) });

      const got = await store.get('call-1');
      expect(got).toStrictEqual({
        ...newCall(),
        id: 'call-1',
        state: 'ended',
        outcome: 'completed',
        answeredAt: new Date(T0 + 5000),
        endedAt: new Date(T0 + 60000),
        legs: [
          { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es', languageSource: 'detected' },
          { role: 'agent', callSid: 'CA2', language: 'en' },
        ],
        transcript: [utterance(0), utterance(1)],
        droppedUtterances: 0,
      });
    });

    it('finds ended calls by when they ended and who called, and erases them with their transcripts and CallSids, never a live one', async () => {
      const store = await open();
      const at = (min: number): Date => new Date(T0 + min * 60_000);
      const end = (min: number) => ({ outcome: 'completed' as const, endReason: 'the caller hung up', endedAt: at(min) });
      await store.create(newCall({ id: 'old', legs: [{ role: 'caller', callSid: 'CA-old', language: 'es' }] }));
      await store.appendUtterance('old', utterance(0));
      await store.close('old', end(10));
      await store.create(newCall({ id: 'older', from: '+33600000000' }));
      await store.close('older', end(5));
      await store.create(newCall({ id: 'recent' }));
      await store.close('recent', end(100));
      await store.create(newCall({ id: 'live', legs: [{ role: 'caller', callSid: 'CA-live', language: 'es' }] }));

      expect(await store.ended({ endedBefore: at(50), limit: 10 })).toEqual(['older', 'old']);
      expect(await store.ended({ endedBefore: at(10), limit: 10 })).toEqual(['older']);
      expect(await store.ended({ endedBefore: at(50), from: '+34600000000', limit: 10 })).toEqual(['old']);
      expect(await store.ended({ endedBefore: at(1000), limit: 1 })).toEqual(['older']);
      // Past the first ones without erasing them (a dry run reads on this way).
      expect(await store.ended({ endedBefore: at(1000), limit: 2, offset: 1 })).toEqual(['old', 'recent']);
      expect(await store.ended({ endedBefore: at(1000), limit: 10, offset: 3 })).toEqual([]);

      expect(await store.erase(['old', 'live', 'nope'])).toBe(1);
      expect(await store.get('old')).toBeUndefined();
      expect(await store.findByCallSid('CA-old')).toBeUndefined();
      expect(await store.appendUtterance('old', utterance(1))).toBe(false);
      expect(await store.get('live')).toMatchObject({ id: 'live' });
      expect(await store.findByCallSid('CA-live')).toMatchObject({ id: 'live' });
      expect(await store.ended({ endedBefore: at(1000), limit: 10 })).toEqual(['older', 'recent']);
      expect((await store.list({ limit: 10 })).items.map((c) => c.id).sort()).toEqual(['live', 'older', 'recent']);
      expect(await store.erase([])).toBe(0);
    });

    it('keeps fractional utterance times and text in any script', async () => {
      const store = await open();
      const { id } = await store.create(newCall({ languages: { caller: 'ja', agent: 'en' } }));
      const u: Utterance = {
        direction: 'caller->agent',
        source: { text: 'こんにちは、"quotes" and \'apostrophes\'; 😀', languageCode: 'ja' },
        translation: { text: 'Hello', languageCode: 'en' },
        startMs: 1234.5,
        endMs: 2000.25,
      };
      await store.appendUtterance(id, u);
      expect((await store.get(id))!.transcript).toStrictEqual([u]);
    });

    it("keeps each utterance's latency and lag where measured, and none where none was", async () => {
      const store = await open();
      const { id } = await store.create(newCall());
      const measured: Utterance = { ...utterance(0), latencyMs: 640.5, lagMs: 1180 };
      const instant: Utterance = { ...utterance(1), latencyMs: 0 };
      await store.appendUtterance(id, measured);
      await store.appendUtterance(id, instant);
      await store.appendUtterance(id, utterance(2));
      expect((await store.get(id))!.transcript).toStrictEqual([measured, instant, utterance(2)]);
    });

    it('keeps who spoke each utterance where it is known, and nothing where it is not', async () => {
      const store = await open();
      const { id } = await store.create(newCall());
      const said: Utterance = { ...utterance(0), speaker: { role: 'participant', callSid: 'CA' + '7'.repeat(32) } };
      await store.appendUtterance(id, said);
      await store.appendUtterance(id, utterance(1));
      expect((await store.get(id))!.transcript).toStrictEqual([said, utterance(1)]);
    });

    it('answers false/undefined for unknown calls and rejects a duplicate id', async () => {
      const store = await open();
      expect(await store.get('nope')).toBeUndefined();
      expect(await store.update('nope', { state: 'x' })).toBe(false);
      expect(await store.appendUtterance('nope', utterance(0))).toBe(false);
      await store.create(newCall({ id: 'a' }));
      await expect(store.create(newCall({ id: 'a', state: 'other' }))).rejects.toThrow(/already exists/);
      expect((await store.get('a'))!.state).toBe('answering');
    });

    it('generates unique ids and never lets callers mutate stored data', async () => {
      const store = await open();
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
      expect(await store.get('other')).toBeUndefined();
    });

    it('bounds a transcript and counts what it dropped', async () => {
      const store = await open({ maxUtterancesPerCall: 2 });
      const { id } = await store.create(newCall());
      for (let i = 0; i < 5; i++) expect(await store.appendUtterance(id, utterance(i))).toBe(true);
      const got = (await store.get(id))!;
      expect(got.transcript).toEqual([utterance(0), utterance(1)]);
      expect(got.droppedUtterances).toBe(3);
    });

    it('keeps every utterance appended concurrently, each once', async () => {
      const store = await open();
      const { id } = await store.create(newCall());
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendUtterance(id, utterance(i))));
      expect(results.every(Boolean)).toBe(true);
      const texts = (await store.get(id))!.transcript.map((u) => u.source.text).sort();
      expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `dicho ${i}`).sort());
    });

    it('never lets a CallSid start a second call, also after the first has ended', async () => {
      const store = await open();
      const caller = { role: 'caller' as const, callSid: 'CA' + 'a'.repeat(32), language: 'es' };
      const first = await store.create(newCall({ id: 'first', legs: [caller] }));
      await store.update(first.id, { state: 'ended', outcome: 'completed', endedAt: new Date(T0 + 60_000) });
      const again = store.create(newCall({ id: 'replayed', legs: [caller] }));
      await expect(again).rejects.toBeInstanceOf(CallSidTakenError);
      await expect(again).rejects.toMatchObject({ callSid: caller.callSid, status: 409 });
      // Nothing of the refused call was kept.
      expect(await store.get('replayed')).toBeUndefined();
      expect((await store.list({ limit: 10 })).items.map((c) => c.id)).toEqual(['first']);
      // A call with other CallSids is fine.
      await store.create(newCall({ id: 'next', legs: [{ ...caller, callSid: 'CA' + 'b'.repeat(32) }] }));
    });

    it('finds the live calls no instance serves, and closes each once', async () => {
      const store = await open();
      const boot = new Date(T0 + 60_000);
      // This instance's previous run, another instance still serving, one that stopped, one ended.
      await store.create(newCall({ id: 'previous-run', instance: 'a', startedAt: new Date(T0) }));
      await store.create(newCall({ id: 'b-live', instance: 'b', startedAt: new Date(T0 + 1000) }));
      await store.create(newCall({ id: 'b-stopped', instance: 'b', startedAt: new Date(T0 + 2000) }));
      await store.create(newCall({ id: 'ended', instance: 'a', startedAt: new Date(T0 + 3000) }));
      await store.update('ended', { state: 'ended', outcome: 'completed', endReason: 'the caller hung up', endedAt: new Date(T0 + 4000) });
      await store.create(newCall({ id: 'this-run', instance: 'a', startedAt: new Date(T0 + 70_000) }));
      await store.touch(['b-live', 'this-run', 'ended'], new Date(T0 + 100_000));
      const query = { instance: 'a', startedBefore: boot, seenBefore: new Date(T0 + 90_000), limit: 10 };
      expect((await store.unserved(query)).map((c) => c.id)).toEqual(['previous-run', 'b-stopped']);
      expect((await store.unserved({ ...query, limit: 1 })).map((c) => c.id)).toEqual(['previous-run']);

      const end = { outcome: 'interrupted' as const, endReason: 'tolk stopped serving the call while it was bridged', endedAt: new Date(T0 + 50_000) };
      expect(await store.close('previous-run', end)).toBe(true);
      expect(await store.get('previous-run')).toMatchObject({ state: 'ended', outcome: 'interrupted', endReason: end.endReason, endedAt: end.endedAt, instance: 'a' });
      // A call already ended keeps its own ending; an unknown one is not created.
      expect(await store.close('previous-run', { ...end, outcome: 'error' })).toBe(false);
      expect(await store.close('ended', end)).toBe(false);
      expect(await store.get('ended')).toMatchObject({ outcome: 'completed', endReason: 'the caller hung up' });
      expect(await store.close('nope', end)).toBe(false);
      expect((await store.unserved(query)).map((c) => c.id)).toEqual(['b-stopped']);
    });

    it("keeps a call's first end: a second end, or a state written after it, changes nothing; two ends at once, one wins", async () => {
      const store = await open();
      const legs = [{ role: 'caller' as const, callSid: 'CA-live-1', language: 'es' }];
      await store.create(newCall({ id: 'c1', state: 'bridged', legs }));
      // While live, updateLive writes like update (a leg's CallSid included).
      expect(await store.updateLive('c1', { state: 'ended', legs: [...legs, { role: 'agent', callSid: 'CA-live-2', language: 'en' }] })).toBe(true);
      expect((await store.findByCallSid('CA-live-2'))?.id).toBe('c1');
      const first = { outcome: 'completed' as const, endReason: 'the caller hung up', endedAt: new Date(T0 + 10_000) };
      expect(await store.close('c1', first)).toBe(true);
      expect(await store.close('c1', { outcome: 'interrupted', endReason: 'tolk stopped serving the call while it was bridged', endedAt: new Date(T0 + 20_000) })).toBe(false);
      expect(await store.updateLive('c1', { state: 'bridged', answeredAt: new Date(T0 + 1000) })).toBe(false);
      expect(await store.updateLive('c1', {})).toBe(false);
      expect(await store.get('c1')).toMatchObject({ state: 'ended', ...first });
      expect(await store.get('c1')).not.toHaveProperty('answeredAt');
      expect(await store.updateLive('nope', { state: 'bridged' })).toBe(false);
      expect(await store.updateLive('nope', {})).toBe(false);

      await store.create(newCall({ id: 'c2', state: 'bridged' }));
      const ends = (['completed', 'interrupted', 'instance_lost', 'media_lost'] as const).map((outcome, i) => ({ outcome, endReason: outcome, endedAt: new Date(T0 + i) }));
      const written = await Promise.all(ends.map((e) => store.close('c2', e)));
      expect(written.filter(Boolean)).toHaveLength(1);
      const winner = ends[written.indexOf(true)];
      expect(await store.get('c2')).toMatchObject({ state: 'ended', ...winner });
    });

    it('keeps a scheduled call and its plan, lists it by state, never takes it as unserved, and moves it from a state once', async () => {
      const store = await open();
      const plan = { at: new Date(T0 + 3_600_000), dueAt: new Date(T0 + 3_600_000), attempts: 0, retries: 2, retryAfterSec: 60, callerLanguage: 'es' };
      await store.create(newCall({ id: 'later', state: 'scheduled', outbound: plan, startedAt: new Date(T0) }));
      await store.create(newCall({ id: 'live', startedAt: new Date(T0 + 1000) }));
      expect((await store.get('later'))?.outbound).toEqual(plan);
      expect((await store.list({ state: 'scheduled', limit: 10 })).items.map((c) => c.id)).toEqual(['later']);
      const query = { instance: 'a', startedBefore: new Date(T0 + 60_000), seenBefore: new Date(T0 + 90_000), limit: 10 };
      expect((await store.unserved(query)).map((c) => c.id)).toEqual(['live']);

      // Two moves from 'scheduled': the first wins, the second finds it gone.
      const started = { state: 'calling', startedAt: new Date(T0 + 3_600_000), outbound: { ...plan, attempts: 1 } };
      const cancelled = { state: 'ended', outcome: 'canceled' as const, endedAt: new Date(T0 + 3_600_000) };
      const [a, b] = await Promise.all([store.transition('later', 'scheduled', started), store.transition('later', 'scheduled', cancelled)]);
      expect([a, b]).toEqual([true, false]);
      expect(await store.get('later')).toMatchObject({ state: 'calling', outbound: { attempts: 1 } });
      expect((await store.get('later'))?.outcome).toBeUndefined();
      expect(await store.transition('nope', 'scheduled', started)).toBe(false);
      expect((await store.list({ state: 'scheduled', limit: 10 })).items).toEqual([]);
      // Now calling, it is a live call like any other.
      expect((await store.unserved({ ...query, seenBefore: new Date(T0 + 4_000_000) })).map((c) => c.id)).toEqual(['live', 'later']);
    });

    it("changes a live call's legs as they are when written: legs written at once are all kept, and an ended call's are left alone", async () => {
      const store = await open();
      await store.create({ ...newCall({ id: 'c1' }), legs: [{ role: 'caller', callSid: 'CA-legs-1', language: 'es' }] });
      const add = (callSid: string) => store.updateLegs('c1', (legs) => [...legs, { role: 'agent', callSid, language: 'en' }]);
      expect(await Promise.all([add('CA-legs-2'), add('CA-legs-3'), add('CA-legs-4')])).toEqual([true, true, true]);
      expect((await store.get('c1'))?.legs.map((l) => l.callSid).sort()).toEqual(['CA-legs-1', 'CA-legs-2', 'CA-legs-3', 'CA-legs-4']);
      expect((await store.findByCallSid('CA-legs-3'))?.id).toBe('c1');
      await store.close('c1', { outcome: 'completed', endReason: 'hung up', endedAt: new Date(T0 + 5000) });
      expect(await add('CA-legs-5')).toBe(false);
      expect(await store.updateLegs('nope', (legs) => legs)).toBe(false);
      expect((await store.get('c1'))?.legs).toHaveLength(4);
    });

    it('finds a call by the CallSid of any of its legs, including legs added later', async () => {
      const store = await open();
      const caller = { role: 'caller' as const, callSid: 'CA' + '1'.repeat(32), language: 'es' };
      const agent = { role: 'agent' as const, callSid: 'CA' + '2'.repeat(32), language: 'en' };
      await store.create(newCall({ id: 'c', legs: [caller] }));
      expect(await store.findByCallSid(agent.callSid)).toBeUndefined();
      await store.update('c', { legs: [caller, agent] });
      expect((await store.findByCallSid(caller.callSid))?.id).toBe('c');
      expect(await store.findByCallSid(agent.callSid)).toMatchObject({ id: 'c', legs: [caller, agent] });
      // A leg's CallSid stays with the call that had it first.
      await store.create(newCall({ id: 'd' }));
      expect(await store.update('d', { legs: [agent] })).toBe(true);
      expect((await store.findByCallSid(agent.callSid))?.id).toBe('c');
      expect(await store.findByCallSid('CA' + '9'.repeat(32))).toBeUndefined();
    });

    describe('list', () => {
      async function seeded() {
        const store = await open();
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
        expect(p1.items[0]).toStrictEqual({
          ...newCall(),
          id: 'c9',
          number: '+15550003333',
          outcome: 'busy',
          startedAt: new Date(T0 + 9 * 60_000),
          legs: [],
        });
        const p2 = await store.list({ limit: 4, cursor: p1.nextCursor });
        expect(p2.items.map((c) => c.id)).toEqual(['c5', 'c4', 'c3', 'c2']);
        const p3 = await store.list({ limit: 4, cursor: p2.nextCursor });
        expect(p3.items.map((c) => c.id)).toEqual(['c1', 'c0']);
        expect(p3.nextCursor).toBeUndefined();
      });

      it('pages stably when calls share a start time', async () => {
        const store = await open();
        for (const id of ['b', 'a', 'c', 'B', 'a-1', 'a_1']) await store.create(newCall({ id }));
        const p1 = await store.list({ limit: 2 });
        const p2 = await store.list({ limit: 2, cursor: p1.nextCursor });
        const p3 = await store.list({ limit: 2, cursor: p2.nextCursor });
        // byte order, the same in every store: uppercase before lowercase, '-' before '_'
        expect([...p1.items, ...p2.items, ...p3.items].map((c) => c.id)).toEqual(['c', 'b', 'a_1', 'a-1', 'a', 'B']);
      });

      it('filters by number, outcome and start time range [from, to)', async () => {
        const store = await seeded();
        const ids = async (q: Parameters<typeof store.list>[0]) => (await store.list(q)).items.map((c) => c.id);
        expect(await ids({ limit: 100, number: '+15550003333' })).toEqual(['c9', 'c7', 'c5', 'c3', 'c1']);
        expect(await ids({ limit: 100, outcome: 'completed', number: '+15550001111' })).toEqual([
          'c8',
          'c6',
          'c4',
          'c2',
          'c0',
        ]);
        expect(await ids({ limit: 100, outcome: 'no-answer' })).toEqual([]);
        expect(await ids({ limit: 100, from: new Date(T0 + 3 * 60_000), to: new Date(T0 + 6 * 60_000) })).toEqual([
          'c5',
          'c4',
          'c3',
        ]);
        const filtered = await store.list({ limit: 2, number: '+15550001111', from: new Date(T0 + 60_000) });
        expect(filtered.items.map((c) => c.id)).toEqual(['c8', 'c6']);
        expect(await ids({ limit: 2, number: '+15550001111', from: new Date(T0 + 60_000), cursor: filtered.nextCursor })).toEqual([
          'c4',
          'c2',
        ]);
      });

      it('finds calls by the beginning of their id, exactly (byte for byte, no wildcards), with the other filters and pages', async () => {
        const store = await open();
        const ids = ['3f2a9c10-1', '3f2a9c10-2', '3f2a9c1', '3f2a9c2', '3F2A9C10-3', '3f2a9c10_4', '3f2a9c1%', '3f2a9c10é', '3f2a9b'];
        for (const [i, id] of ids.entries()) await store.create(newCall({ id, startedAt: new Date(T0 + i * 60_000), outcome: i % 2 ? 'busy' : 'completed' }));
        const found = async (q: Omit<Parameters<typeof store.list>[0], 'limit'>, limit = 100) => (await store.list({ limit, ...q })).items.map((c) => c.id);
        expect(await found({ idPrefix: '3f2a9c10' })).toEqual(['3f2a9c10é', '3f2a9c10_4', '3f2a9c10-2', '3f2a9c10-1']);
        expect(await found({ idPrefix: '3f2a9c1' })).toEqual(['3f2a9c10é', '3f2a9c1%', '3f2a9c10_4', '3f2a9c1', '3f2a9c10-2', '3f2a9c10-1']);
        expect(await found({ idPrefix: '3f2a9c1%' })).toEqual(['3f2a9c1%']);
        expect(await found({ idPrefix: '3f2a9c10_' })).toEqual(['3f2a9c10_4']);
        expect(await found({ idPrefix: '3F2A' })).toEqual(['3F2A9C10-3']);
        expect(await found({ idPrefix: '3f2a9c10-2' })).toEqual(['3f2a9c10-2']);
        expect(await found({ idPrefix: '3f2a9c10-2x' })).toEqual([]);
        expect(await found({ idPrefix: '~' })).toEqual([]);
        expect(await found({ idPrefix: '3f2a9c10', outcome: 'busy' })).toEqual(['3f2a9c10é', '3f2a9c10_4', '3f2a9c10-2']);
        const first = await store.list({ limit: 2, idPrefix: '3f2a9c1' });
        expect(first.items.map((c) => c.id)).toEqual(['3f2a9c10é', '3f2a9c1%']);
        expect(await found({ idPrefix: '3f2a9c1', cursor: first.nextCursor }, 3)).toEqual(['3f2a9c10_4', '3f2a9c1', '3f2a9c10-2']);
        await expect(store.list({ limit: 2, idPrefix: '' })).rejects.toBeInstanceOf(RangeError);
        await expect(store.list({ limit: 2, idPrefix: 'a b' })).rejects.toBeInstanceOf(RangeError);
      });

      it('clamps the page size', async () => {
        const store = await seeded();
        expect((await store.list({ limit: 0 })).items).toHaveLength(1);
        expect((await store.list({ limit: 100_000 })).items).toHaveLength(10);
      });

      it('rejects a forged cursor with a 400-class error', async () => {
        const store = await seeded();
        await expect(store.list({ limit: 2, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.list({ limit: 2, cursor: Buffer.from('{"a":1}').toString('base64url') })).rejects.toMatchObject({
          status: 400,
        });
      });
    });
  });
}
