import type { Clock, Store } from '../core/index.js'

/** How often expired sessions, codes, revoked-jti entries and old audit entries are deleted. */
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS

/** The browser session's idle lifetime when none is given: config's default (TESSERA_SESSION_IDLE_HOURS). */
export const DEFAULT_SESSION_IDLE_HOURS = 72

export interface HousekeepingOptions {
  /** Between passes (default HOUSEKEEPING_INTERVAL_MS). */
  intervalMs?: number
  /** Audit entries older than this many days are deleted (TESSERA_AUDIT_RETENTION_DAYS); 0 or absent keeps them all. */
  auditRetentionDays?: number
  /** Browser sessions unused for this many hours are deleted (TESSERA_SESSION_IDLE_HOURS; default 72). */
  sessionIdleHours?: number
}

interface Log {
  info(object: object, message: string): void
  warn(object: object, message: string): void
}

export interface Housekeeping {
  /** One pass now (also what the timer runs); never throws. */
  run(): Promise<void>
  stop(): void
}

type HousekeptStores = Pick<Store, 'refreshTokens' | 'revokedTokens' | 'audit' | 'browserSessions' | 'authorizationCodes' | 'oneTimeTokens' | 'federationStates'>

/**
 * Deletes what can no longer matter: refresh tokens past their absolute end (rotated ones are
 * kept until then, since presenting one is how reuse is detected), revoked access-token ids
 * past the token's own expiry, browser sessions past their absolute end or unused past the idle
 * lifetime, authorization codes that neither an exchange nor a replay can use any more
 * (AuthorizationCodeStore.deleteExpired), and audit entries past their retention. A failed pass
 * is logged and retried at the next one. The timer does not keep the process alive.
 */
export function startHousekeeping(store: HousekeptStores, clock: Clock, log: Log, options: HousekeepingOptions = {}): Housekeeping {
  const { intervalMs = HOUSEKEEPING_INTERVAL_MS, auditRetentionDays = 0, sessionIdleHours = DEFAULT_SESSION_IDLE_HOURS } = options
  // One pass at a time: a pass asked for while one runs (the first, at start) waits for it rather
  // than racing it for the same rows; a slow database then never piles passes up either.
  let running: Promise<void> | null = null
  const run = (): Promise<void> => (running ??= pass().finally(() => { running = null }))
  async function pass(): Promise<void> {
    try {
      const now = clock.now()
      const refreshTokens = await store.refreshTokens.deleteExpired(now)
      const revokedTokens = await store.revokedTokens.deleteExpired(now)
      const browserSessions = await store.browserSessions.deleteExpired(now, now - sessionIdleHours * HOUR_MS)
      const authorizationCodes = await store.authorizationCodes.deleteExpired(now)
      const oneTimeTokens = await store.oneTimeTokens.deleteExpired(now)
      const federationStates = await store.federationStates.deleteExpired(now)               // upstream sign-ins never finished
      if (refreshTokens + revokedTokens + browserSessions + authorizationCodes + oneTimeTokens + federationStates > 0) {
        log.info({ refreshTokens, revokedTokens, browserSessions, authorizationCodes, oneTimeTokens, federationStates }, 'deleted expired session records')
      }
      const auditEntries = auditRetentionDays > 0 ? await store.audit.deleteOlderThan(now - auditRetentionDays * DAY_MS) : 0
      if (auditEntries > 0) log.info({ auditEntries, auditRetentionDays }, 'deleted audit entries past their retention')
    } catch (err) {
      log.warn({ err: { name: (err as Error)?.name } }, 'housekeeping failed; retrying at the next pass')
    }
  }
  const timer = setInterval(() => { void run() }, intervalMs)
  timer.unref()
  void run()
  return { run, stop: () => clearInterval(timer) }
}
