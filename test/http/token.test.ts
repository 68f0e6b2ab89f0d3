import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { HashAdmission, createPasswordHasher } from '../../src/core/index.js'
import { buildApp } from '../../src/http/app.js'
import { FORM, PASSWORD, form, stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

// SPEC.md "POST /token": RFC 6749 §4.3 with FastAPI's form, messages and lax grant_type.
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })
beforeEach(() => { Object.assign(server.hasher.calls, { hash: 0, verify: 0, verifyDummy: 0 }) })

const NO_STORE_JSON = { 'cache-control': 'no-store', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' }
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

function login(fields: Record<string, string>) {
  return server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form(fields) })
}

function multipart(fields: Record<string, string>): { headers: Record<string, string>; payload: string } {
  const boundary = '----tessera-test-boundary'
  const parts = Object.entries(fields)
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: `${parts.join('')}--${boundary}--\r\n` }
}

describe('POST /token: success', () => {
  it('issues a bearer JWT for the user with their default scopes, never cached', async () => {
    const res = await login({ username: 'johndoe', password: PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'])
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/) // 256 bits (test/http/refresh.test.ts covers it)
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1800, scope: 'me items' })
    expect(body.access_token).toMatch(JWT)
    const claims = server.tokens.verify(body.access_token)
    expect(claims).toMatchObject({ sub: server.users.johndoe.id, scope: ['me', 'items'], iss: 'http://tessera.test' })
    expect(claims.exp - claims.iat).toBe(1800)
  })

  it('accepts grant_type=password and a username in another case', async () => {
    const res = await login({ grant_type: 'password', username: 'JohnDoe', password: PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(res.json().scope).toBe('me items')
  })

  it('refuses an unregistered client_id and client_secret: 401 invalid_client, before any hashing (test/http/clients.test.ts)', async () => {
    const res = await login({ grant_type: 'password', username: 'JohnDoe', password: PASSWORD, client_id: 'web', client_secret: 's3cret' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Basic realm="tessera"')
    expect(res.json()).toEqual({ detail: 'Client authentication failed', error: 'invalid_client', error_description: 'Client authentication failed' })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('accepts multipart/form-data, as FastAPI\'s form does', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', ...multipart({ username: 'johndoe', password: PASSWORD, scope: 'me' }) })
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json().scope).toBe('me')
  })

  it('narrows scopes: the grant is requested ∩ allowed', async () => {
    const onlyMe = await login({ username: 'johndoe', password: PASSWORD, scope: 'me' })
    expect(onlyMe.json().scope).toBe('me')
    expect(server.tokens.verify(onlyMe.json().access_token).scope).toEqual(['me'])
    const bob = await login({ username: 'bob', password: PASSWORD, scope: 'items me' })
    expect(bob.statusCode).toBe(200)
    expect(bob.json().scope).toBe('me')
  })

  it('treats empty form values as absent (FastAPI): grant_type= means password', async () => {
    const res = await login({ grant_type: '', username: 'johndoe', password: PASSWORD, scope: '' })
    expect(res.statusCode).toBe(200)
    expect(res.json().scope).toBe('me items')
  })
})

describe('POST /token: refusals', () => {
  const incorrect = { detail: 'Incorrect username or password', error: 'invalid_grant', error_description: 'Incorrect username or password' }

  it('wrong password: 401 invalid_grant with WWW-Authenticate: Bearer', async () => {
    const res = await login({ username: 'johndoe', password: 'wrong password' })
    expect(res.statusCode).toBe(401)
    expect(stableHeaders(res.headers)).toEqual({ ...NO_STORE_JSON, 'www-authenticate': 'Bearer' })
    expect(res.json()).toEqual(incorrect)
  })

  it('unknown user: the same answer, after a dummy verification of the same cost', async () => {
    const res = await login({ username: 'nobody', password: 'wrong password' })
    expect(res.statusCode).toBe(401)
    expect(stableHeaders(res.headers)).toEqual({ ...NO_STORE_JSON, 'www-authenticate': 'Bearer' })
    expect(res.json()).toEqual(incorrect)
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 1 })
  })

  it('disabled user with the right password: 400 Inactive user, no token', async () => {
    const res = await login({ username: 'alice', password: PASSWORD })
    expect(res.statusCode).toBe(400)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({ detail: 'Inactive user', error: 'invalid_grant', error_description: 'Inactive user' })
  })

  it('unknown grant type: 400 unsupported_grant_type, judged before the other fields and any hashing', async () => {
    const res = await login({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code' })
    expect(res.statusCode).toBe(400)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({ detail: 'Unsupported grant type', error: 'unsupported_grant_type', error_description: 'Unsupported grant type' })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('unknown scope: 400 invalid_scope', async () => {
    const res = await login({ username: 'johndoe', password: PASSWORD, scope: 'me admin' })
    expect(res.statusCode).toBe(400)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({ detail: 'Unknown scope requested', error: 'invalid_scope', error_description: 'Unknown scope requested' })
  })

  it('missing fields: 422 in pydantic\'s shape, still not cached', async () => {
    const res = await login({})
    expect(res.statusCode).toBe(422)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({
      detail: [
        { type: 'missing', loc: ['body', 'username'], msg: 'Field required', input: null },
        { type: 'missing', loc: ['body', 'password'], msg: 'Field required', input: null },
      ],
    })
  })

  it('no body at all: the same 422', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token' })
    expect(res.statusCode).toBe(422)
    expect(res.json().detail.map((d: { loc: string[] }) => d.loc)).toEqual([['body', 'username'], ['body', 'password']])
  })

  it('JSON instead of a form: 422 Field required, as FastAPI (the JSON is not read as the form)', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', payload: { username: 'johndoe', password: PASSWORD } })
    expect(res.statusCode).toBe(422)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({
      detail: [
        { type: 'missing', loc: ['body', 'username'], msg: 'Field required', input: null },
        { type: 'missing', loc: ['body', 'password'], msg: 'Field required', input: null },
      ],
    })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('a repeated field: 422 string_type (RFC 6749 §3.2: parameters appear once)', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `username=johndoe&username=bob&password=x` })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_type', loc: ['body', 'username'], msg: 'Input should be a valid string', input: ['johndoe', 'bob'] }],
    })
  })

  it('a repeated password is refused without echoing either value', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `username=johndoe&password=first-secret&password=second-secret` })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({ detail: [{ type: 'string_type', loc: ['body', 'password'], msg: 'Input should be a valid string' }] })
  })

  it('a password over passwordMaxBytes: 422 before any hashing, the password not echoed', async () => {
    const res = await login({ username: 'johndoe', password: 'p'.repeat(1025) })
    expect(res.statusCode).toBe(422)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_too_long', loc: ['body', 'password'], msg: 'String should have at most 1024 bytes', ctx: { max_length: 1024 } }],
    })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('a 1 MB password: 413 before the body is even parsed, let alone hashed', async () => {
    const res = await login({ username: 'johndoe', password: 'p'.repeat(1024 * 1024) })
    expect(res.statusCode).toBe(413)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({ detail: 'Request body too large' })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('an oversized multipart body: 413 (a truncated password is never tried)', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', ...multipart({ username: 'johndoe', password: 'p'.repeat(70_000) }) })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toEqual({ detail: 'Request body too large' })
    expect(server.hasher.calls).toEqual({ hash: 0, verify: 0, verifyDummy: 0 })
  })

  it('multipart without a boundary: 400 invalid_request, not a 5xx', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'multipart/form-data' }, payload: 'username=johndoe' })
    expect(res.statusCode).toBe(400)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    expect(res.json()).toEqual({ detail: 'Malformed multipart body', error: 'invalid_request', error_description: 'Malformed multipart body' })
  })

  it('truncated or garbled multipart parts are fields not sent: 422, not a 5xx', async () => {
    for (const payload of [
      '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\njohn',
      '--x\r\nnot a header\r\n\r\nvalue\r\n--x--\r\n',
    ]) {
      const res = await server.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload })
      expect(res.statusCode).toBe(422)
      expect(res.json().detail.map((d: { loc: string[] }) => d.loc)).toEqual([['body', 'username'], ['body', 'password']])
    }
  })

  it('NUL bytes and SQL-looking usernames are just wrong credentials', async () => {
    for (const username of ['john\u0000doe', "johndoe' OR '1'='1", 'johndoe"; DROP TABLE users; --']) {
      const res = await login({ username, password: PASSWORD })
      expect(res.statusCode, username).toBe(401)
      expect(res.json()).toEqual(incorrect)
    }
    expect((await server.store.users.list()).length).toBe(3)
  })
})

describe('POST /token under a login storm', () => {
  it('past the hashing queue\'s bound: 503 with Retry-After, still not cached', async () => {
    const hasher = createPasswordHasher({ admission: new HashAdmission({ concurrency: 1, queueLimit: 0 }) })
    const app = await buildApp({ config: testConfig(), store: server.store, tokens: server.tokens, hasher })
    try {
      const attempt = () => app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }) })
      const results = await Promise.all([attempt(), attempt(), attempt()])
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 503, 503])
      const refused = results.find((r) => r.statusCode === 503)!
      expect(stableHeaders(refused.headers)).toEqual({ ...NO_STORE_JSON, 'retry-after': '1' })
      expect(refused.json()).toEqual({ detail: 'Service temporarily unavailable, retry later' })
    } finally {
      await app.close()
    }
  })
})
