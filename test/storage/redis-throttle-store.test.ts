import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import { systemClock } from '../../src/core/clock.js'
import { createLoginLimiter, throttledLogin } from '../../src/core/login-limiter.js'
import { InvalidCredentials, TooManyLoginFailures } from '../../src/core/errors.js'
import { failOpen, throttleKey, type ThrottleRule } from '../../src/core/throttle.js'
import { createRedisClient } from '../../src/storage/redis.js'
import { RedisThrottleStore } from '../../src/storage/redis-throttle-store.js'
import { closedPort, deleteKeys, openTestRedis, silentServer, uniquePrefix } from '../support/redis.js'
import { describeThrottleStoreContract } from './throttle-contract.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

describeThrottleStoreContract('redis', async () => {
  const prefix = uniquePrefix('contract')
  const [a, b] = [await openTestRedis(), await openTestRedis()]
  return {
    stores: [new RedisThrottleStore(a, prefix), new RedisThrottleStore(b, prefix)],
    unit: 100,
    slack: 50,
    wait: (ms) => sleep(ms + 30),                                  // Redis expires keys on its own clock
    async cleanup() {
      await deleteKeys(a, prefix)
      a.disconnect()
      b.disconnect()
    },
  }
})

describe('RedisThrottleStore', () => {
  const prefix = uniquePrefix('redis-store')
  const rule: ThrottleRule = { limit: 2, windowMs: 60_000, lockoutMs: 60_000, maxLockoutMs: 600_000, memoryMs: 600_000 }
  let redis: Redis

  beforeAll(async () => { redis = await openTestRedis() })
  afterAll(async () => {
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })

  it('keeps everything under its prefix, hashed, with an expiry on every key', async () => {
    const store = new RedisThrottleStore(redis, prefix)
    const key = throttleKey('login', 'johndoe', '203.0.113.7')
    for (let i = 0; i < 3; i++) await store.attempt(key, rule)
    await store.attempt(throttleKey('login', 'alice', '203.0.113.7'), rule)
    const keys = (await redis.keys(`${prefix}*`)).sort()
    expect(keys).toEqual([
      `${prefix}{${key}}:level`, `${prefix}{${key}}:lock`, `${prefix}{${throttleKey('login', 'alice', '203.0.113.7')}}:n`,
    ].sort())
    expect(keys.join(' ')).not.toMatch(/johndoe|alice|203\.0\.113/)
    for (const k of keys) expect(await redis.pttl(k)).toBeGreaterThan(0)
  })

  it('adds up failures from two instances (two limiters, two connections) to one limit', async () => {
    const other = await openTestRedis()
    try {
      const policy = { maxFailures: 5, ipMaxFailures: 100, windowSeconds: 900 }
      const instances = [createLoginLimiter(policy, new RedisThrottleStore(redis, prefix)), createLoginLimiter(policy, new RedisThrottleStore(other, prefix))]
      const attempt = { username: 'johndoe', ip: '198.51.100.23' }
      const answers: string[] = []
      for (let i = 0; i < 7; i++) {
        const limiter = instances[i % 2]!
        answers.push(await throttledLogin(limiter, attempt, async () => { throw new InvalidCredentials() }).catch((err: unknown) =>
          err instanceof TooManyLoginFailures ? `429 ${err.retryAfterSeconds}` : err instanceof InvalidCredentials ? '401' : Promise.reject(err)))
      }
      expect(answers).toEqual(['401', '401', '401', '401', '401', '429 900', '429 900'])
    } finally {
      other.disconnect()
    }
  })
})

describe('Redis down: the limits fail open, quickly', () => {
  const rule: ThrottleRule = { limit: 1, windowMs: 60_000, lockoutMs: 60_000, maxLockoutMs: 60_000, memoryMs: 0 }

  async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now()
    const result = await work()
    return { result, ms: performance.now() - started }
  }

  it('a refused connection fails each command at once, and failOpen allows the attempts', async () => {
    const redis = createRedisClient(`redis://127.0.0.1:${await closedPort()}`)
    try {
      const raw = new RedisThrottleStore(redis, uniquePrefix('down'))
      const failed = await timed(() => raw.attempt('k', rule).then(() => 'answered', () => 'failed'))
      expect(failed.result).toBe('failed')
      expect(failed.ms).toBeLessThan(250)
      const outages: string[] = []
      const store = failOpen(raw, { clock: systemClock, onUnavailable: () => outages.push('down'), onRecovered: () => outages.push('up') })
      const { result, ms } = await timed(async () => Promise.all(Array.from({ length: 20 }, () => store.attempt('k', rule))))
      expect(result).toEqual(Array(20).fill(0))
      expect(ms).toBeLessThan(250)
      expect(outages).toEqual(['down'])
    } finally {
      redis.disconnect()
    }
  })

  it('a server that never answers is given up on within the command timeout', async () => {
    const silent = await silentServer()
    const redis = createRedisClient(silent.url)
    try {
      await sleep(50)                                                // connected at the TCP level, never ready
      const store = failOpen(new RedisThrottleStore(redis, uniquePrefix('silent')), {
        clock: systemClock, onUnavailable: () => undefined, onRecovered: () => undefined,
      })
      const { result, ms } = await timed(() => store.attempt('k', rule))
      expect(result).toBe(0)
      expect(ms).toBeLessThan(400)
    } finally {
      redis.disconnect()
      await silent.close()
    }
  })

  it('comes back by itself when Redis does', async () => {
    // A proxy stands in for Redis going away and returning on the same address.
    const { createServer, connect } = await import('node:net')
    const target = new URL((await import('../support/redis.js')).REDIS_URL)
    const sockets = new Set<import('node:net').Socket>()
    const proxy = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname)
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined) }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const port = (proxy.address() as { port: number }).port
    const prefix = uniquePrefix('recover')
    const redis = createRedisClient(`redis://127.0.0.1:${port}`)
    const direct = await openTestRedis()
    try {
      const store = new RedisThrottleStore(redis, prefix)
      await sleep(100)
      expect(await store.attempt('k', rule)).toBe(0)
      await new Promise<void>((resolve) => { proxy.close(() => resolve()); for (const s of sockets) s.destroy() })
      await expect(store.attempt('k', rule)).rejects.toThrow()
      await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve))
      const started = Date.now()
      let answer: number | null = null
      while (answer === null && Date.now() - started < 3000) {
        answer = await store.attempt('k', rule).catch(() => null)
        if (answer === null) await sleep(50)
      }
      expect(answer).toBe(60_000)                                    // the count survived in Redis: this was the 2nd attempt
      expect(Date.now() - started).toBeLessThan(1500)
    } finally {
      redis.disconnect()
      await deleteKeys(direct, prefix)
      direct.disconnect()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })
})
