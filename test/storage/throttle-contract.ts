import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ThrottleRule, ThrottleStore } from '../../src/core/throttle.js'

/**
 * What every ThrottleStore does (memory on a frozen clock, Redis in real time). Times are in
 * `unit` milliseconds so Redis can run the same steps quickly.
 */
export interface ThrottleFixture {
  /** Two handles on the same limits: one store twice in memory, two connections for Redis. */
  stores: [ThrottleStore, ThrottleStore]
  unit: number
  /** Lets `ms` pass (and a little more where time is real). */
  wait(ms: number): Promise<void>
  /** How far a remaining-lock reading may lag the rule (0 on a frozen clock). */
  slack: number
  cleanup(): Promise<void>
}

export function describeThrottleStoreContract(name: string, open: () => Promise<ThrottleFixture>): void {
  describe(`ThrottleStore contract: ${name}`, () => {
    let f: ThrottleFixture
    let rule: ThrottleRule
    let store: ThrottleStore
    let keyNo = 0
    const key = () => `contract:${name}:${process.pid}:${keyNo++}`
    const attempts = async (k: string, n: number, s = store) => {
      const out: number[] = []
      for (let i = 0; i < n; i++) out.push(await s.attempt(k, rule))
      return out
    }

    beforeEach(async () => {
      f = await open()
      store = f.stores[0]
      rule = { limit: 3, windowMs: 2 * f.unit, lockoutMs: 2 * f.unit, maxLockoutMs: 6 * f.unit, memoryMs: 5 * f.unit }
    })
    afterEach(async () => { await f.cleanup() })

    it('allows `limit` attempts, then locks for lockoutMs', async () => {
      const k = key()
      expect(await attempts(k, 4)).toEqual([0, 0, 0, rule.lockoutMs])
    })

    it('answers a locked key with the time left, without counting the attempt', async () => {
      const k = key()
      await attempts(k, 4)
      const left = await store.attempt(k, rule)
      expect(left).toBeLessThanOrEqual(rule.lockoutMs)
      expect(left).toBeGreaterThanOrEqual(rule.lockoutMs - f.slack)
      await f.wait(rule.lockoutMs)
      expect(await attempts(k, 4)).toEqual([0, 0, 0, 2 * rule.lockoutMs])   // unlocked, and the next lock doubles
    })

    it('keeps keys apart', async () => {
      const [a, b] = [key(), key()]
      await attempts(a, 4)
      expect(await attempts(b, 3)).toEqual([0, 0, 0])
    })

    it('starts a new window once the last one has passed', async () => {
      const k = key()
      await attempts(k, 3)
      await f.wait(rule.windowMs)
      expect(await attempts(k, 4)).toEqual([0, 0, 0, rule.lockoutMs])
    })

    it('refunds one attempt at a time, never below zero', async () => {
      const k = key()
      await store.refund(k)                                                  // nothing to refund: no credit
      await attempts(k, 3)
      await store.refund(k)
      expect(await attempts(k, 2)).toEqual([0, rule.lockoutMs])
      await store.refund(key())
    })

    it('doubles each lock in a row up to maxLockoutMs, and forgets after memoryMs', async () => {
      const k = key()
      const locks: number[] = []
      for (let i = 0; i < 3; i++) {
        const lock = (await attempts(k, 4))[3] as number
        locks.push(lock)
        await f.wait(lock)
      }
      expect(locks).toEqual([rule.lockoutMs, 2 * rule.lockoutMs, rule.maxLockoutMs])
      await f.wait(rule.memoryMs)
      expect(await attempts(k, 4)).toEqual([0, 0, 0, rule.lockoutMs])
    })

    it('reset forgets the count, the lock and the lock history', async () => {
      const k = key()
      await attempts(k, 4)
      await store.reset(k)
      expect(await attempts(k, 4)).toEqual([0, 0, 0, rule.lockoutMs])
      await store.reset(key())                                                // an unknown key is fine
    })

    it('adds up attempts made through every handle, even all at once: exactly `limit` get through', async () => {
      const k = key()
      const [one, two] = f.stores
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? one : two).attempt(k, { ...rule, limit: 10 })))
      expect(results.filter((r) => r === 0)).toHaveLength(10)
      expect(results.filter((r) => r > 0)).toHaveLength(30)
      await two.reset(k)
      expect(await one.attempt(k, rule)).toBe(0)
    })
  })
}
