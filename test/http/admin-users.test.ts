import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { UserRecord } from '../../src/core/index.js'
import { ADMIN_SCOPES, JSON_TYPE, adminView, createAdmins, insufficientScope, storeRefreshToken, type Admins } from './admin-fixtures.js'
import { T0, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 6: the admin API's accounts, guarded by users:read / users:write.
let server: TestServer
let admins: Admins

beforeAll(async () => {
  server = await startTestServer()
  admins = await createAdmins(server)
})
afterAll(async () => { await server.close() })
afterEach(() => { server.clock.set(T0) })

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

function rootBearer(): string {
  return server.bearer(admins.root, ADMIN_SCOPES)
}

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, authorization: string | undefined, payload?: object) {
  return server.app.inject({
    method, url, headers: authorization === undefined ? {} : { authorization }, ...(payload === undefined ? {} : { payload }),
  })
}

let counter = 0
/** A fresh account for one test (no hashing: the server's hash is reused). */
async function target(extra: Partial<Parameters<TestServer['store']['users']['create']>[0]> = {}): Promise<UserRecord> {
  counter += 1
  return server.store.users.create({ username: `target${counter}`, passwordHash: server.users.johndoe.passwordHash, ...extra })
}

describe('guard', () => {
  const WRITES = [
    ['POST', '/admin/users', { username: 'x', password: 'y' }],
    ['PATCH', `/admin/users/${UNKNOWN_ID}`, { disabled: true }],
    ['POST', `/admin/users/${UNKNOWN_ID}/password`, { new_password: 'a long password' }],
    ['DELETE', `/admin/users/${UNKNOWN_ID}`, undefined],
  ] as const
  const READS = [['GET', '/admin/users'], ['GET', `/admin/users/${UNKNOWN_ID}`]] as const

  it('401 Not authenticated without a token, on every operation', async () => {
    for (const [method, url, payload] of [...READS.map(([m, u]) => [m, u, undefined] as const), ...WRITES]) {
      const res = await call(method, url, undefined, payload)
      expect(res.statusCode, `${method} ${url}`).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
      expect(res.json()).toEqual({ detail: 'Not authenticated' })
    }
  })

  it('403 insufficient_scope for an ordinary user, naming the scope the operation needs', async () => {
    const john = server.bearer(server.users.johndoe)
    for (const [method, url] of READS) {
      const res = await call(method, url, john)
      expect(res.statusCode).toBe(403)
      expect(res.headers['www-authenticate']).toBe(insufficientScope('users:read'))
      expect(res.headers['content-type']).toBe(JSON_TYPE)
      expect(res.json()).toEqual({ detail: 'Not enough permissions' })
    }
    for (const [method, url, payload] of WRITES) {
      const res = await call(method, url, john, payload)
      expect(res.statusCode, `${method} ${url}`).toBe(403)
      expect(res.headers['www-authenticate']).toBe(insufficientScope('users:write'))
      expect(res.json()).toEqual({ detail: 'Not enough permissions' })
    }
  })

  it('users:read lists and reads, but every write is 403 and changes nothing', async () => {
    const reader = server.bearer(admins.auditor, ['users:read'])
    const victim = await target()
    expect((await call('GET', '/admin/users', reader)).statusCode).toBe(200)
    expect((await call('GET', `/admin/users/${victim.id}`, reader)).statusCode).toBe(200)
    const attempts = [
      call('POST', '/admin/users', reader, { username: 'intruder', password: 'a long password' }),
      call('PATCH', `/admin/users/${victim.id}`, reader, { disabled: true, scopes: ['me', 'users:write'] }),
      call('POST', `/admin/users/${victim.id}/password`, reader, { new_password: 'a long password' }),
      call('DELETE', `/admin/users/${victim.id}`, reader),
    ]
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(403)
      expect(res.headers['www-authenticate']).toBe(insufficientScope('users:write'))
    }
    expect(await server.store.users.findById(victim.id)).toEqual(victim)
    expect(await server.store.users.findByUsername('intruder')).toBeNull()
    expect(server.hasher.calls.hash).toBe(0)
  })

  it('an administrator who logs in without asking gets the everyday scopes only; asking by name grants the admin ones', async () => {
    const login = (scope?: string) => server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'root', password: 'correct horse battery', ...(scope === undefined ? {} : { scope }) }).toString(),
    })
    const plain = await login()
    expect(plain.statusCode).toBe(200)
    expect(plain.json().scope).toBe('me items')
    const denied = await call('GET', '/admin/users', `Bearer ${plain.json().access_token}`)
    expect(denied.statusCode).toBe(403)

    const asked = await login('users:read users:write')
    expect(asked.json().scope).toBe('users:read users:write')
    expect((await call('GET', '/admin/users', `Bearer ${asked.json().access_token}`)).statusCode).toBe(200)

    // Someone whose account does not hold them gets nothing by asking.
    const john = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=johndoe&password=correct%20horse%20battery&scope=me%20users%3Awrite',
    })
    expect(john.json().scope).toBe('me')
  })
})

describe('GET /admin/users', () => {
  it('lists everyone by normalised name with the total, and the admin view of each (never a hash)', async () => {
    const res = await call('GET', '/admin/users', rootBearer())
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(JSON_TYPE)
    const all = (await server.store.users.search({ limit: 500, offset: 0 })).users
    expect(res.json()).toEqual({ users: all.map(adminView), total: all.length, limit: 50, offset: 0 })
    expect(res.json().users.slice(0, 3).map((u: { username: string }) => u.username)).toEqual(['alice', 'auditor', 'bob'])
    expect(res.json().users[0]).toEqual({
      id: server.users.alice.id, username: 'alice', email: 'alice@example.com', email_verified: false, full_name: 'Alice Wonderson', disabled: true,
      scopes: ['me', 'items'], created_at: server.users.alice.createdAt.toISOString(), updated_at: server.users.alice.updatedAt.toISOString(),
    })
    expect(res.body).not.toMatch(/argon2|hash/i)
  })

  it('searches username, email and full name, and pages with limit and offset', async () => {
    const search = async (query: string) => (await call('GET', `/admin/users?${query}`, rootBearer())).json()
    expect(await search('q=WONDER')).toEqual({ users: [adminView(server.users.alice)], total: 1, limit: 50, offset: 0 })
    expect((await search('q=example.com')).users.map((u: { username: string }) => u.username)).toEqual(['alice', 'johndoe'])
    expect(await search('q=Root%20Admin')).toEqual({ users: [adminView(admins.root)], total: 1, limit: 50, offset: 0 })
    expect(await search('q=nobody-at-all')).toEqual({ users: [], total: 0, limit: 50, offset: 0 })
    const page = await search('limit=2&offset=1')
    expect(page.users.map((u: { username: string }) => u.username)).toEqual(['auditor', 'bob'])
    expect(page).toMatchObject({ limit: 2, offset: 1 })
    expect(page.total).toBeGreaterThanOrEqual(5)
  })

  it.each([
    ['limit=0', { type: 'greater_than_equal', loc: ['query', 'limit'], msg: 'Input should be greater than or equal to 1', input: 0, ctx: { ge: 1 } }],
    ['limit=501', { type: 'less_than_equal', loc: ['query', 'limit'], msg: 'Input should be less than or equal to 500', input: 501, ctx: { le: 500 } }],
    ['limit=ten', { type: 'int_type', loc: ['query', 'limit'], msg: 'Input should be a valid integer', input: 'ten' }],
    ['limit=1.5', { type: 'int_type', loc: ['query', 'limit'], msg: 'Input should be a valid integer', input: '1.5' }],
    ['offset=-1', { type: 'greater_than_equal', loc: ['query', 'offset'], msg: 'Input should be greater than or equal to 0', input: -1, ctx: { ge: 0 } }],
  ])('422 for %s', async (query, issue) => {
    const res = await call('GET', `/admin/users?${query}`, rootBearer())
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({ detail: [issue] })
  })
})

describe('GET /admin/users/{id}', () => {
  it('reads one account in the admin view', async () => {
    const res = await call('GET', `/admin/users/${server.users.bob.id}`, rootBearer())
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(adminView(server.users.bob))
  })

  it('404 for an unknown id, 422 for one that is not a UUID', async () => {
    const missing = await call('GET', `/admin/users/${UNKNOWN_ID}`, rootBearer())
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ detail: 'User not found' })
    const bad = await call('GET', '/admin/users/johndoe', rootBearer())
    expect(bad.statusCode).toBe(422)
    expect(bad.json()).toEqual({ detail: [{ type: 'uuid_parsing', loc: ['path', 'id'], msg: 'Input should be a valid UUID', input: 'johndoe' }] })
  })
})

describe('POST /admin/users', () => {
  it('creates an account under registration\'s rules, with the scopes and state given', async () => {
    const res = await call('POST', '/admin/users', rootBearer(), {
      username: 'Carol', password: 'carols long password', email: 'carol@example.com', full_name: 'Carol C', scopes: ['me', 'users:read', 'me'], disabled: true,
    })
    expect(res.statusCode).toBe(201)
    const stored = await server.store.users.findByUsername('carol')
    expect(stored).toMatchObject({ username: 'Carol', email: 'carol@example.com', fullName: 'Carol C', scopes: ['me', 'users:read'], disabled: true, tokensNotBefore: null })
    expect(res.json()).toEqual(adminView(stored!))
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/)
    expect(await server.hasher.verify('carols long password', stored!.passwordHash)).toEqual({ valid: true, needsRehash: false })
    expect(res.body).not.toContain('carols long password')
  })

  it('defaults to an enabled account with the everyday scopes', async () => {
    const res = await call('POST', '/admin/users', rootBearer(), { username: 'dave', password: 'daves long password' })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ username: 'dave', email: null, full_name: null, disabled: false, scopes: ['me', 'items'] })
  })

  it('refuses a taken name (409), bad fields (422) and unknown scopes (422), hashing nothing', async () => {
    server.hasher.calls.hash = 0
    const taken = await call('POST', '/admin/users', rootBearer(), { username: 'JOHNDOE', password: 'a long password' })
    expect(taken.statusCode).toBe(409)
    expect(taken.json()).toEqual({ detail: 'Username already registered' })
    server.hasher.calls.hash = 0

    const short = await call('POST', '/admin/users', rootBearer(), { username: 'ed', password: 'short' })
    expect(short.statusCode).toBe(422)
    expect(short.json().detail.map((i: { loc: string[] }) => i.loc)).toEqual([['body', 'username'], ['body', 'password']])
    expect(short.body).not.toContain('"input":"short"')

    const scope = await call('POST', '/admin/users', rootBearer(), { username: 'erin', password: 'a long password', scopes: ['me', 'admin'] })
    expect(scope.statusCode).toBe(422)
    expect(scope.json()).toEqual({
      detail: [{
        type: 'enum', loc: ['body', 'scopes', 1], msg: "Input should be 'me', 'items', 'users:read' or 'users:write'", input: 'admin',
        ctx: { expected: "'me', 'items', 'users:read' or 'users:write'" },
      }],
    })
    expect(server.hasher.calls.hash).toBe(0)
    expect(await server.store.users.findByUsername('erin')).toBeNull()
  })
})

describe('PATCH /admin/users/{id}', () => {
  it('sets email_verified, at creation and later; a new address without it is unverified; 409 when another account verified it', async () => {
    const created = await call('POST', '/admin/users', rootBearer(), { username: 'verified1', password: 'a long enough password', email: 'v1@example.com', email_verified: true })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ email: 'v1@example.com', email_verified: true })
    const id = created.json().id as string
    const moved = await call('PATCH', `/admin/users/${id}`, rootBearer(), { email: 'v2@example.com' })
    expect(moved.json()).toMatchObject({ email: 'v2@example.com', email_verified: false })
    const marked = await call('PATCH', `/admin/users/${id}`, rootBearer(), { email_verified: true })
    expect(marked.statusCode).toBe(200)
    expect(marked.json()).toMatchObject({ email: 'v2@example.com', email_verified: true })
    expect(await server.store.users.findById(id)).toMatchObject({ emailVerified: true })
    const other = await call('POST', '/admin/users', rootBearer(), { username: 'verified2', password: 'a long enough password', email: 'V2@example.com' })
    const clash = await call('PATCH', `/admin/users/${other.json().id as string}`, rootBearer(), { email_verified: true })
    expect(clash.statusCode).toBe(409)
    expect(clash.json()).toEqual({ detail: 'Email already in use' })
  })

  it('changes only the fields given, and answers the stored account', async () => {
    const user = await target({ email: 'old@example.com', fullName: 'Old Name' })
    const res = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { email: 'new@example.com', full_name: null })
    expect(res.statusCode).toBe(200)
    const stored = await server.store.users.findById(user.id)
    expect(stored).toEqual({ ...user, email: 'new@example.com', fullName: null, updatedAt: expect.any(Date) })
    expect(res.json()).toEqual(adminView(stored!))
    expect(stored?.tokensNotBefore).toBeNull()                       // a profile change ends no session

    const granted = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { scopes: ['me', 'items', 'users:read'] })
    expect(granted.json().scopes).toEqual(['me', 'items', 'users:read'])
    expect((await server.store.users.findById(user.id))?.tokensNotBefore).toBeNull() // adding a scope takes nothing away
  })

  it('disabling kills the user\'s access tokens on their next request and revokes their refresh tokens', async () => {
    const user = await target({ scopes: ['me'] })
    const token = server.bearer(user)
    const refresh = await storeRefreshToken(server, user)
    expect((await call('GET', '/users/me', token)).statusCode).toBe(200)

    const res = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { disabled: true })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ disabled: true })
    const stored = await server.store.users.findById(user.id)
    expect(stored).toMatchObject({ disabled: true, tokensNotBefore: T0 / 1000 + 1 })
    expect((await server.store.refreshTokens.findByHash(refresh.tokenHash))?.revokedAt).toBe(T0)

    const after = await call('GET', '/users/me', token)
    expect(after.statusCode).toBe(401)
    expect(after.json()).toEqual({ detail: 'Could not validate credentials' })

    // Enabling again does not revive the old token; a new login's token (iat >= tnb) works.
    expect((await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { disabled: false })).json()).toMatchObject({ disabled: false })
    expect((await call('GET', '/users/me', token)).statusCode).toBe(401)
    const fresh = server.tokens.issue(user.id, ['me'], { notBefore: stored!.tokensNotBefore })
    expect((await call('GET', '/users/me', `Bearer ${fresh.token}`)).statusCode).toBe(200)
  })

  it('taking a scope away ends the user\'s sessions too', async () => {
    const user = await target({ scopes: ['me', 'items'] })
    const token = server.bearer(user)
    const res = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { scopes: ['me'] })
    expect(res.json().scopes).toEqual(['me'])
    expect((await call('GET', '/users/me/items', token)).statusCode).toBe(401)
    expect((await call('GET', '/users/me', token)).statusCode).toBe(401)
  })

  it('an empty body changes nothing', async () => {
    const user = await target()
    const res = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), {})
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual(adminView(user))
  })

  it('422 for a bad email, an unknown scope or a wrong type, before looking the user up; 404 for an unknown id', async () => {
    const user = await target()
    const email = await call('PATCH', `/admin/users/${UNKNOWN_ID}`, rootBearer(), { email: 'not-an-email' })
    expect(email.statusCode).toBe(422)
    expect(email.json()).toEqual({ detail: [{ type: 'value_error', loc: ['body', 'email'], msg: 'value is not a valid email address', input: 'not-an-email' }] })
    const typed = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { disabled: 'yes' })
    expect(typed.json()).toEqual({ detail: [{ type: 'bool_type', loc: ['body', 'disabled'], msg: 'Input should be a valid boolean', input: 'yes' }] })
    const scope = await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { scopes: ['root'] })
    expect(scope.statusCode).toBe(422)
    expect(await server.store.users.findById(user.id)).toEqual(user)

    const missing = await call('PATCH', `/admin/users/${UNKNOWN_ID}`, rootBearer(), { disabled: true })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ detail: 'User not found' })
  })

  it('an administrator cannot disable themselves or take users:write from themselves (403)', async () => {
    const url = `/admin/users/${admins.root.id}`
    const disable = await call('PATCH', url, rootBearer(), { disabled: true })
    expect(disable.statusCode).toBe(403)
    expect(disable.json()).toEqual({ detail: 'Administrators cannot disable their own account' })
    expect(disable.headers['www-authenticate']).toBeUndefined()
    const demote = await call('PATCH', url, rootBearer(), { scopes: ['me', 'users:read'] })
    expect(demote.statusCode).toBe(403)
    expect(demote.json()).toEqual({ detail: 'Administrators cannot remove users:write from their own account' })
    expect(await server.store.users.findById(admins.root.id)).toEqual(admins.root)
  })
})

describe('POST /admin/users/{id}/password', () => {
  it('sets a new password and ends every session of the user (204, no body)', async () => {
    const user = await target({ scopes: ['me'] })
    const token = server.bearer(user)
    const refresh = await storeRefreshToken(server, user)
    const res = await call('POST', `/admin/users/${user.id}/password`, rootBearer(), { new_password: 'a brand new password' })
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    const stored = await server.store.users.findById(user.id)
    expect(await server.hasher.verify('a brand new password', stored!.passwordHash)).toEqual({ valid: true, needsRehash: false })
    expect(stored?.tokensNotBefore).toBe(T0 / 1000 + 1)
    expect((await server.store.refreshTokens.findByHash(refresh.tokenHash))?.revokedAt).toBe(T0)
    expect((await call('GET', '/users/me', token)).statusCode).toBe(401)
  })

  it('applies the password policy without echoing the password (422), and 404s an unknown id', async () => {
    const user = await target()
    const res = await call('POST', `/admin/users/${user.id}/password`, rootBearer(), { new_password: 'short' })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [{ type: 'string_too_short', loc: ['body', 'new_password'], msg: 'String should have at least 8 characters', ctx: { min_length: 8 } }],
    })
    expect(await server.store.users.findById(user.id)).toEqual(user)
    const missing = await call('POST', `/admin/users/${UNKNOWN_ID}/password`, rootBearer(), { new_password: 'a long password' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ detail: 'User not found' })
  })
})

describe('DELETE /admin/users/{id}', () => {
  it('deletes the account with its items and sessions (204)', async () => {
    const user = await target({ scopes: ['me', 'items'] })
    await server.store.items.create(user.id, { itemId: 'Foo' })
    const refresh = await storeRefreshToken(server, user)
    const token = server.bearer(user)

    const res = await call('DELETE', `/admin/users/${user.id}`, rootBearer())
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect(await server.store.users.findById(user.id)).toBeNull()
    expect(await server.store.items.listByOwner(user.id)).toEqual([])
    expect(await server.store.refreshTokens.findByHash(refresh.tokenHash)).toBeNull()
    expect((await call('GET', '/users/me', token)).statusCode).toBe(401)

    const again = await call('DELETE', `/admin/users/${user.id}`, rootBearer())
    expect(again.statusCode).toBe(404)
    expect(again.json()).toEqual({ detail: 'User not found' })
  })

  it('an administrator cannot delete themselves (403); a malformed id is 422', async () => {
    const self = await call('DELETE', `/admin/users/${admins.root.id}`, rootBearer())
    expect(self.statusCode).toBe(403)
    expect(self.json()).toEqual({ detail: 'Administrators cannot delete their own account' })
    expect(await server.store.users.findById(admins.root.id)).not.toBeNull()
    expect((await call('DELETE', '/admin/users/1%20OR%201=1', rootBearer())).statusCode).toBe(422)
  })
})

describe('with open registration closed', () => {
  let closed: TestServer
  beforeAll(async () => { closed = await startTestServer({ config: { registration: 'closed' } }) })
  afterAll(async () => { await closed.close() })

  it('an administrator still creates accounts, while POST /users is refused', async () => {
    const { root } = await createAdmins(closed)
    expect((await closed.app.inject({ method: 'POST', url: '/users', payload: { username: 'frank', password: 'a long password' } })).statusCode).toBe(403)
    const res = await closed.app.inject({
      method: 'POST', url: '/admin/users', headers: { authorization: closed.bearer(root, ADMIN_SCOPES) },
      payload: { username: 'frank', password: 'a long password' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ username: 'frank', disabled: false })
  })
})

describe('Cache-Control', () => {
  it('every /admin/users answer is no-store, refusals included', async () => {
    const user = await target()
    const answers = [
      await call('GET', '/admin/users', rootBearer()),
      await call('GET', `/admin/users/${user.id}`, rootBearer()),
      await call('POST', '/admin/users', rootBearer(), { username: 'cached-not', password: 'a long password' }),
      await call('PATCH', `/admin/users/${user.id}`, rootBearer(), { full_name: 'Changed' }),
      await call('POST', `/admin/users/${user.id}/password`, rootBearer(), { new_password: 'a long password' }),
      await call('DELETE', `/admin/users/${user.id}`, rootBearer()),
      await call('GET', '/admin/users', undefined),
      await call('GET', '/admin/users', server.bearer(server.users.johndoe)),
      await call('GET', '/admin/users/not-a-uuid', rootBearer()),
    ]
    expect(answers.map((res) => res.statusCode)).toEqual([200, 200, 201, 200, 204, 204, 401, 403, 422])
    for (const res of answers) expect(res.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' })
  })
})
