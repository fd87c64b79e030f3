/**
 * What the webhook delivery store must do, on SQLite and PostgreSQL: one delivery per call and
 * event, kept with its state, attempts and last answer, listed newest first, due ones oldest first.
 */
import type { DeliveryStore } from '../../../src/store/delivery-store';

export type OpenDeliveryStore = (now: () => number) => Promise<DeliveryStore>;

export function describeDeliveryStoreContract(name: string, open: OpenDeliveryStore): void {
  describe(`${name}: webhook delivery contract`, () => {
    it('records one delivery per call and event, and keeps what each attempt changed', async () => {
      let now = 1_700_000_000_000;
      const store = await open(() => now);
      const d = await store.create({ callId: 'call-1', event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{"a":1}', retryUntil: new Date(now + 86_400_000) });
      expect(d).toMatchObject({ callId: 'call-1', status: 'pending', attempts: 0, payload: '{"a":1}' });
      expect(await store.create({ callId: 'call-1', event: 'call.ended', url: 'https://other.example.com', payload: '{}', retryUntil: new Date(now) })).toBeUndefined();
      now += 1000;
      expect(await store.update(d!.id, { attempts: 1, lastStatus: 503, lastError: 'answered HTTP 503', nextAttemptAt: new Date(now + 30_000) })).toBe(true);
      const got = await store.get(d!.id);
      expect(got).toMatchObject({ id: d!.id, status: 'pending', attempts: 1, lastStatus: 503, lastError: 'answered HTTP 503', url: 'https://crm.example.com/hook' });
      expect(got!.nextAttemptAt.getTime()).toBe(now + 30_000);
      expect(got!.retryUntil.getTime()).toBe(now - 1000 + 86_400_000);
      await store.update(d!.id, { status: 'delivered', attempts: 2, lastStatus: 200, lastError: undefined, deliveredAt: new Date(now) });
      expect(await store.get(d!.id)).toMatchObject({ status: 'delivered', lastStatus: 200, deliveredAt: new Date(now) });
      expect((await store.get(d!.id))!.lastError).toBeUndefined();
      expect(await store.get('nope')).toBeUndefined();
    });

    it("erases every delivery of the calls named, and only theirs", async () => {
      const now = 1_700_000_000_000;
      const store = await open(() => now);
      for (const callId of ['a', 'b', 'c']) {
        for (const event of ['call.ended', 'call.other']) await store.create({ callId, event, url: 'https://crm.example.com/hook', payload: '{}', retryUntil: new Date(now + 1000) });
      }
      const byCall = new Map((await store.list({ limit: 10 })).map((d) => [d.id, d.callId]));
      // Counting what would go erases nothing.
      expect(await store.countForCalls(['a', 'c', 'nope'])).toBe(4);
      expect(await store.countForCalls([])).toBe(0);
      expect(await store.list({ limit: 10 })).toHaveLength(6);
      const erased = await store.eraseForCalls(['a', 'c', 'nope']);
      expect(erased.map((id) => byCall.get(id)).sort()).toEqual(['a', 'a', 'c', 'c']);
      expect((await store.list({ limit: 10 })).map((d) => d.callId)).toEqual(['b', 'b']);
      expect(await store.eraseForCalls([])).toEqual([]);
      // No call of theirs is kept in this store's database: the ones created before the time go.
      expect(await store.eraseOrphans(new Date(now))).toEqual([]);
      expect(await store.eraseOrphans(new Date(now + 1))).toHaveLength(2);
    });

    it('lists newest first by status and call, and finds the due pending ones oldest first', async () => {
      let now = 1_700_000_000_000;
      const store = await open(() => now);
      const ids: string[] = [];
      for (const callId of ['a', 'b', 'c']) {
        ids.push((await store.create({ callId, event: 'call.ended', url: 'https://crm.example.com/hook', payload: '{}', retryUntil: new Date(now + 1000) }))!.id);
        now += 10;
      }
      await store.update(ids[1], { status: 'failed' });
      await store.update(ids[0], { nextAttemptAt: new Date(now + 60_000) });
      expect((await store.list({ limit: 10 })).map((d) => d.callId)).toEqual(['c', 'b', 'a']);
      expect((await store.list({ status: 'failed', limit: 10 })).map((d) => d.callId)).toEqual(['b']);
      expect((await store.list({ callId: 'a', limit: 10 })).map((d) => d.callId)).toEqual(['a']);
      expect((await store.list({ limit: 1 })).map((d) => d.callId)).toEqual(['c']);
      expect((await store.due(new Date(now), 10)).map((d) => d.callId)).toEqual(['c']);
      expect((await store.due(new Date(now + 60_000), 10)).map((d) => d.callId)).toEqual(['c', 'a']);
    });
  });
}
