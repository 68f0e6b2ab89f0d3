import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/http/app.js'
import { stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

// SPEC.md "Users": POST /users registration.
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })
beforeEach(() => { Object.assign(server.hasher.calls, { hash: 0, verify: 0, verifyDummy: 0 }) })

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function register(payload: unknown) {
  return server.app.inject({ method: 'POST', url: '/users', payload: payload as Record<string, unknown> })
}

describe('POST /users: 201', () => {
  it('creates the user and shows the public user, storing an argon2id hash', async () => {
    const res = await register({ username: 'newcomer', password: 'long enough', email: 'new@example.com', full_name: 'New Comer' })
    expect(res.statusCode).toBe(201)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    const body = res.json()
    expect(body).toEqual({ id: body.id, username: 'newcomer', email: 'new@example.com', email_verified: false, full_name: 'New Comer', disabled: false })
    expect(body.id).toMatch(UUID)
    const stored = await server.store.users.findById(body.id)
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/)
    expect(stored?.scopes).toEqual(['me', 'items'])
    expect(res.body).not.toContain('argon2')
  })

  it('email and full_name are optional (null when absent)', async () => {
    const res = await register({ username: 'minimal', password: 'long enough', email: null })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ username: 'minimal', email: null, full_name: null })
  })

  it('a SQL-looking username is just a name', async () => {
    const username = "robert'); DROP TABLE users;--"
    const res = await register({ username, password: 'long enough' })
    expect(res.statusCode).toBe(201)
    expect(res.json().username).toBe(username)
    expect((await server.store.users.findByUsername(username))?.username).toBe(username)
    expect((await server.store.users.findByUsername('johndoe'))?.username).toBe('johndoe')
  })
})

describe('POST /users: 409', () => {
  it('a taken username, ignoring case and NFKC compatibility forms', async () => {
    for (const username of ['johndoe', 'JohnDoe', '\uFF4A\uFF4F\uFF48\uFF4E\uFF44\uFF4F\uFF45']) {
      const res = await register({ username, password: 'long enough' })
      expect(res.statusCode, username).toBe(409)
      expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Username already registered' })
    }
  })

  it('concurrent registrations of one name: exactly one succeeds', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => register({ username: 'racer', password: 'long enough' })))
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409])
    expect((await server.store.users.list()).filter((u) => u.username === 'racer')).toHaveLength(1)
  })
})

describe('POST /users: 422 in pydantic\'s shape, before any hashing', () => {
  beforeEach(() => { server.hasher.calls.hash = 0 })

  it('missing fields', async () => {
    const res = await register({})
    expect(res.statusCode).toBe(422)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({
      detail: [
        { type: 'missing', loc: ['body', 'username'], msg: 'Field required', input: null },
        { type: 'missing', loc: ['body', 'password'], msg: 'Field required', input: null },
      ],
    })
    expect(server.hasher.calls.hash).toBe(0)
  })

  it('wrong types: echoed input, except for the password', async () => {
    const res = await register({ username: 123, password: true, email: 5 })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [
        { type: 'string_type', loc: ['body', 'username'], msg: 'Input should be a valid string', input: 123 },
        { type: 'string_type', loc: ['body', 'password'], msg: 'Input should be a valid string' },
        { type: 'string_type', loc: ['body', 'email'], msg: 'Input should be a valid string', input: 5 },
      ],
    })
  })

  it('the policy: short username, short password (not echoed), malformed email', async () => {
    const res = await register({ username: 'ab', password: 'short', email: 'not-an-email' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [
        { type: 'value_error', loc: ['body', 'email'], msg: 'value is not a valid email address', input: 'not-an-email' },
      ],
    })
    const policy = await register({ username: 'ab', password: 'short' })
    expect(policy.json()).toEqual({
      detail: [
        { type: 'string_too_short', loc: ['body', 'username'], msg: 'String should have at least 3 characters', input: 'ab', ctx: { min_length: 3 } },
        { type: 'string_too_short', loc: ['body', 'password'], msg: 'String should have at least 8 characters', ctx: { min_length: 8 } },
      ],
    })
    expect(server.hasher.calls.hash).toBe(0)
  })

  it('a username over 50 characters', async () => {
    const username = 'u'.repeat(51)
    const res = await register({ username, password: 'long enough' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_too_long', loc: ['body', 'username'], msg: 'String should have at most 50 characters', input: username, ctx: { max_length: 50 } }],
    })
  })

  it('NUL bytes in username, password and full_name', async () => {
    const res = await register({ username: 'nul\u0000name', password: 'pass\u0000word', full_name: 'A\u0000B' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_pattern_mismatch', loc: ['body', 'full_name'], msg: "String should match pattern '^[^\\u0000\\uD800-\\uDFFF]*$'", input: 'A\u0000B', ctx: { pattern: '^[^\\u0000\\uD800-\\uDFFF]*$' } }],
    })
    const core = await register({ username: 'nul\u0000name', password: 'pass\u0000word' })
    expect(core.json()).toEqual({
      detail: [
        { type: 'value_error', loc: ['body', 'username'], msg: 'Value error, Username must not contain control characters', input: 'nul\u0000name' },
        { type: 'value_error', loc: ['body', 'password'], msg: 'Value error, Password must not contain NUL characters' },
      ],
    })
    expect(server.hasher.calls.hash).toBe(0)
  })

  it('a password over passwordMaxBytes (multi-byte characters count as bytes)', async () => {
    const res = await register({ username: 'longpass', password: '\u00e9'.repeat(513) })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_too_long', loc: ['body', 'password'], msg: 'String should have at most 1024 bytes', ctx: { max_length: 1024 } }],
    })
    expect(server.hasher.calls.hash).toBe(0)
  })

  it('no body, a JSON array, a JSON string, broken JSON', async () => {
    const none = await server.app.inject({ method: 'POST', url: '/users' })
    expect(none.statusCode).toBe(422)
    expect(none.json()).toEqual({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] })

    const emptyJson = await server.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '' })
    expect(emptyJson.statusCode).toBe(422)
    expect(emptyJson.json()).toEqual({ detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }] })

    const array = await register([1, 2])
    expect(array.statusCode).toBe(422)
    expect(array.json()).toEqual({
      detail: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: [1, 2] }],
    })

    const broken = await server.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': 'application/json' }, payload: '{"username": "x", "password": ' })
    expect(broken.statusCode).toBe(422)
    expect(broken.json()).toEqual({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Invalid JSON' } }] })
  })

  it('a whole body echoed for a type error loses its secret members', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/users', payload: [{ username: 'x', password: 'hunter2-secret' }] })
    expect(res.statusCode).toBe(422)
    expect(res.json().detail[0].input).toEqual([{ username: 'x' }])
    expect(res.body).not.toContain('hunter2')
  })
})

describe('POST /users: transport refusals', () => {
  it('415 for a body that is neither JSON nor a form it reads', async () => {
    for (const [type, payload] of [['text/plain', 'username=x'], ['application/xml', '<user/>'], ['application/x-www-form-urlencoded', 'username=x&password=long+enough']]) {
      const res = await server.app.inject({ method: 'POST', url: '/users', headers: { 'content-type': type as string }, payload })
      expect(res.statusCode, type).toBe(415)
      expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Unsupported media type' })
    }
  })

  it('413 for a JSON body over the limit, before hashing', async () => {
    const res = await register({ username: 'big', password: 'p'.repeat(1024 * 1024) })
    expect(res.statusCode).toBe(413)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({ detail: 'Request body too large' })
    expect(server.hasher.calls.hash).toBe(0)
  })
})

describe('POST /users with registration closed', () => {
  it('403 Registration is closed, whatever the body, without hashing', async () => {
    const closed = await buildApp({ config: testConfig({ registration: 'closed' }), store: server.store, tokens: server.tokens, hasher: server.hasher })
    try {
      for (const payload of [{ username: 'someone', password: 'long enough' }, {}]) {
        const res = await closed.inject({ method: 'POST', url: '/users', payload })
        expect(res.statusCode).toBe(403)
        expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
        expect(res.json()).toEqual({ detail: 'Registration is closed' })
      }
      expect(server.hasher.calls.hash).toBe(0)
      expect(await server.store.users.findByUsername('someone')).toBeNull()
    } finally {
      await closed.close()
    }
  })
})
