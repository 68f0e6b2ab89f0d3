import type { Config } from '../config.js'
import { systemClock, type RefreshPolicy, type SessionDeps } from '../core/index.js'
import type { AppDeps } from './deps.js'

const DAY_SECONDS = 24 * 60 * 60

/** TESSERA_REFRESH_IDLE_DAYS / TESSERA_REFRESH_ABSOLUTE_DAYS as core's policy; idle never outlasts absolute. */
export function refreshPolicy(config: Pick<Config, 'refreshIdleDays' | 'refreshAbsoluteDays'>): RefreshPolicy {
  const absoluteSeconds = config.refreshAbsoluteDays * DAY_SECONDS
  return { idleSeconds: Math.min(config.refreshIdleDays * DAY_SECONDS, absoluteSeconds), absoluteSeconds }
}

/** What core's session flows need, from the app's deps. */
export function sessionDeps(deps: Pick<AppDeps, 'config' | 'store' | 'clock'>): SessionDeps {
  return { refreshTokens: deps.store.refreshTokens, refreshPolicy: refreshPolicy(deps.config), clock: deps.clock ?? systemClock }
}
