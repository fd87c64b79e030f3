/**
 * Handing a call from one instance to another in the directory, compare-and-set: the move happens
 * only while the call's entry names the instance giving it up (or already the one taking it, a
 * retried hand-over), so two instances never both own a call. The rule is `handOverDecision`; the
 * Lua script applies the same rule atomically in Redis, the call's entry first, then its legs' and
 * conferences' entries (each moved where it is unset or names either instance: another instance
 * that claimed a conference name since keeps it).
 */

export type HandOverDecision = { ok: true } | { ok: false; holder: string | null };

/** Whether the call's entry, naming `current`, may pass from `from` to `to`. */
export function handOverDecision(current: string | null, from: string, to: string): HandOverDecision {
  return current === from || current === to ? { ok: true } : { ok: false, holder: current };
}

/**
 * KEYS[1]: the call's entry; KEYS[2..]: its legs' and conferences'. ARGV: from, to, TTL (s).
 * Returns '' when moved, else the holder of the call's entry ('-' when none).
 */
export const HAND_OVER_SCRIPT = `
local current = redis.call('get', KEYS[1])
if current ~= ARGV[1] and current ~= ARGV[2] then
  if current then return current else return '-' end
end
for i = 1, #KEYS do
  local v = redis.call('get', KEYS[i])
  if i == 1 or not v or v == ARGV[1] or v == ARGV[2] then redis.call('set', KEYS[i], ARGV[2], 'EX', ARGV[3]) end
end
return ''
`;
