import type { Clock, Store } from '../core/index.js'

/** How often expired refresh tokens and revoked-jti entries are deleted. */
export const HOUSEKEEPING_INTERVAL_MS = 60 * 60 * 1000

interface Log {
  info(object: object, message: string): void
  warn(object: object, message: string): void
}

export interface Housekeeping {
  /** One pass now (also what the timer runs); never throws. */
  run(): Promise<void>
  stop(): void
}

/**
 * Deletes what can no longer matter: refresh tokens past their absolute end (rotated ones are
 * kept until then, since presenting one is how reuse is detected) and revoked access-token ids
 * past the token's own expiry. A failed pass is logged and retried at the next one. The timer
 * does not keep the process alive.
 */
export function startHousekeeping(store: Pick<Store, 'refreshTokens' | 'revokedTokens'>, clock: Clock, log: Log, intervalMs = HOUSEKEEPING_INTERVAL_MS): Housekeeping {
  async function run(): Promise<void> {
    try {
      const now = clock.now()
      const refreshTokens = await store.refreshTokens.deleteExpired(now)
      const revokedTokens = await store.revokedTokens.deleteExpired(now)
      if (refreshTokens + revokedTokens > 0) log.info({ refreshTokens, revokedTokens }, 'deleted expired session records')
    } catch (err) {
      log.warn({ err: { name: (err as Error)?.name } }, 'housekeeping failed; retrying at the next pass')
    }
  }
  const timer = setInterval(() => { void run() }, intervalMs)
  timer.unref()
  void run()
  return { run, stop: () => clearInterval(timer) }
}
