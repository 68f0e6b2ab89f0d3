import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { createRedisClient, redisReady } from '../storage/index.js'

/** How long startup waits for Redis to answer before going on without it. */
const STARTUP_WAIT_MS = 2000

/**
 * The shared Redis connection when TESSERA_REDIS_URL is set, else null. Startup waits briefly
 * for it but does not depend on it: what uses Redis degrades (the brute-force limits fail open)
 * and the client keeps reconnecting. Outages are logged once each way; the URL never is.
 */
export async function connectRedis(config: Pick<Config, 'redisUrl'>, logger: Logger): Promise<Redis | null> {
  if (config.redisUrl === null) return null
  const redis = createRedisClient(config.redisUrl, {
    onDown: (err) => logger.warn({ reason: err.message }, 'Redis unreachable: brute-force limits allow attempts until it is back'),
    onUp: () => logger.info('Redis reachable again'),
  })
  if (!(await redisReady(redis, STARTUP_WAIT_MS))) logger.warn('Redis not reachable at startup: starting without it, reconnecting in the background')
  return redis
}
