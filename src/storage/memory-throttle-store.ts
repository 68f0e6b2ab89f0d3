import { systemClock, type Clock } from '../core/clock.js'
import { lockoutFor, type ThrottleRule, type ThrottleStore } from '../core/throttle.js'

interface Entry {
  count: number
  windowEndsAt: number
  lockedUntil: number
  /** Locks in a row so far; forgotten at `levelUntil`. */
  level: number
  levelUntil: number
}

export interface MemoryThrottleStoreOptions {
  clock?: Clock
  /** Most keys kept at once (default 100 000, about 20 MB); beyond it the least recently used go first. */
  maxKeys?: number
}

export const DEFAULT_MAX_KEYS = 100_000

/** How many of the oldest entries each write inspects for expiry, so idle keys leave without a timer. */
const SWEEP_PER_WRITE = 2

/**
 * The limits of a single instance, in a Map ordered by last use. Memory is bounded whatever
 * arrives: expired entries are dropped as they are met, and past `maxKeys` the least recently
 * used entry is evicted. Eviction could forget a pair's failures early, but filling 100 000 keys
 * takes as many logins, each an argon2 verification behind the hashing queue (~20 a second on
 * two cores, over an hour), so windows expire long before eviction reaches a key in use.
 */
export class MemoryThrottleStore implements ThrottleStore {
  private readonly entries = new Map<string, Entry>()
  private readonly clock: Clock
  private readonly maxKeys: number

  constructor(options: MemoryThrottleStoreOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS
  }

  /** Keys held right now (expired ones included until they are met). */
  get size(): number {
    return this.entries.size
  }

  async attempt(key: string, rule: ThrottleRule): Promise<number> {
    const now = this.clock.now()
    const entry = this.live(key, now) ?? { count: 0, windowEndsAt: 0, lockedUntil: 0, level: 0, levelUntil: 0 }
    this.store(key, entry)
    if (entry.lockedUntil > now) return entry.lockedUntil - now
    if (entry.windowEndsAt <= now) Object.assign(entry, { count: 0, windowEndsAt: now + rule.windowMs })
    entry.count += 1
    if (entry.count <= rule.limit) return 0
    entry.level = entry.levelUntil > now ? entry.level + 1 : 1
    const lockMs = lockoutFor(rule, entry.level)
    Object.assign(entry, { count: 0, windowEndsAt: 0, lockedUntil: now + lockMs, levelUntil: now + lockMs + rule.memoryMs })
    return lockMs
  }

  async refund(key: string): Promise<void> {
    const entry = this.live(key, this.clock.now())
    if (entry !== undefined && entry.count > 0) entry.count -= 1
  }

  async reset(key: string): Promise<void> {
    this.entries.delete(key)
  }

  /** The entry for `key`, unless everything it remembers has expired (then it is dropped). */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry !== undefined && expired(entry, now)) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /** (Re)inserts as most recently used, then keeps the map within bounds. */
  private store(key: string, entry: Entry): void {
    this.entries.delete(key)
    this.entries.set(key, entry)
    const now = this.clock.now()
    let swept = 0
    for (const [oldKey, oldEntry] of this.entries) {
      if (swept++ >= SWEEP_PER_WRITE || oldKey === key) break
      if (expired(oldEntry, now)) this.entries.delete(oldKey)
    }
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
  }
}

function expired(entry: Entry, now: number): boolean {
  return entry.windowEndsAt <= now && entry.lockedUntil <= now && entry.levelUntil <= now
}
