import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/core/index.js'
import { buildApp } from '../../src/http/app.js'
import { FORM, PASSWORD, form, stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

// SPEC.md "Conventions": every error is JSON, no 5xx from client input, trailing slashes ignored.
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

describe('404 and 405', () => {
  it('an unknown path: 404 {"detail": "Not Found"}', async () => {
    for (const url of ['/nope', '/users/me/items/extra', '/users/me%00', '/%00', '/users/..%2fstatus', '/docs/static/missing.js', '/docs/static/..%2f..%2fpackage.json']) {
      const res = await server.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(404)
      // Under /docs the answer also carries the docs' Content-Security-Policy.
      const { 'content-security-policy': _csp, ...headers } = stableHeaders(res.headers)
      expect(headers).toEqual(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Not Found' })
    }
  })

  it('a known path with another method: 405 with Allow', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/users/me', 'GET, HEAD'],
      ['PUT', '/token', 'POST'],
      ['GET', '/token', 'POST'],
      ['PATCH', '/users/me/items', 'GET, HEAD, POST'],
      ['OPTIONS', '/status', 'GET, HEAD'],
      ['DELETE', '/users/', 'POST'],
    ]
    for (const [method, url, allow] of cases) {
      const res = await server.app.inject({ method: method as 'GET', url })
      expect(res.statusCode, `${method} ${url}`).toBe(405)
      expect(stableHeaders(res.headers)).toEqual({ ...JSON_TYPE, allow })
      expect(res.json()).toEqual({ detail: 'Method Not Allowed' })
    }
  })

  it('malformed or hostile paths: a 4xx in our shape, never a 5xx', async () => {
    for (const url of ['/users/%E0%A4%A', '/docs/static/%00', `/docs/static/${'a'.repeat(5000)}`, '/docs/static/%c0%ae%c0%ae/x']) {
      const res = await server.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400)
      expect(res.statusCode, url).toBeLessThan(500)
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(Object.keys(res.json())).toEqual(['detail'])
      expect(res.body).not.toContain('%')
    }
  })
})

describe('trailing slash: the same resource, no redirect', () => {
  it('POST /token/ logs in, GET /status/ answers, POST /users/ validates', async () => {
    const token = await server.app.inject({ method: 'POST', url: '/token/', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }) })
    expect(token.statusCode).toBe(200)
    const status = await server.app.inject({ method: 'GET', url: '/status/', headers: { authorization: `Bearer ${token.json().access_token}` } })
    expect(status.statusCode).toBe(200)
    expect(status.json()).toEqual({ status: 'ok' })
    const users = await server.app.inject({ method: 'POST', url: '/users/', payload: {} })
    expect(users.statusCode).toBe(422)
    const health = await server.app.inject({ method: 'GET', url: '/healthz/' })
    expect(health.statusCode).toBe(200)
  })
})

describe('request ids', () => {
  it('a well-formed X-Request-Id is echoed; otherwise one is generated', async () => {
    const given = await server.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-abc.123' } })
    expect(given.headers['x-request-id']).toBe('trace-abc.123')
    const generated = await server.app.inject({ method: 'GET', url: '/nope' })
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const forged = await server.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'x"\u007f{"level":60}' } })
    expect(forged.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('errors carry it too', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/users', headers: { 'x-request-id': 'req-415', 'content-type': 'text/plain' }, payload: 'x' })
    expect(res.statusCode).toBe(415)
    expect(res.headers['x-request-id']).toBe('req-415')
  })
})

describe('hostile input: always a 4xx, never a 5xx', () => {
  const bodies: [string | undefined, string | Buffer][] = [
    ['application/json', '['.repeat(30_000)],
    ['application/json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
    ['application/json', `{"username": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}, "item_id": ${'['.repeat(9000)}${']'.repeat(9000)}}`],
    ['application/json', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ['application/json; charset=utf-16', '{"username":"x"}'],
    ['application/json', 'null'],
    ['application/json', '1e999'],
    ['application/json', '{"username":{"$ne":null},"password":{"$gt":""},"item_id":{"$where":"1"}}'],
    ['application/json', '{"__proto__":{"admin":true},"username":"x"}'],
    ['application/json', '{"constructor":{"prototype":{"admin":true}}}'],
    ['application/json', '{"item_id":"\\ud800","username":"\\udfff"}'],
    ['application/x-www-form-urlencoded', Buffer.from([0xff, 0xfe, 0x3d, 0x25, 0x25])],
    ['application/x-www-form-urlencoded', 'username=%ZZ&password=%&scope=%00'],
    ['application/x-www-form-urlencoded', '__proto__[x]=1&constructor[prototype][y]=2&username=a&password=b'],
    ['multipart/form-data; boundary=', 'x'],
    ['multipart/form-data; boundary=a', '--a\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nx\r\n--a--\r\n'],
    ['multipart/form-data; boundary=a', '--a\r\nContent-Disposition: form-data; name="password"; filename="p.txt"\r\n\r\nsecret\r\n--a--\r\n'],
    [undefined, 'abc'],
    ['text/html', '<x>'],
  ]

  it('every body at every body-taking route', async () => {
    const authorization = server.bearer(server.users.johndoe)
    for (const url of ['/token', '/users', '/users/me/items']) {
      for (const [type, payload] of bodies) {
        const res = await server.app.inject({ method: 'POST', url, headers: { authorization, ...(type ? { 'content-type': type } : {}) }, payload })
        const what = `${url} ${type} ${String(payload).slice(0, 30)}`
        expect(res.statusCode, what).toBeGreaterThanOrEqual(400)
        expect(res.statusCode, what).toBeLessThan(500)
        expect(res.json(), what).toHaveProperty('detail')
      }
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
  })

  it('a lone surrogate is refused (422), an emoji is stored as sent', async () => {
    const authorization = server.bearer(server.users.johndoe)
    const lone = await server.app.inject({ method: 'POST', url: '/users/me/items', headers: { authorization, 'content-type': 'application/json' }, payload: '{"item_id":"a\\ud800"}' })
    expect(lone.statusCode).toBe(422)
    expect(lone.json().detail[0]).toMatchObject({ type: 'string_pattern_mismatch', loc: ['body', 'item_id'] })
    const emoji = await server.app.inject({ method: 'POST', url: '/users/me/items', headers: { authorization }, payload: { item_id: 'tea \u{1F375}' } })
    expect(emoji.statusCode).toBe(201)
    expect(emoji.json().item_id).toBe('tea \u{1F375}')
  })
})

describe('GET /healthz', () => {
  it('200 {"status": "ok"} without credentials', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz' })
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({ status: 'ok' })
  })
})

describe('failures that are not the client\'s: opaque 5xx, logged with the request id', () => {
  function collect(): { stream: Writable; lines: () => Record<string, unknown>[] } {
    const chunks: string[] = []
    const stream = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done() } })
    return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)) }
  }

  /** The real store, except that the database is "down". */
  function brokenStore(store: Store): Store {
    const down = async () => { throw new Error('connect ECONNREFUSED postgres://tessera:hunter2@db:5432') }
    return { ...store, ping: down, users: { ...store.users, findById: down, findByIdUnlessRevoked: down } }
  }

  it('a store outage on a protected route: 500 with nothing of the cause', async () => {
    const logs = collect()
    const app = await buildApp({
      config: testConfig({ logLevel: 'info' }), store: brokenStore(server.store), tokens: server.tokens, hasher: server.hasher, logger: logs.stream,
    })
    try {
      const res = await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: server.bearer(server.users.johndoe), 'x-request-id': 'req-500' } })
      expect(res.statusCode).toBe(500)
      expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Internal Server Error' })
      const logged = logs.lines().find((l) => l.msg === 'unhandled error')
      expect(logged).toMatchObject({ level: 50, reqId: 'req-500', err: { type: 'Error' } })
      expect(JSON.stringify(logged)).toContain('ECONNREFUSED postgres://tessera:[Redacted]@db:5432')
      expect(JSON.stringify(logs.lines())).not.toContain('hunter2')

      // Liveness does not hang on the database (restarting would not bring it back); readiness does.
      const health = await app.inject({ method: 'GET', url: '/healthz' })
      expect(health.statusCode).toBe(200)
      const ready = await app.inject({ method: 'GET', url: '/readyz' })
      expect(ready.statusCode).toBe(503)
      expect(stableHeaders(ready.headers)).toEqual({ ...JSON_TYPE, 'retry-after': '5', 'cache-control': 'no-store' })
      expect(ready.json()).toEqual({ status: 'not ready', checks: { database: 'error', redis: 'not configured' } })
      expect(JSON.stringify(logs.lines())).not.toContain('hunter2')
    } finally {
      await app.close()
    }
  })
})
