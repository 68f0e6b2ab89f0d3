import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:net'
import type { Redis } from 'ioredis'
import { createRedisClient, redisReady } from '../../src/storage/redis.js'

/**
 * The Redis the tests use (CI's machine runs one on 127.0.0.1:6379, without persistence). Each
 * test works under a key prefix of its own and deletes its keys afterwards.
 */
export const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

export function uniquePrefix(label: string): string {
  return `tessera-test:${label}:${randomBytes(6).toString('hex')}:`
}

/** A connection as Tessera makes one, ready to use. */
export async function openTestRedis(url = REDIS_URL): Promise<Redis> {
  const redis = createRedisClient(url)
  if (!(await redisReady(redis, 5000))) {
    redis.disconnect()
    throw new Error(`no Redis at ${url}`)
  }
  return redis
}

/** Deletes every key under `prefix`; returns how many there were. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) deleted += await redis.del(...keys)
  } while (cursor !== '0')
  return deleted
}

/** A local port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A "Redis" that accepts connections and never answers: a hung server, or a black-holed network. */
export async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer((socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
