import type { Redis } from 'ioredis'
import type { ThrottleRule, ThrottleStore } from '../core/throttle.js'

/**
 * One attempt, atomically (KEYS: count, lock, level; ARGV: limit, windowMs, lockoutMs,
 * maxLockoutMs, memoryMs). The same steps as MemoryThrottleStore.attempt, run inside Redis so
 * that attempts arriving at many instances at once add up exactly. Times are Redis's own TTLs:
 * one clock for every instance.
 */
const ATTEMPT = `
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return locked end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count <= tonumber(ARGV[1]) then return 0 end
local level = redis.call('INCR', KEYS[3])
local ms = math.floor(math.min(tonumber(ARGV[3]) * 2 ^ (level - 1), tonumber(ARGV[4])))
redis.call('PEXPIRE', KEYS[3], ms + tonumber(ARGV[5]))
redis.call('SET', KEYS[2], '1', 'PX', ms)
redis.call('DEL', KEYS[1])
return ms
`

/** Takes back one counted attempt, never below zero, keeping the window's expiry. */
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]))
if count ~= nil and count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`

interface ThrottleCommands {
  tesseraThrottleAttempt(count: string, lock: string, level: string, ...rule: number[]): Promise<number>
  tesseraThrottleRefund(count: string): Promise<number>
}

export const DEFAULT_THROTTLE_PREFIX = 'tessera:throttle:'

/**
 * Limits shared by every instance that uses the same Redis. Each key becomes three Redis keys
 * (count, lock, lock history) under `prefix`; the `{…}` hash tag keeps the three in one slot, so
 * the scripts also run on Redis Cluster. Keys arrive hashed (throttleKey): no username or
 * address is stored in clear. Errors and timeouts propagate; failOpen decides what they mean.
 */
export class RedisThrottleStore implements ThrottleStore {
  private readonly commands: ThrottleCommands

  constructor(private readonly redis: Redis, private readonly prefix = DEFAULT_THROTTLE_PREFIX) {
    // EVALSHA with a fallback to EVAL: the script body crosses the wire once per connection.
    redis.defineCommand('tesseraThrottleAttempt', { numberOfKeys: 3, lua: ATTEMPT })
    redis.defineCommand('tesseraThrottleRefund', { numberOfKeys: 1, lua: REFUND })
    this.commands = redis as unknown as ThrottleCommands
  }

  async attempt(key: string, rule: ThrottleRule): Promise<number> {
    const { count, lock, level } = this.keys(key)
    return Number(await this.commands.tesseraThrottleAttempt(
      count, lock, level, rule.limit, rule.windowMs, rule.lockoutMs, rule.maxLockoutMs, rule.memoryMs,
    ))
  }

  async refund(key: string): Promise<void> {
    await this.commands.tesseraThrottleRefund(this.keys(key).count)
  }

  async reset(key: string): Promise<void> {
    const { count, lock, level } = this.keys(key)
    await this.redis.del(count, lock, level)
  }

  private keys(key: string) {
    const base = `${this.prefix}{${key}}`
    return { count: `${base}:n`, lock: `${base}:lock`, level: `${base}:level` }
  }
}
