/**
 * Which run of a dial job places its leg. Twilio's Calls API takes no idempotency key, and BullMQ
 * runs a job again when its worker stopped renewing the job's lock (it died, or its event loop
 * stalled): without a record of what an earlier run did, the leg would be placed twice (two phones
 * ring). Each run claims the job's entry before placing, keeps the claim alive while the network
 * is asked, and writes the leg's reference there once placed:
 *
 * - a run finding the leg placed answers with it and places nothing;
 * - a run finding another placing it now (its claim renewed within STALE_MS) waits for that one;
 * - a run finding a claim gone stale (its run stopped while asking the network, which may or may
 *   not have placed the leg) takes the claim over and places the leg: a dial is not lost;
 * - a run whose claim was taken over meanwhile (it stalled) hangs up what it placed (dial-once.ts).
 *
 * Entries live in Redis (REDIS_URL), one key per job id, until a while after the leg's time to be
 * placed has passed. Without Redis, jobs run in-process and never run twice at once.
 */
import type { Redis } from 'ioredis';
import { DeadlinePassedError } from '../call/deadline';

/** What a run may do about a job's leg. */
export type DialClaim = { kind: 'claimed' } | { kind: 'placed'; legRef: string } | { kind: 'busy' };

/** What came of writing the leg a run placed. */
export type PlacedOutcome = { kind: 'kept' } | { kind: 'taken-over'; legRef?: string };

/**
 * The ledger's answers. One that does not come in time (the connection's own command deadline
 * passing) rejects with a DeadlinePassedError: the command may still land; any other failure is Redis
 * failing.
 */
export interface DialLedger {
  /** Claims job `jobId`'s placement for run `run`, its entry kept for `ttlMs`. */
  claim(jobId: string, run: string, ttlMs: number): Promise<DialClaim>;
  /** Keeps the claim of `run` alive while it places the leg. */
  renew(jobId: string, run: string): Promise<void>;
  /** The leg `run` placed; 'taken-over' (with the leg another run placed, if any) when `run` no longer holds the claim. */
  placed(jobId: string, run: string, legRef: string, ttlMs: number): Promise<PlacedOutcome>;
  /** `run` placed nothing (the network refused it): a later attempt may place the leg. */
  release(jobId: string, run: string): Promise<void>;
}

/** A claim not renewed for this long is the claim of a run that stopped. */
export const STALE_MS = 5000;
/** How often a run placing a leg renews its claim. */
export const RENEW_MS = 1000;

/** How ioredis fails a command its connection's deadline (commandTimeout) passed for. */
const COMMAND_TIMED_OUT = 'Command timed out';

/** KEYS[1] entry; ARGV run, ttl ms, stale ms. Replies {kind, legRef}. */
const CLAIM = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local v = redis.call('GET', KEYS[1])
if v then
  local e = cjson.decode(v)
  if e.leg then return {'placed', e.leg} end
  if e.run ~= ARGV[1] and now - e.at < tonumber(ARGV[3]) then return {'busy', ''} end
end
redis.call('SET', KEYS[1], cjson.encode({run = ARGV[1], at = now}), 'PX', ARGV[2])
return {'claimed', ''}`;

/** KEYS[1] entry; ARGV run. */
const RENEW = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local e = cjson.decode(v)
if e.run ~= ARGV[1] or e.leg then return 0 end
local t = redis.call('TIME')
e.at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], cjson.encode(e), 'KEEPTTL')
return 1`;

/** KEYS[1] entry; ARGV run, leg, ttl ms. Replies {kind, legRef}. */
const PLACED = `
local v = redis.call('GET', KEYS[1])
if v then
  local e = cjson.decode(v)
  if e.run ~= ARGV[1] then return {'taken-over', e.leg or ''} end
end
redis.call('SET', KEYS[1], cjson.encode({run = ARGV[1], leg = ARGV[2]}), 'PX', ARGV[3])
return {'kept', ''}`;

/** KEYS[1] entry; ARGV run. */
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local e = cjson.decode(v)
if e.run ~= ARGV[1] or e.leg then return 0 end
return redis.call('DEL', KEYS[1])`;

/** The ledger in Redis, under `keyPrefix` (e.g. `tolk:cluster:dials:`). */
export class RedisDialLedger implements DialLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async claim(jobId: string, run: string, ttlMs: number): Promise<DialClaim> {
    const [kind, legRef] = (await this.ask(this.redis.eval(CLAIM, 1, this.key(jobId), run, String(ttl(ttlMs)), String(STALE_MS)))) as [string, string];
    if (kind === 'placed') return { kind, legRef };
    return kind === 'busy' ? { kind } : { kind: 'claimed' };
  }

  async renew(jobId: string, run: string): Promise<void> {
    await this.ask(this.redis.eval(RENEW, 1, this.key(jobId), run));
  }

  async placed(jobId: string, run: string, legRef: string, ttlMs: number): Promise<PlacedOutcome> {
    const [kind, other] = (await this.ask(this.redis.eval(PLACED, 1, this.key(jobId), run, legRef, String(ttl(ttlMs))))) as [string, string];
    if (kind === 'kept') return { kind };
    return { kind: 'taken-over', ...(other ? { legRef: other } : {}) };
  }

  async release(jobId: string, run: string): Promise<void> {
    await this.ask(this.redis.eval(RELEASE, 1, this.key(jobId), run));
  }

  /** `command`'s reply; a DeadlinePassedError when the connection gave up waiting for it (see DialLedger). */
  private async ask<T>(command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch (err) {
      if (err instanceof Error && err.message === COMMAND_TIMED_OUT) throw new DeadlinePassedError(this.redis.options.commandTimeout ?? 0);
      throw err;
    }
  }

  private key(jobId: string): string {
    return `${this.keyPrefix}${jobId}`;
  }
}

/** A whole number of ms, at least one. */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
