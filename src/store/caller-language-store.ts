/**
 * The language each caller last spoke on each tolk number, so a returning caller is served in it
 * from the first word. Keyed by the tolk number and the caller's number as Twilio reports it.
 */
import type { Kysely } from 'kysely';
import type { StoreDatabase } from './database';

export interface CallerLanguageStore {
  /** The language remembered for this caller on this number, if any (and, given `rememberedSince`, remembered since then). */
  recall(number: string, caller: string, rememberedSince?: Date): Promise<string | undefined>;
  /** Remembers (or replaces) the caller's language on this number. */
  remember(number: string, caller: string, language: string): Promise<void>;
  /** Forgets one caller on this number, or every caller of the number; resolves how many were forgotten. */
  forget(number: string, caller?: string): Promise<number>;
  /** Forgets this caller on every number; resolves how many were forgotten. */
  forgetCaller(caller: string): Promise<number>;
  /** Forgets every caller last remembered before `before`; resolves how many were forgotten. */
  forgetBefore(before: Date): Promise<number>;
  /** How many languages forgetCaller would forget, forgetting nothing. */
  countCaller(caller: string): Promise<number>;
}

export class SqlCallerLanguageStore implements CallerLanguageStore {
  constructor(
    private readonly db: Kysely<StoreDatabase>,
    private readonly now: () => number = Date.now,
  ) {}

  async recall(number: string, caller: string, rememberedSince?: Date): Promise<string | undefined> {
    let q = this.db.selectFrom('caller_languages').select('language').where('number', '=', number).where('caller', '=', caller);
    if (rememberedSince) q = q.where('updated_at', '>=', rememberedSince.getTime());
    const row = await q.executeTakeFirst();
    return row?.language;
  }

  async remember(number: string, caller: string, language: string): Promise<void> {
    const updated_at = this.now();
    await this.db
      .insertInto('caller_languages')
      .values({ number, caller, language, updated_at })
      .onConflict((oc) => oc.columns(['number', 'caller']).doUpdateSet({ language, updated_at }))
      .execute();
  }

  async forget(number: string, caller?: string): Promise<number> {
    let q = this.db.deleteFrom('caller_languages').where('number', '=', number);
    if (caller !== undefined) q = q.where('caller', '=', caller);
    const res = await q.executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async forgetCaller(caller: string): Promise<number> {
    const res = await this.db.deleteFrom('caller_languages').where('caller', '=', caller).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async countCaller(caller: string): Promise<number> {
    const row = await this.db.selectFrom('caller_languages').select((eb) => eb.fn.countAll<number | string>().as('n')).where('caller', '=', caller).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async forgetBefore(before: Date): Promise<number> {
    const res = await this.db.deleteFrom('caller_languages').where('updated_at', '<', before.getTime()).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
