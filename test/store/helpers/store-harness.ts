/**
 * Opens stores for a test file and closes every one of them after each test, so a failing test
 * leaks no connection.
 */
import { openStore, type OpenStoreOptions, type Store } from '../../../src/store/open-store';
import { silentLogger } from './silent-logger';

export interface StoreHarness {
  open(opts?: Partial<OpenStoreOptions>): Promise<Store>;
}

export function storeHarness(base: () => Omit<OpenStoreOptions, 'logger'>): StoreHarness {
  const open: Store[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return {
    async open(opts = {}) {
      const store = await openStore({ logger: silentLogger(), ...base(), ...opts });
      open.push(store);
      return store;
    },
  };
}
