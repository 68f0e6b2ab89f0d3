import type { Config } from '../config.js'
import { createRedisClient, publishKeyChange, redisReady } from '../storage/index.js'

/** What the operator is told when no running server hears of the change at once. */
export const RELOAD_NOTE = 'Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.'

/** How long the CLI waits for Redis before leaving the change to the periodic reload. */
const REDIS_WAIT_MS = 2000

/**
 * After `tessera keys` changed the keys: with TESSERA_REDIS_URL, announces it on the deployment's
 * channel so every running server re-reads them now (src/storage/redis-key-changes.ts). Returns
 * the sentence for the operator. Redis being down never fails the command: the change is made,
 * and servers still find it on their periodic reload.
 */
export async function announceKeyChange(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>): Promise<string> {
  if (config.redisUrl === null) return RELOAD_NOTE
  const redis = createRedisClient(config.redisUrl, { commandTimeoutMs: REDIS_WAIT_MS })
  try {
    if (await redisReady(redis, REDIS_WAIT_MS)) {
      const heard = await publishKeyChange(redis, config.redisKeyPrefix)
      return `Announced on Redis: ${heard} running server${heard === 1 ? '' : 's'} reloaded the keys at once; any other within TESSERA_KEYS_RELOAD_SECONDS.`
    }
  } catch {
    // unreachable or too slow: as if it were not configured
  } finally {
    redis.disconnect()
  }
  return `Redis did not answer, so no server was told. ${RELOAD_NOTE}`
}
