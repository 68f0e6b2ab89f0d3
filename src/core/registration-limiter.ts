import { clientNetwork } from './client-network.js'
import { TooManyRequests } from './errors.js'
import { retryAfterSeconds, throttleKey, type ThrottleRule, type ThrottleStore } from './throttle.js'

const HOUR_MS = 60 * 60 * 1000

export interface RegistrationLimiter {
  /**
   * Counts a registration attempt from `ip`, before any hashing, or refuses it with
   * TooManyRequests. Every attempt counts, taken names included, so the limit also bounds how
   * fast an address can probe which usernames exist.
   */
  admit(ip: string): Promise<void>
}

/** `perHour` registrations per address; the next one waits an hour. 0 turns the limit off. */
export function createRegistrationLimiter(perHour: number, store: ThrottleStore): RegistrationLimiter {
  const rule: ThrottleRule = { limit: perHour, windowMs: HOUR_MS, lockoutMs: HOUR_MS, maxLockoutMs: HOUR_MS, memoryMs: 0 }
  return {
    async admit(ip) {
      if (rule.limit === 0) return
      const lockedMs = await store.attempt(throttleKey('register-ip', clientNetwork(ip)), rule)
      if (lockedMs > 0) throw new TooManyRequests(retryAfterSeconds(lockedMs), 'Too many registrations from this address, retry later')
    },
  }
}
