import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { FORM, PASSWORD, SECURITY_HEADERS, form, startTestServer, testConfig, type TestServer } from './test-server.js'

let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

/** The policy the docs pages set for themselves (src/http/routes/docs.ts): kept, not replaced. */
const DOCS_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'"

const SECURITY_NAMES = [...Object.keys(SECURITY_HEADERS), 'strict-transport-security']

function securityHeadersOf(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => SECURITY_NAMES.includes(name)))
}

describe('security headers', () => {
  it('are on every kind of answer: success, 401, 404, 405, 415, 422, a malformed URL, the token endpoint, /metrics', async () => {
    const requests = [
      { method: 'GET', url: '/healthz', status: 200 },
      { method: 'GET', url: '/openapi.json', status: 200 },
      { method: 'GET', url: '/metrics', status: 200 },
      { method: 'GET', url: '/users/me', status: 401 },
      { method: 'GET', url: '/nope', status: 404 },
      { method: 'DELETE', url: '/users/me', status: 405 },
      { method: 'OPTIONS', url: '/status', status: 405 },
      { method: 'POST', url: '/users', headers: { 'content-type': 'text/plain' }, payload: 'x', status: 415 },
      { method: 'POST', url: '/users', payload: {}, status: 422 },
      { method: 'GET', url: '/users/%E0%A4%A', status: 400 },
      { method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: 'wrong password' }), status: 401 },
      { method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }), status: 200 },
    ] as const
    for (const { status, ...request } of requests) {
      const res = await server.app.inject(request)
      expect(res.statusCode, `${request.method} ${request.url}`).toBe(status)
      expect(securityHeadersOf(res.headers), `${request.method} ${request.url}`).toEqual(SECURITY_HEADERS)
    }
  })

  it('keep the docs pages\' own Content-Security-Policy, so Swagger UI and ReDoc still load', async () => {
    // /docs/ redirects to /docs (as FastAPI's Starlette does): from /docs/ the relative tokenUrl and authorizationUrl would miss.
    const slash = await server.app.inject({ method: 'GET', url: '/docs/' })
    expect(slash.statusCode).toBe(308)
    expect(slash.headers.location).toBe('/docs')
    for (const url of ['/docs', '/docs/json', '/redoc']) {
      const res = await server.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
      expect(securityHeadersOf(res.headers), url).toEqual({ ...SECURITY_HEADERS, 'content-security-policy': DOCS_CSP })
    }
  })

  it('leave out Strict-Transport-Security unless TESSERA_HSTS is on, then send it everywhere', async () => {
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).headers['strict-transport-security']).toBeUndefined()
    const app = await buildApp({ config: testConfig({ hsts: true }), store: server.store, tokens: server.tokens, hasher: server.hasher })
    try {
      for (const url of ['/healthz', '/nope', '/docs', '/users/%E0%A4%A']) {
        const res = await app.inject({ method: 'GET', url })
        expect(res.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains')
      }
    } finally {
      await app.close()
    }
  })
})
