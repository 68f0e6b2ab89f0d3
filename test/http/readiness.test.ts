import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/core/index.js'
import { buildApp } from '../../src/http/app.js'
import type { Pingable } from '../../src/http/deps.js'
import { READINESS_TIMEOUT_MS } from '../../src/http/routes/health.js'
import { createRedisClient } from '../../src/storage/index.js'
import { closedPort, openTestRedis, silentServer } from '../support/redis.js'
import { stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const NOT_READY_HEADERS = { ...JSON_TYPE, 'cache-control': 'no-store', 'retry-after': '5' }

/** A driver's error as it really reads: with the connection URL and its password in it. */
const DRIVER_ERROR = 'connect ECONNREFUSED redis://default:hunter2@cache:6379'
const failing = async (): Promise<never> => { throw new Error(DRIVER_ERROR) }
const hanging = (): Promise<never> => new Promise(() => undefined)

function collect(): { stream: Writable; text: () => string } {
  const chunks: string[] = []
  return {
    stream: new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done() } }),
    text: () => chunks.join(''),
  }
}

async function appWith(options: { ping?: Store['ping']; redis?: Pingable; logs?: Writable }): Promise<FastifyInstance> {
  const store = options.ping === undefined ? server.store : { ...server.store, ping: options.ping }
  return buildApp({
    config: testConfig({ logLevel: 'warn' }), store, tokens: server.tokens, hasher: server.hasher,
    ...(options.redis === undefined ? {} : { redis: options.redis }),
    logger: options.logs ?? collect().stream,           // warnings asserted where it matters, kept off the test output
  })
}

async function timedGet(app: FastifyInstance, url: string) {
  const started = performance.now()
  const res = await app.inject({ method: 'GET', url })
  return { res, ms: performance.now() - started }
}

const readyz = (app: FastifyInstance) => timedGet(app, '/readyz')

describe('GET /readyz', () => {
  it('200 when the database answers and Redis is not configured', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/readyz' })
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, 'cache-control': 'no-store' })
    expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'not configured' } })
  })

  it('200 when both the database and Redis answer', async () => {
    const app = await appWith({ redis: { ping: async () => 'PONG' } })
    try {
      const { res } = await readyz(app)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } })
    } finally {
      await app.close()
    }
  })

  it('503 + Retry-After naming Redis when it fails; the driver text goes only to the log, scrubbed', async () => {
    const logs = collect()
    const app = await appWith({ redis: { ping: failing }, logs: logs.stream })
    try {
      const { res } = await readyz(app)
      expect(res.statusCode).toBe(503)
      expect(stableHeaders(res.headers)).toEqual(NOT_READY_HEADERS)
      expect(res.json()).toEqual({ status: 'not ready', checks: { database: 'ok', redis: 'error' } })
      expect(res.body).not.toContain('ECONNREFUSED')
      const logged = logs.text().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'readiness check failed')
      expect(logged).toMatchObject({ level: 40, check: 'redis', err: { message: 'connect ECONNREFUSED redis://default:[Redacted]@cache:6379' } })
      expect(logs.text()).not.toContain('hunter2')
    } finally {
      await app.close()
    }
  })

  it('503 naming the database when its ping fails', async () => {
    const app = await appWith({ ping: failing, redis: { ping: async () => 'PONG' } })
    try {
      const { res } = await readyz(app)
      expect(res.statusCode).toBe(503)
      expect(stableHeaders(res.headers)).toEqual(NOT_READY_HEADERS)
      expect(res.json()).toEqual({ status: 'not ready', checks: { database: 'error', redis: 'ok' } })
    } finally {
      await app.close()
    }
  })

  it(`answers within its ${READINESS_TIMEOUT_MS} ms bound when the database and Redis hang`, async () => {
    const app = await appWith({ ping: hanging, redis: { ping: hanging } })
    try {
      const { res, ms } = await readyz(app)
      expect(res.statusCode).toBe(503)
      expect(stableHeaders(res.headers)).toEqual(NOT_READY_HEADERS)
      expect(res.json()).toEqual({ status: 'not ready', checks: { database: 'timeout', redis: 'timeout' } })
      // Both checks run at once: one bound, not two.
      expect(ms).toBeGreaterThanOrEqual(READINESS_TIMEOUT_MS - 50)
      expect(ms).toBeLessThan(READINESS_TIMEOUT_MS + 900)
    } finally {
      await app.close()
    }
  })

  it('recovers by itself once the database answers again', async () => {
    let up = false
    const app = await appWith({ ping: async () => { if (!up) throw new Error(DRIVER_ERROR) } })
    try {
      expect((await readyz(app)).res.statusCode).toBe(503)
      up = true
      expect((await readyz(app)).res.statusCode).toBe(200)
    } finally {
      await app.close()
    }
  })

  it('is in the API document, with its 503', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(Object.keys(doc.paths['/readyz'].get.responses)).toEqual(['200', '503'])
    expect(doc.paths['/readyz'].get.security).toBeUndefined()
  })
})

describe('GET /healthz is liveness only', () => {
  it('200 {"status": "ok"} even while the database is down or hanging', async () => {
    for (const ping of [failing, hanging]) {
      const app = await appWith({ ping })
      try {
        const { res, ms } = await timedGet(app, '/healthz')
        expect(res.statusCode).toBe(200)
        expect(res.json()).toEqual({ status: 'ok' })
        expect(ms).toBeLessThan(500)
      } finally {
        await app.close()
      }
    }
  })
})

describe('GET /readyz against a real Redis connection (as `tessera serve` makes one)', () => {
  it('ok while Redis answers', async () => {
    const redis = await openTestRedis()
    const app = await appWith({ redis })
    try {
      const { res } = await readyz(app)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } })
    } finally {
      await app.close()
      redis.disconnect()
    }
  })

  it('503 within the bound when nothing listens, or the server never answers', async () => {
    const silent = await silentServer()
    const clients = [createRedisClient(`redis://127.0.0.1:${await closedPort()}`), createRedisClient(silent.url)]
    try {
      for (const redis of clients) {
        const app = await appWith({ redis })
        try {
          const { res, ms } = await readyz(app)
          expect(res.statusCode).toBe(503)
          expect(res.headers['retry-after']).toBe('5')
          expect(res.json().checks.database).toBe('ok')
          expect(['error', 'timeout']).toContain(res.json().checks.redis)
          expect(ms).toBeLessThan(READINESS_TIMEOUT_MS + 900)
        } finally {
          await app.close()
        }
      }
    } finally {
      for (const redis of clients) redis.disconnect()
      await silent.close()
    }
  })
})
