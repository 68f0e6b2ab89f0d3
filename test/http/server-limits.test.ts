import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../../src/config.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { REDIS_URL, closedPort, deleteKeys, openTestRedis, uniquePrefix } from '../support/redis.js'
import { SECRET_KEY } from './test-server.js'

// startServer wires the limits from config: Redis when TESSERA_REDIS_URL is set (shared by every
// instance), and carries on without it when Redis is down. Real listening servers, real fetch.
const dir = mkdtempSync(join(tmpdir(), 'tessera-server-limits-'))
const prefix = uniquePrefix('server')
let redis: Redis

beforeAll(async () => { redis = await openTestRedis() })
afterAll(async () => {
  await deleteKeys(redis, prefix)
  redis.disconnect()
  rmSync(dir, { recursive: true, force: true })
})

function config(overrides: Partial<Config>): Config {
  return loadConfig({}, {
    port: 0, databaseUrl: `sqlite:${join(dir, 'tessera.db')}`, secretKey: SECRET_KEY, demo: true, logLevel: 'silent',
    redisKeyPrefix: prefix, ...overrides,
  })
}

async function login(server: RunningServer, password: string): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'johndoe', password }) })
  await res.arrayBuffer()
  return { status: res.status, retryAfter: res.headers.get('retry-after') }
}

describe('startServer with TESSERA_REDIS_URL', () => {
  it('two instances sharing Redis add failed logins up to one limit, under the configured key prefix', async () => {
    const a = await startServer(config({ redisUrl: REDIS_URL }), { handleSignals: false })
    const b = await startServer(config({ redisUrl: REDIS_URL }), { handleSignals: false })
    try {
      const answers = []
      for (let i = 0; i < 6; i++) answers.push(await login(i % 2 === 0 ? a : b, 'wrong password'))
      expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429])
      expect(answers[5]?.retryAfter).toBe('900')
      expect((await login(a, 'secret')).status).toBe(429)
      const keys = await redis.keys(`${prefix}*`)
      expect(keys.length).toBeGreaterThan(0)
      expect(keys.every((k) => k.startsWith(`${prefix}throttle:{login`))).toBe(true)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('starts and serves logins when Redis is down: limits fail open, nothing answers 5xx', async () => {
    const started = Date.now()
    const server = await startServer(config({ redisUrl: `redis://127.0.0.1:${await closedPort()}` }), { handleSignals: false })
    try {
      expect(Date.now() - started).toBeLessThan(5_000)                  // refused at once: no 2 s startup wait
      const answers = []
      for (let i = 0; i < 6; i++) answers.push((await login(server, 'wrong password')).status)
      expect(answers).toEqual([401, 401, 401, 401, 401, 401])
      expect((await login(server, 'secret')).status).toBe(200)
    } finally {
      await server.close()
    }
  })
})

describe('startServer without Redis', () => {
  it('keeps the limits in memory, on by default', async () => {
    const server = await startServer(config({ redisUrl: null }), { handleSignals: false })
    try {
      const answers = []
      for (let i = 0; i < 6; i++) answers.push((await login(server, 'wrong password')).status)
      expect(answers).toEqual([401, 401, 401, 401, 401, 429])
    } finally {
      await server.close()
    }
  })
})
