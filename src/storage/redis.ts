import { createRequire } from 'node:module'
import type { Redis } from 'ioredis'

/**
 * ioredis, loaded on first use: most deployments run without Redis, and loading it costs a
 * noticeable share of startup (issue 5: start → first request). It is CommonJS, so a synchronous
 * require keeps createRedisClient synchronous.
 */
let redisClass: typeof Redis | undefined
const loadRedis = (): typeof Redis => (redisClass ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis)

export interface RedisClientOptions {
  /** Longest a command may take before it fails (default 200 ms): a login never hangs on Redis. */
  commandTimeoutMs?: number
  /** Told once when the connection is lost or cannot be made, and once when it is back. */
  onDown?(err: Error): void
  onUp?(): void
}

/**
 * A Redis connection for state shared across instances, tuned to fail fast rather than wait:
 * commands are not queued while disconnected (they fail at once), a command in flight when the
 * connection drops is not retried, and a slow command gives up after `commandTimeoutMs`. The
 * client keeps reconnecting (at most a second apart), so service resumes by itself. The URL may
 * carry a password: it is never logged.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const RedisClient = loadRedis()
  const redis = new RedisClient(url, {
    commandTimeout: options.commandTimeoutMs ?? 200,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  })
  let down = false
  // Without an 'error' listener ioredis prints every failed reconnection to stderr.
  redis.on('error', (err: Error) => {
    if (down) return
    down = true
    options.onDown?.(err)
  })
  redis.on('ready', () => {
    if (!down) return
    down = false
    options.onUp?.()
  })
  return redis
}

/**
 * Waits until `redis` is connected: true once it is, false as soon as a connection attempt fails
 * or `timeoutMs` passes (the client goes on reconnecting either way).
 */
export function redisReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  return new Promise((resolve) => {
    const settle = (ready: boolean) => {
      clearTimeout(timer)
      redis.off('ready', onReady)
      redis.off('error', onError)
      resolve(ready)
    }
    const onReady = () => settle(true)
    const onError = () => settle(false)
    const timer = setTimeout(() => settle(false), timeoutMs)
    redis.once('ready', onReady)
    redis.once('error', onError)
  })
}
