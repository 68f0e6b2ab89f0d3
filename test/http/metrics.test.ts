import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { HashAdmission } from '../../src/core/index.js'
import { buildApp } from '../../src/http/app.js'
import { PrometheusMetrics } from '../../src/http/metrics.js'
import { FORM, PASSWORD, form, startTestServer, testConfig, type TestServer } from './test-server.js'

let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

/** One sample of a Prometheus text exposition: metric name, labels, value. */
interface Sample { name: string; labels: Record<string, string>; value: number }

function parse(text: string): Sample[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (match === null) throw new Error(`not an exposition line: ${line}`)
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    return { name: match[1] as string, labels, value: Number(match[3]) }
  })
}

/** The value of the series with exactly these labels; undefined when it does not exist. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort())
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value
}

async function scrape(app: FastifyInstance): Promise<Sample[]> {
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  expect(res.statusCode).toBe(200)
  return parse(res.body)
}

/** An app of its own (own registry) on the shared test server's store. */
function appWith(config: Partial<Config>, extra: { metrics?: PrometheusMetrics; admission?: HashAdmission } = {}): Promise<FastifyInstance> {
  return buildApp({ config: testConfig(config), store: server.store, tokens: server.tokens, hasher: server.hasher, ...extra })
}

describe('GET /metrics', () => {
  it('is Prometheus text, never cached, and not in the API document', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.body).toContain('# TYPE http_requests_total counter')
    expect(res.body).toContain('# TYPE http_request_duration_seconds histogram')
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.paths['/metrics']).toBeUndefined()
  })

  it("starts every login and token series at 0 and includes prom-client's process metrics", async () => {
    const app = await appWith({})
    try {
      const samples = await scrape(app)
      for (const outcome of ['succeeded', 'failed', 'throttled']) expect(value(samples, 'tessera_logins_total', { outcome })).toBe(0)
      for (const kind of ['issued', 'refreshed', 'revoked']) expect(value(samples, 'tessera_tokens_total', { kind })).toBe(0)
      expect(value(samples, 'tessera_hash_queue_depth')).toBe(0)
      expect(value(samples, 'tessera_hash_in_flight')).toBe(0)
      expect(value(samples, 'tessera_hash_wait_seconds_count')).toBe(0)
      for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
        expect(samples.some((s) => s.name === name), name).toBe(true)
      }
    } finally {
      await app.close()
    }
  })

  it('counts requests by method, route pattern and status; unknown paths share one label', async () => {
    const app = await appWith({})
    try {
      const authorization = server.bearer(server.users.johndoe)
      await app.inject({ method: 'GET', url: '/status', headers: { authorization } })
      await app.inject({ method: 'GET', url: '/status/', headers: { authorization } })
      await app.inject({ method: 'GET', url: '/status' })
      await app.inject({ method: 'GET', url: '/no/such/path-1' })
      await app.inject({ method: 'GET', url: '/no/such/path-2?x=1' })
      await app.inject({ method: 'DELETE', url: '/users/me' })
      await app.inject({ method: 'GET', url: '/docs/static/swagger-ui.css' })
      const samples = await scrape(app)
      expect(value(samples, 'http_requests_total', { method: 'GET', route: '/status', status: '200' })).toBe(2)
      expect(value(samples, 'http_requests_total', { method: 'GET', route: '/status', status: '401' })).toBe(1)
      expect(value(samples, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(2)
      expect(value(samples, 'http_requests_total', { method: 'DELETE', route: 'unmatched', status: '405' })).toBe(1)
      expect(value(samples, 'http_requests_total', { method: 'GET', route: '/docs/static/*', status: '200' })).toBe(1)
      expect(samples.filter((s) => s.labels.route?.includes('path-'))).toEqual([])
      expect(value(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/status' })).toBe(3)
      expect(value(samples, 'http_request_duration_seconds_bucket', { method: 'GET', route: '/status', le: '+Inf' })).toBe(3)
    } finally {
      await app.close()
    }
  })

  it('counts logins by outcome and the tokens they issue; a malformed request is no login', async () => {
    const app = await appWith({})
    try {
      const login = (username: string, password: string) =>
        app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username, password }) })
      expect((await login('johndoe', PASSWORD)).statusCode).toBe(200)
      expect((await login('johndoe', 'wrong password')).statusCode).toBe(401)
      expect((await login('nobody', PASSWORD)).statusCode).toBe(401)
      expect((await login('alice', PASSWORD)).statusCode).toBe(400)                       // disabled
      expect((await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe' }) })).statusCode).toBe(422)
      const samples = await scrape(app)
      expect(value(samples, 'tessera_logins_total', { outcome: 'succeeded' })).toBe(1)
      expect(value(samples, 'tessera_logins_total', { outcome: 'failed' })).toBe(3)
      expect(value(samples, 'tessera_logins_total', { outcome: 'throttled' })).toBe(0)
      expect(value(samples, 'tessera_tokens_total', { kind: 'issued' })).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('counts a login refused by the brute-force limit as throttled, not failed', async () => {
    const app = await appWith({ loginMaxFailures: 2 })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 3; i += 1) {
        const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'bob', password: 'wrong password' }) })
        statuses.push(res.statusCode)
      }
      expect(statuses).toEqual([401, 401, 429])
      const samples = await scrape(app)
      expect(value(samples, 'tessera_logins_total', { outcome: 'failed' })).toBe(2)
      expect(value(samples, 'tessera_logins_total', { outcome: 'throttled' })).toBe(1)
      expect(value(samples, 'http_requests_total', { method: 'POST', route: '/token', status: '429' })).toBe(1)
    } finally {
      await app.close()
    }
  })

  it('reads the hash queue at scrape time and records how long hashes waited', async () => {
    const metrics = new PrometheusMetrics()
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 4, onAdmitted: (s) => metrics.hashAdmitted(s) })
    const app = await appWith({}, { metrics, admission })
    try {
      let release!: () => void
      const held = new Promise<void>((resolve) => { release = resolve })
      const runs = [admission.run(() => held), admission.run(async () => undefined), admission.run(async () => undefined)]
      let samples = await scrape(app)
      expect(value(samples, 'tessera_hash_in_flight')).toBe(1)
      expect(value(samples, 'tessera_hash_queue_depth')).toBe(2)
      await new Promise((resolve) => setTimeout(resolve, 20))
      release()
      await Promise.all(runs)
      samples = await scrape(app)
      expect(value(samples, 'tessera_hash_in_flight')).toBe(0)
      expect(value(samples, 'tessera_hash_queue_depth')).toBe(0)
      expect(value(samples, 'tessera_hash_wait_seconds_count')).toBe(3)
      expect(value(samples, 'tessera_hash_wait_seconds_bucket', { le: '0.001' })).toBe(1)      // the one that found a free slot
      expect(value(samples, 'tessera_hash_wait_seconds_sum')).toBeGreaterThanOrEqual(0.03)   // two waited ~20 ms each
    } finally {
      await app.close()
    }
  })

  it('keeps each app on its own registry', async () => {
    const [a, b] = [await appWith({}), await appWith({})]
    try {
      await a.inject({ method: 'GET', url: '/healthz' })
      await a.inject({ method: 'GET', url: '/healthz' })
      expect(value(await scrape(a), 'http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(2)
      expect(value(await scrape(b), 'http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBeUndefined()
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('is not served at all with TESSERA_METRICS=off', async () => {
    const app = await appWith({ metrics: false })
    try {
      const res = await app.inject({ method: 'GET', url: '/metrics' })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toEqual({ detail: 'Not Found' })
    } finally {
      await app.close()
    }
  })
})

describe('GET /metrics with TESSERA_METRICS_TOKEN', () => {
  const token = 'scrape-token-0123456789'
  let app: FastifyInstance

  beforeAll(async () => { app = await appWith({ metricsToken: token }) })
  afterAll(async () => { await app.close() })

  it('asks for the bearer token when none is sent', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(res.json()).toEqual({ detail: 'Not authenticated' })
  })

  it('refuses a wrong token with invalid_token and says nothing of the right one', async () => {
    for (const wrong of ['scrape-token-012345678', 'scrape-token-01234567890', 'x']) {
      const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${wrong}` } })
      expect(res.statusCode, wrong).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/)
      expect(res.body).not.toContain(token)
    }
  })

  it('serves the scrape to the right token', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('tessera_logins_total')
  })
})
