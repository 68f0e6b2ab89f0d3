import type { FastifyBaseLogger } from 'fastify'
import {
  createLoginLimiter, createMailRequestLimiter, createRegistrationLimiter, failOpen, systemClock, type Clock, type LoginLimiter,
  type MailRequestLimiter, type RegistrationLimiter, type ThrottleStore,
} from '../core/index.js'
import { MemoryThrottleStore } from '../storage/index.js'
import type { AppDeps } from './deps.js'

/**
 * This process's own store, for an app given none (no Redis): buildApp makes one for all its
 * routes, so a wrong password at /token and at /users/me/password count against one budget.
 */
export function memoryThrottle(clock: Clock | undefined): ThrottleStore {
  return new MemoryThrottleStore({ clock: clock ?? systemClock })
}

/**
 * The store the limits use, failing open: if it cannot answer (Redis down or slow), attempts are
 * allowed and the outage is logged once, rather than logins failing with a 5xx. The pause after
 * a failure runs on real time even when a test freezes the app's clock: it is about Redis, not
 * about the domain.
 */
function throttleFor(deps: AppDeps, log: FastifyBaseLogger): ThrottleStore {
  const store = deps.throttle ?? memoryThrottle(deps.clock)
  return failOpen(store, {
    clock: systemClock,
    onUnavailable: (err) => log.warn(
      { reason: err instanceof Error ? err.message : String(err) },
      'brute-force limits unavailable (their store does not answer): allowing attempts until it is back',
    ),
    onRecovered: () => log.info('brute-force limits available again'),
  })
}

export function loginLimiterFor(deps: AppDeps, log: FastifyBaseLogger): LoginLimiter {
  const { config } = deps
  return createLoginLimiter({
    maxFailures: config.loginMaxFailures, ipMaxFailures: config.loginIpMaxFailures, windowSeconds: config.loginWindowSeconds,
  }, throttleFor(deps, log))
}

export function registrationLimiterFor(deps: AppDeps, log: FastifyBaseLogger): RegistrationLimiter {
  return createRegistrationLimiter(deps.config.registrationsPerIpPerHour, throttleFor(deps, log))
}

/** Requests for mailed links (password reset, verification resend): per address and per network, on the same store. */
export function mailRequestLimiterFor(deps: AppDeps, log: FastifyBaseLogger): MailRequestLimiter {
  return createMailRequestLimiter(throttleFor(deps, log))
}
