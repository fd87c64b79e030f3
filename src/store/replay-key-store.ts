/**
 * Single-use keys in the database, each remembered until it expires: a stream token's nonce, a
 * status callback already handled. Every instance sharing the database sees every claim, and a
 * restart forgets none. Expired keys are deleted lazily, at most once a minute, by the claim that
 * notices.
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './database';

/** Remembers keys until they expire (the stream tokens' and webhooks' ReplayStore). */
export interface ReplayKeyStore {
  /** Records `key` until `expiresAtMs`. Resolves true the first time, false while it is remembered. */
  claim(key: string, expiresAtMs: number): Promise<boolean>;
}

/** Longest key kept; longer ones are refused before they reach the database. */
export const MAX_REPLAY_KEY_LENGTH = 512;

export class SqlReplayKeyStore implements ReplayKeyStore {
  private lastSweep = 0;

  constructor(
    private readonly db: Kysely<StoreDatabase>,
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 60_000,
  ) {}

  async claim(key: string, expiresAtMs: number): Promise<boolean> {
    if (key.length > MAX_REPLAY_KEY_LENGTH) throw new RangeError(`replay key longer than ${MAX_REPLAY_KEY_LENGTH} characters`);
    const now = this.now();
    if (now - this.lastSweep >= this.sweepEveryMs) {
      this.lastSweep = now;
      await this.db.deleteFrom('replay_keys').where('expires_at', '<=', now).execute();
    }
    // A new key is inserted; an expired one is taken over; a remembered one changes nothing.
    const res = await this.db
      .insertInto('replay_keys')
      .values({ key, expires_at: expiresAtMs })
      .onConflict((oc) => oc.column('key').doUpdateSet({ expires_at: expiresAtMs }).where('replay_keys.expires_at', '<=', now))
      .executeTakeFirst();
    return (res.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }
}
