/**
 * What every store of single-use keys must do (stream token nonces, handled webhooks), in memory
 * or in a database. `open` gets the store's clock, so expiry is tested without waiting.
 */
import type { ReplayKeyStore } from '../../../src/store/replay-key-store';

export type OpenReplayKeyStore = (now: () => number) => Promise<ReplayKeyStore>;

export function describeReplayKeyStoreContract(name: string, open: OpenReplayKeyStore): void {
  describe(`${name}: replay key contract`, () => {
    it('lets a key be claimed once until it expires, then again', async () => {
      let now = 1_000_000;
      const store = await open(() => now);
      expect(await store.claim('k', now + 5_000)).toBe(true);
      expect(await store.claim('k', now + 5_000)).toBe(false);
      expect(await store.claim('other', now + 5_000)).toBe(true);
      now += 4_999;
      expect(await store.claim('k', now + 5_000)).toBe(false);
      now += 1;
      expect(await store.claim('k', now + 5_000)).toBe(true);
      expect(await store.claim('k', now + 5_000)).toBe(false);
    });

    it('gives exactly one of many concurrent claims of a key', async () => {
      const now = 2_000_000;
      const store = await open(() => now);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.claim('race', now + 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
