import { createHash } from 'node:crypto'
import type { Clock } from './clock.js'

/**
 * How one throttled key behaves. Up to `limit` attempts are allowed in a fixed window that the
 * key's first attempt opens; the next attempt is refused and locks the key for `lockoutMs`.
 * Each further lock while the previous one is still remembered doubles, up to `maxLockoutMs`.
 */
export interface ThrottleRule {
  limit: number
  windowMs: number
  lockoutMs: number
  maxLockoutMs: number
  /** How long after a lock ends the next lock still counts as a repeat (and so doubles). */
  memoryMs: number
}

/**
 * The port the limits are kept behind: in memory for one instance, in Redis for many
 * (src/storage/). Each operation is atomic per key, so attempts racing on several instances
 * add up exactly. Keys arrive already hashed (see throttleKey): no username is stored in clear.
 */
export interface ThrottleStore {
  /**
   * Counts one attempt against `key`. Returns 0 when it may go ahead, otherwise how many
   * milliseconds the key stays locked: it was locked already (and this attempt is not counted),
   * or this attempt went over the limit and locked it.
   */
  attempt(key: string, rule: ThrottleRule): Promise<number>
  /** Takes back one counted attempt that turned out not to be a failure; never below zero. */
  refund(key: string): Promise<void>
  /** Forgets the key: its count, its lock and its lock history. */
  reset(key: string): Promise<void>
}

/** The lock for the `level`-th lock in a row (1-based): doubling from `lockoutMs`, capped. */
export function lockoutFor(rule: ThrottleRule, level: number): number {
  return Math.floor(Math.min(rule.lockoutMs * 2 ** (level - 1), rule.maxLockoutMs))
}

/**
 * A store key for `kind` and its parts. The parts (a username, an address) are hashed so that a
 * store's contents, or a Redis `MONITOR`, never show who tried to log in from where.
 */
export function throttleKey(kind: string, ...parts: string[]): string {
  return `${kind}:${createHash('sha256').update(JSON.stringify(parts)).digest('base64url')}`
}

/** `Retry-After` is whole seconds (RFC 9110 §10.2.3): round up, so a client never retries early. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

export interface FailOpenOptions {
  clock: Clock
  /** Told once when the store starts failing (a log line, a metric); not again until it recovered. */
  onUnavailable(err: unknown): void
  onRecovered(): void
  /** After a failure, how long to answer without asking the store (default 1 s). */
  pauseMs?: number
}

/**
 * Limits are a defence, not a dependency: when the store cannot answer (Redis down or slow),
 * attempts are allowed rather than refused or failed with a 5xx. After a failure the store is
 * left alone for `pauseMs`, so during an outage a login waits on at most one failing command
 * per pause instead of one per step. Argon2's cost and the hashing queue still bound what an
 * attacker can try meanwhile.
 */
export function failOpen(store: ThrottleStore, options: FailOpenOptions): ThrottleStore {
  const pauseMs = options.pauseMs ?? 1000
  let pausedUntil = 0
  let unavailable = false

  async function guarded<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
    if (options.clock.now() < pausedUntil) return fallback
    try {
      const result = await operation()
      if (unavailable) {
        unavailable = false
        options.onRecovered()
      }
      return result
    } catch (err) {
      pausedUntil = options.clock.now() + pauseMs
      if (!unavailable) {
        unavailable = true
        options.onUnavailable(err)
      }
      return fallback
    }
  }

  return {
    attempt: (key, rule) => guarded(() => store.attempt(key, rule), 0),
    refund: (key) => guarded(() => store.refund(key), undefined),
    reset: (key) => guarded(() => store.reset(key), undefined),
  }
}
