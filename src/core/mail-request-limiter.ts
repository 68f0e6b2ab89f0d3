import { clientNetwork } from './client-network.js'
import { TooManyRequests } from './errors.js'
import { retryAfterSeconds, throttleKey, type ThrottleRule, type ThrottleStore } from './throttle.js'
import { normalizeEmail } from './user.js'

const HOUR_MS = 60 * 60 * 1000

/** The forms that mail a link to an address someone types without signing in. */
export type MailRequestKind = 'reset_password' | 'verify_email' | 'change_email'

/**
 * How often links may be asked for: per address (whoever asks, so nobody's inbox can be flooded
 * from many networks) and per client network (so one network cannot walk through many inboxes).
 */
export interface MailRequestLimits {
  perAddressPerHour: number
  perIpPerHour: number
}

/** Enough for someone who mistyped or lost a mail a few times; far too few to flood an inbox. */
export const MAIL_REQUEST_LIMITS: Readonly<MailRequestLimits> = Object.freeze({ perAddressPerHour: 5, perIpPerHour: 20 })

export interface MailRequestLimiter {
  /**
   * Counts a request to mail `email` from `ip`, before any lookup, or refuses it with
   * TooManyRequests. Every request counts, whether or not an account uses the address, so the
   * answer (429 included) never tells which addresses have accounts.
   */
  admit(kind: MailRequestKind, email: string, ip: string): Promise<void>
}

function hourly(limit: number): ThrottleRule {
  return { limit, windowMs: HOUR_MS, lockoutMs: HOUR_MS, maxLockoutMs: HOUR_MS, memoryMs: 0 }
}

export function createMailRequestLimiter(store: ThrottleStore, limits: MailRequestLimits = MAIL_REQUEST_LIMITS): MailRequestLimiter {
  const addressRule = hourly(limits.perAddressPerHour)
  const ipRule = hourly(limits.perIpPerHour)
  const refused = (lockedMs: number) => new TooManyRequests(retryAfterSeconds(lockedMs), 'Too many requests for mail, retry later')
  return {
    async admit(kind, email, ip) {
      const ipKey = throttleKey('mail-ip', clientNetwork(ip))
      if (ipRule.limit > 0) {
        const lockedMs = await store.attempt(ipKey, ipRule)
        if (lockedMs > 0) throw refused(lockedMs)
      }
      if (addressRule.limit > 0) {
        const lockedMs = await store.attempt(throttleKey(`mail-${kind}`, normalizeEmail(email)), addressRule)
        if (lockedMs > 0) {
          if (ipRule.limit > 0) await store.refund(ipKey)                      // refused before any mail: not this network's send
          throw refused(lockedMs)
        }
      }
    },
  }
}
