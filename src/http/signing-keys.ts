import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { openSigningKeyRing, type Clock, type KeySet, type SigningKeyRing, type SigningKeyStore } from '../core/index.js'
import { subscribeKeyChanges, type KeyChangeSubscription } from '../storage/index.js'

/** What the log says about a key set: kids and algorithms, never key material. */
function inForce(set: KeySet): { mode: string; active: string | null; verifying: string[] } {
  const verifying = [...set.byKid.values()].filter((k) => k.status === 'verifying').map((k) => k.kid)
  return set.active === null
    ? { mode: 'HS256', active: null, verifying }
    : { mode: set.active.algorithm, active: set.active.kid, verifying }
}

/**
 * The server's signing keys: read from the store at start (a broken key stops the start, naming
 * its kid), then re-read every TESSERA_KEYS_RELOAD_SECONDS and soon after a token with an unknown
 * kid, so `tessera keys rotate` and `retire` take effect without a restart.
 */
export async function openServerSigningKeys(store: SigningKeyStore, config: Config, clock: Clock, logger: Logger): Promise<SigningKeyRing> {
  const ring = await openSigningKeyRing(store, {
    clock,
    reloadIntervalMs: config.keysReloadSeconds * 1000,
    onChange: (set) => logger.info(inForce(set), 'signing keys changed'),
    onError: (err) => logger.error({ err }, 'reading the signing keys failed; the current keys stay in force'),
  })
  const now = inForce(ring.current())
  logger.info(now, now.active === null
    ? 'signing access tokens with HS256 and the secret key (no asymmetric key is active)'
    : `signing access tokens with ${now.mode} key ${now.active}`)
  return ring
}

/** How long startup waits for the key-change subscription before going on without it (it keeps trying). */
const SUBSCRIBE_WAIT_MS = 1000

/**
 * With TESSERA_REDIS_URL: re-read the keys the moment another instance or `tessera keys` announces
 * a change on Redis (and once more after any gap in the subscription), so every instance follows
 * within a second. Without Redis, or while it is down, the periodic reload above still applies.
 */
export async function followKeyChanges(
  ring: Pick<SigningKeyRing, 'reload'>, config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>, logger: Logger,
): Promise<KeyChangeSubscription | null> {
  if (config.redisUrl === null) return null
  const subscription = subscribeKeyChanges(config.redisUrl, config.redisKeyPrefix, {
    onChange: () => {
      ring.reload({ fresh: true }).catch((err: unknown) => logger.error({ err }, 'reading the signing keys failed; the current keys stay in force'))
    },
    onDown: () => logger.warn('key change notifications lost with Redis: signing keys are re-read every TESSERA_KEYS_RELOAD_SECONDS until it is back'),
    onUp: () => logger.info('key change notifications back: signing keys re-read now'),
  })
  await subscription.subscribed(SUBSCRIBE_WAIT_MS)
  return subscription
}
