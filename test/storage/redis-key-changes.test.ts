import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keyChangeChannel, publishKeyChange, subscribeKeyChanges } from '../../src/storage/index.js'
import { killAllPrivateRedis, startPrivateRedis } from '../support/private-redis.js'
import { REDIS_URL, closedPort, openTestRedis, uniquePrefix } from '../support/redis.js'

// The key-change channel between `tessera keys` (or any instance) and every running server:
// real Redis, the machine's shared one, and a private one where the test kills Redis.
let redis: Redis

beforeAll(async () => { redis = await openTestRedis() })
afterAll(() => {
  redis.disconnect()
  killAllPrivateRedis()
})

function counter() {
  let count = 0
  return { onChange: () => { count += 1 }, count: () => count }
}

describe('key change announcements over Redis', () => {
  it('reach every subscriber under the same prefix, and only those', async () => {
    const prefix = uniquePrefix('keys')
    const a = counter()
    const b = counter()
    const other = counter()
    const subscriptions = [
      subscribeKeyChanges(REDIS_URL, prefix, a), subscribeKeyChanges(REDIS_URL, prefix, b), subscribeKeyChanges(REDIS_URL, uniquePrefix('other'), other),
    ]
    try {
      for (const s of subscriptions) expect(await s.subscribed(2000)).toBe(true)
      expect(keyChangeChannel(prefix)).toBe(`${prefix}keys:changed`)
      expect(await publishKeyChange(redis, prefix)).toBe(2)                 // two servers heard it
      await expect.poll(() => [a.count(), b.count()], { timeout: 1000, interval: 10 }).toEqual([1, 1])
      expect(other.count()).toBe(0)
    } finally {
      for (const s of subscriptions) s.close()
    }
    await expect.poll(() => publishKeyChange(redis, prefix), { timeout: 1000, interval: 20 }).toBe(0) // closed: nobody left listening
  })

  it('gives up waiting at once when Redis refuses, without throwing', async () => {
    const started = Date.now()
    const subscription = subscribeKeyChanges(`redis://127.0.0.1:${await closedPort()}`, uniquePrefix('down'), counter())
    try {
      expect(await subscription.subscribed(3000)).toBe(false)
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      subscription.close()
    }
  })

  it('resubscribes after Redis comes back, and reports the gap as a change (announcements meanwhile were lost)', async () => {
    const server = await startPrivateRedis()
    const prefix = uniquePrefix('gap')
    const seen = counter()
    const events: string[] = []
    const subscription = subscribeKeyChanges(server.url, prefix, {
      ...seen, onDown: () => events.push('down'), onUp: () => events.push('up'),
    })
    try {
      expect(await subscription.subscribed(2000)).toBe(true)
      await server.kill()
      await expect.poll(() => events, { timeout: 2000, interval: 20 }).toEqual(['down'])
      await server.start()
      await expect.poll(() => seen.count(), { timeout: 3000, interval: 20 }).toBe(1)      // the catch-up re-read
      expect(events).toEqual(['down', 'up'])
      expect(await subscription.subscribed(100)).toBe(true)

      const publisher = await openTestRedis(server.url)
      try {
        expect(await publishKeyChange(publisher, prefix)).toBe(1)
      } finally {
        publisher.disconnect()
      }
      await expect.poll(() => seen.count(), { timeout: 1000, interval: 10 }).toBe(2)
    } finally {
      subscription.close()
      await server.kill()
    }
  })
})
