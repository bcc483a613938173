// Lua scripts for the store operations Redis has no single command for.
// Each touches exactly one key (KEYS[1]) so it runs on one Cluster slot, and
// each runs atomically on the server: that is what makes "a TOTP step is
// accepted once" and "a queued webhook is claimed by one instance" hold with
// several gateway processes on one Redis.
//
// Numbers that end up stored (scores, values) are passed in as strings built
// in JavaScript: Lua's own number-to-string conversion keeps only 14 digits,
// which would round millisecond timestamps.

/** KEYS[1] counter; ARGV[1] ttl ms (<= 0: none). Expires a counter that has no expiry yet. */
const incrWithTtl = `
local n = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return n`;

/** KEYS[1] number; ARGV[1] candidate; ARGV[2] ttl ms (<= 0: none). 1 when stored. */
const raiseTo = `
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(current)
  if stored == nil or stored >= tonumber(ARGV[1]) then return 0 end
end
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1`;

/** KEYS[1] sorted set; ARGV[1] now; ARGV[2] lease end; ARGV[3] limit. Returns the claimed members. */
const claimDue = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], member)
end
return due`;

/** Registered on the ioredis client under these names (EVALSHA, falling back to EVAL after a restart). */
export const STORE_SCRIPTS = {
  otpgateIncrWithTtl: { numberOfKeys: 1, lua: incrWithTtl },
  otpgateRaiseTo: { numberOfKeys: 1, lua: raiseTo },
  otpgateClaimDue: { numberOfKeys: 1, lua: claimDue },
} as const;

/** The commands STORE_SCRIPTS adds to a client. */
export interface StoreScriptCommands {
  otpgateIncrWithTtl(key: string, ttlMs: string): Promise<number>;
  otpgateRaiseTo(key: string, value: string, ttlMs: string): Promise<number>;
  otpgateClaimDue(key: string, now: string, leaseEnd: string, limit: string): Promise<string[]>;
}
