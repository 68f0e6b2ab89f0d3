import { clientNetwork } from './client-network.js'
import { IncorrectPassword, InvalidCredentials, InvalidOtp, TooManyLoginFailures } from './errors.js'
import { retryAfterSeconds, throttleKey, type ThrottleRule, type ThrottleStore } from './throttle.js'
import { normalizeUsername } from './user.js'

/**
 * Brute-force limits on the password grant. Failures are counted per (username, client address)
 * and per client address; a limit of 0 turns that count off.
 *
 * There is deliberately no per-username lock: with one, anyone could lock a victim out by failing
 * logins under their name from anywhere (Keycloak's per-user lockout is exactly that denial of
 * service, GHSA-cq42-vhv7-xr7p). A victim's own address keeps its own budget, so an attacker
 * elsewhere cannot lock them out. The price: an attacker holding many addresses gets
 * `maxFailures` guesses per address (IPv6: per /64) against one account — doubling waits make
 * that slow against any non-trivial password, each guess still costs a full argon2 verification
 * behind the hashing queue, and every failure is in the audit log for an operator to see.
 */
export interface LoginLimitPolicy {
  /** Failures allowed per username and address within the window (0: no such limit). */
  maxFailures: number
  /** Failures allowed per address within the window, whatever the username (0: no such limit). */
  ipMaxFailures: number
  windowSeconds: number
}

/** The longest a lock grows to, and how long a past lock is remembered (so the next one doubles). */
export const MAX_LOCKOUT_SECONDS = 24 * 60 * 60
export const LOCKOUT_MEMORY_SECONDS = 24 * 60 * 60

export interface LoginAttempt {
  username: string
  /** The client's address as the HTTP layer sees it (trustProxy applied). */
  ip: string
  /**
   * Set for a second-factor step (the account's id): its failures are counted per account too,
   * whatever the address. The per-address budgets alone would let someone holding the password
   * and many IPv6 /64s try a million codes; and a lock here harms no victim, since only someone
   * who already has the password reaches this step.
   */
  secondFactorOf?: string
}

/** Wrong second-factor codes an account takes per window from every address together (with the pair limit on). */
export const SECOND_FACTOR_MAX_FAILURES = 10

export interface LoginLimiter {
  /**
   * Counts the attempt as a failure up front, before any hashing, or refuses it with
   * TooManyLoginFailures. Counting first means a burst of parallel guesses cannot all slip in
   * before the first failure is recorded; the outcome then settles the count.
   */
  admit(attempt: LoginAttempt): Promise<void>
  /** The password was right: the pair's failures and lock history are forgotten. */
  succeeded(attempt: LoginAttempt): Promise<void>
  /** The attempt ended without a wrong password (bad request, full queue, disabled user): not a failure. */
  abandoned(attempt: LoginAttempt): Promise<void>
}

function ruleFor(limit: number, windowSeconds: number): ThrottleRule {
  const windowMs = windowSeconds * 1000
  return {
    limit,
    windowMs,
    lockoutMs: windowMs,                                   // the first lock lasts one window, then doubles
    maxLockoutMs: Math.max(windowMs, MAX_LOCKOUT_SECONDS * 1000),
    memoryMs: LOCKOUT_MEMORY_SECONDS * 1000,
  }
}

export function createLoginLimiter(policy: LoginLimitPolicy, store: ThrottleStore): LoginLimiter {
  const pairRule = ruleFor(policy.maxFailures, policy.windowSeconds)
  const ipRule = ruleFor(policy.ipMaxFailures, policy.windowSeconds)
  // On whenever the pair limit is: with brute-force limits off (0) none applies.
  const accountRule = ruleFor(policy.maxFailures > 0 ? SECOND_FACTOR_MAX_FAILURES : 0, policy.windowSeconds)
  const keys = (attempt: LoginAttempt) => {
    const network = clientNetwork(attempt.ip)
    return {
      ip: throttleKey('login-ip', network), pair: throttleKey('login', normalizeUsername(attempt.username), network),
      account: attempt.secondFactorOf !== undefined && accountRule.limit > 0 ? throttleKey('second-factor', attempt.secondFactorOf) : null,
    }
  }

  return {
    async admit(attempt) {
      const { ip, pair } = keys(attempt)
      if (ipRule.limit > 0) {
        const lockedMs = await store.attempt(ip, ipRule)
        if (lockedMs > 0) throw new TooManyLoginFailures(retryAfterSeconds(lockedMs))
      }
      if (pairRule.limit > 0) {
        const lockedMs = await store.attempt(pair, pairRule)
        if (lockedMs > 0) {
          if (ipRule.limit > 0) await store.refund(ip)      // refused before trying: not a failure of this address
          throw new TooManyLoginFailures(retryAfterSeconds(lockedMs))
        }
      }
      const { account } = keys(attempt)
      if (account !== null) {
        const lockedMs = await store.attempt(account, accountRule)
        if (lockedMs > 0) {
          if (ipRule.limit > 0) await store.refund(ip)
          if (pairRule.limit > 0) await store.refund(pair)
          throw new TooManyLoginFailures(retryAfterSeconds(lockedMs))
        }
      }
    },
    async succeeded(attempt) {
      const { ip, pair, account } = keys(attempt)
      if (pairRule.limit > 0) await store.reset(pair)
      if (ipRule.limit > 0) await store.refund(ip)          // the address's other failures still count
      if (account !== null) await store.reset(account)
    },
    async abandoned(attempt) {
      const { ip, pair, account } = keys(attempt)
      if (pairRule.limit > 0) await store.refund(pair)
      if (ipRule.limit > 0) await store.refund(ip)
      if (account !== null) await store.refund(account)
    },
  }
}

/**
 * Runs `login` under the limiter: refused before it starts when locked (a throttled request
 * costs no argon2), and only a wrong username or password stays counted as a failure — at
 * /token, or a wrong current password at POST /users/me/password (a guess is a guess) — or a
 * wrong second-factor code (issue 10: the same budget, so a code cannot be guessed elsewhere).
 */
export async function throttledLogin<T>(limiter: LoginLimiter, attempt: LoginAttempt, login: () => Promise<T>): Promise<T> {
  await limiter.admit(attempt)
  let result: T
  try {
    result = await login()
  } catch (err) {
    if (!(err instanceof InvalidCredentials || err instanceof IncorrectPassword || err instanceof InvalidOtp)) await limiter.abandoned(attempt)
    throw err
  }
  await limiter.succeeded(attempt)
  return result
}
