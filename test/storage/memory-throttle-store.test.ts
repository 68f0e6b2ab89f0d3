import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import type { ThrottleRule } from '../../src/core/throttle.js'
import { MemoryThrottleStore } from '../../src/storage/memory-throttle-store.js'
import { describeThrottleStoreContract } from './throttle-contract.js'

describeThrottleStoreContract('memory', async () => {
  const clock = fixedClock(Date.UTC(2026, 0, 1))
  const store = new MemoryThrottleStore({ clock })
  return { stores: [store, store], unit: 1000, slack: 0, wait: async (ms) => { clock.advance(ms) }, cleanup: async () => undefined }
})

describe('MemoryThrottleStore keeps its memory bounded', () => {
  const rule: ThrottleRule = { limit: 5, windowMs: 900_000, lockoutMs: 900_000, maxLockoutMs: 86_400_000, memoryMs: 86_400_000 }

  it('evicts the least recently used key beyond maxKeys, so a spray of unique keys cannot grow it', async () => {
    const store = new MemoryThrottleStore({ clock: fixedClock(0), maxKeys: 1000 })
    for (let i = 0; i < 10_000; i++) await store.attempt(`spray-${i}`, rule)
    expect(store.size).toBe(1000)
  })

  it('keeps a key in use while older idle ones are evicted', async () => {
    const store = new MemoryThrottleStore({ clock: fixedClock(0), maxKeys: 3 })
    for (let i = 0; i < 5; i++) await store.attempt('victim', rule)
    for (let i = 0; i < 10; i++) {
      await store.attempt(`spray-${i}`, rule)
      if (i % 2 === 0) expect(await store.attempt('victim', rule)).toBe(900_000)  // still locked: touched, so kept
    }
  })

  it('drops expired keys as writes go by, without a timer', async () => {
    const clock = fixedClock(0)
    const store = new MemoryThrottleStore({ clock })
    for (let i = 0; i < 100; i++) await store.attempt(`old-${i}`, rule)
    clock.advance(rule.windowMs)
    for (let i = 0; i < 100; i++) await store.attempt(`new-${i}`, rule)
    expect(store.size).toBe(100)
  })

  it('keeps a lock history until it is forgotten, then drops the key', async () => {
    const clock = fixedClock(0)
    const store = new MemoryThrottleStore({ clock })
    for (let i = 0; i < 6; i++) await store.attempt('k', rule)
    clock.advance(rule.lockoutMs + rule.memoryMs - 1)
    await store.attempt('other', rule)
    expect(store.size).toBe(2)
    clock.advance(1)
    await store.refund('k')
    expect(store.size).toBe(1)
  })
})
