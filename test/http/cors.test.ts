import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

let server: TestServer
let app: FastifyInstance

const APP = 'https://app.example.com'
const DEV = 'http://localhost:3000'

beforeAll(async () => {
  server = await startTestServer()
  app = await buildApp({ config: testConfig({ corsOrigins: [APP, DEV] }), store: server.store, tokens: server.tokens, hasher: server.hasher })
})
afterAll(async () => {
  await app.close()
  await server.close()
})

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const EXPOSE = { 'access-control-expose-headers': 'WWW-Authenticate, Retry-After, X-Request-Id' }

function corsHeadersOf(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'))
}

function preflight(target: FastifyInstance, url: string, origin: string, method: string, requestHeaders?: string) {
  return target.inject({
    method: 'OPTIONS', url,
    headers: { origin, 'access-control-request-method': method, ...(requestHeaders ? { 'access-control-request-headers': requestHeaders } : {}) },
  })
}

describe('CORS with no TESSERA_CORS_ORIGINS (the default)', () => {
  it('sends no CORS header at all, whatever the Origin', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz', headers: { origin: APP } })
    expect(res.statusCode).toBe(200)
    expect(corsHeadersOf(res.headers)).toEqual({})
  })

  it('leaves a preflight to the usual 405 + Allow, which browsers read as "not allowed"', async () => {
    const res = await preflight(server.app, '/token', APP, 'POST', 'content-type')
    expect(res.statusCode).toBe(405)
    expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, allow: 'POST' })
  })
})

describe('CORS with an allow-list', () => {
  it('echoes a listed origin on answers, errors included, and lets the client read the challenge', async () => {
    for (const origin of [APP, DEV]) {
      const ok = await app.inject({ method: 'GET', url: '/healthz', headers: { origin } })
      expect(corsHeadersOf(ok.headers)).toEqual({ 'access-control-allow-origin': origin, vary: 'Origin', ...EXPOSE })
    }
    const denied = await app.inject({ method: 'GET', url: '/users/me', headers: { origin: APP } })
    expect(denied.statusCode).toBe(401)
    expect(corsHeadersOf(denied.headers)).toEqual({ 'access-control-allow-origin': APP, vary: 'Origin', ...EXPOSE })
  })

  it('answers a listed origin\'s preflight with 204 and what it may send, cacheable for 10 minutes', async () => {
    const res = await preflight(app, '/token', APP, 'POST', 'content-type')
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect(stableHeaders(res.headers)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      vary: 'Origin',
    })
    const me = await preflight(app, '/users/me', DEV, 'GET', 'authorization')
    expect(me.statusCode).toBe(204)
    expect(me.headers['access-control-allow-origin']).toBe(DEV)
  })

  it('matches origins exactly: no suffix, case, scheme or port games, and never "null"', async () => {
    for (const origin of ['https://app.example.com.evil.test', 'https://evil.test', 'http://app.example.com', 'https://app.example.com:8443', 'HTTPS://APP.EXAMPLE.COM', 'null']) {
      const res = await app.inject({ method: 'GET', url: '/healthz', headers: { origin } })
      expect(corsHeadersOf(res.headers), origin).toEqual({ vary: 'Origin' })
      const pre = await preflight(app, '/token', origin, 'POST')
      expect(pre.statusCode, origin).toBe(405)
      expect(corsHeadersOf(pre.headers), origin).toEqual({ vary: 'Origin' })
    }
  })

  it('says Vary: Origin on answers without an Origin too, so a cache never serves one origin\'s answer to another', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expect(corsHeadersOf(res.headers)).toEqual({ vary: 'Origin' })
  })

  it('keeps 405 + Allow for OPTIONS that is not a preflight, and 404 for unknown paths', async () => {
    const known = await app.inject({ method: 'OPTIONS', url: '/status', headers: { origin: APP } })
    expect(known.statusCode).toBe(405)
    expect(known.headers.allow).toBe('GET, HEAD')
    expect(known.json()).toEqual({ detail: 'Method Not Allowed' })
    const unknown = await app.inject({ method: 'OPTIONS', url: '/nope' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ detail: 'Not Found' })
    const plain = await app.inject({ method: 'OPTIONS', url: '/status' })
    expect(plain.statusCode).toBe(405)
  })
})
