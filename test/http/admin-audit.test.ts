import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditRecord } from '../../src/core/index.js'
import { ADMIN_SCOPES, createAdmins, insufficientScope, type Admins } from './admin-fixtures.js'
import { FORM, PASSWORD, T0, form, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 7: what the audit log records, and GET /admin/audit reading it back.
let server: TestServer
let admins: Admins
/** Every secret the tests handle: none may appear in any audit row. */
const secrets: string[] = [PASSWORD]

const AGENT = 'audit-test/1.0 (+https://tessera.test)'
const ISO = (ms: number) => new Date(ms).toISOString()

beforeAll(async () => {
  server = await startTestServer()
  admins = await createAdmins(server)
  secrets.push(server.users.johndoe.passwordHash)
})
afterAll(async () => { await server.close() })

function login(username: string, password: string, extra: Record<string, string> = {}) {
  secrets.push(password)
  return server.app.inject({ method: 'POST', url: '/token', headers: { ...FORM, 'user-agent': AGENT }, payload: form({ username, password, ...extra }) })
}

function admin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) {
  return server.app.inject({
    method, url, headers: { authorization: server.bearer(admins.root, ADMIN_SCOPES), 'user-agent': AGENT, 'x-forwarded-for': '203.0.113.9' },
    ...(payload === undefined ? {} : { payload }),
  })
}

async function latest(): Promise<AuditRecord> {
  const [record] = await server.store.audit.list({ limit: 1, offset: 0 })
  if (record === undefined) throw new Error('the audit log is empty')
  return record
}

describe('recorded events', () => {
  it('login.succeeded: the user, the granted scope, IP and user agent', async () => {
    server.clock.set(T0 + 1000)
    const res = await login('johndoe', PASSWORD)
    expect(res.statusCode).toBe(200)
    secrets.push(res.json().access_token, ...(res.json().refresh_token === undefined ? [] : [res.json().refresh_token]))
    expect(await latest()).toEqual({
      id: expect.any(Number), event: 'login.succeeded', at: T0 + 1000, userId: server.users.johndoe.id, username: 'johndoe', clientId: null,
      actorId: null, ip: '127.0.0.1', userAgent: AGENT, details: { scope: 'me items' },
    })
  })

  it('login.failed: the name as typed and a reason code, never the password', async () => {
    server.clock.set(T0 + 2000)
    expect((await login('JohnDoe', 'not-his-password')).statusCode).toBe(401)
    expect(await latest()).toMatchObject({
      event: 'login.failed', at: T0 + 2000, userId: server.users.johndoe.id, username: 'JohnDoe', ip: '127.0.0.1', userAgent: AGENT,
      details: { reason: 'invalid_credentials' },
    })
    expect((await login('nobody', 'whatever-password')).statusCode).toBe(401)
    expect(await latest()).toMatchObject({ event: 'login.failed', userId: null, username: 'nobody', details: { reason: 'invalid_credentials' } })
    expect((await login('alice', PASSWORD)).statusCode).toBe(400)
    expect(await latest()).toMatchObject({ event: 'login.failed', userId: server.users.alice.id, username: 'alice', details: { reason: 'inactive' } })
    expect((await login('johndoe', PASSWORD, { scope: 'me admin' })).statusCode).toBe(400)
    expect(await latest()).toMatchObject({ event: 'login.failed', username: 'johndoe', details: { reason: 'invalid_scope' } })
  })

  it('user.registered', async () => {
    server.clock.set(T0 + 3000)
    secrets.push('registered password')
    const res = await server.app.inject({ method: 'POST', url: '/users', headers: { 'user-agent': AGENT }, payload: { username: 'newbie', password: 'registered password' } })
    expect(res.statusCode).toBe(201)
    expect(await latest()).toEqual({
      id: expect.any(Number), event: 'user.registered', at: T0 + 3000, userId: res.json().id, username: 'newbie', clientId: null,
      actorId: null, ip: '127.0.0.1', userAgent: AGENT, details: {},
    })
  })

  it('every admin action, with the administrator as actor', async () => {
    server.clock.set(T0 + 4000)
    secrets.push('created password', 'reset password')
    const created = (await admin('POST', '/admin/users', { username: 'victim', password: 'created password', scopes: ['me'] })).json()
    const expected = { userId: created.id, username: 'victim', actorId: admins.root.id, clientId: null, ip: '127.0.0.1', userAgent: AGENT }
    expect(await latest()).toMatchObject({ ...expected, event: 'admin.user_created', details: { scopes: ['me'], disabled: false } })

    await admin('PATCH', `/admin/users/${created.id}`, { full_name: 'Vic Tim', disabled: true })
    expect(await latest()).toMatchObject({
      ...expected, event: 'admin.user_updated', details: { changed: ['disabled', 'full_name'], sessions_ended: true, disabled: true },
    })
    await admin('POST', `/admin/users/${created.id}/password`, { new_password: 'reset password' })
    expect(await latest()).toMatchObject({ ...expected, event: 'admin.password_reset', details: { sessions_ended: true } })
    await admin('DELETE', `/admin/users/${created.id}`)
    expect(await latest()).toMatchObject({ ...expected, event: 'admin.user_deleted', details: {} })

    const client = (await admin('POST', '/admin/clients', { name: 'Audited service' })).json()
    secrets.push(client.client_secret)
    const forClient = { userId: null, actorId: admins.root.id, clientId: client.client_id }
    expect(await latest()).toMatchObject({
      ...forClient, event: 'admin.client_created',
      details: { name: 'Audited service', type: 'confidential', grant_types: ['client_credentials'], scopes: ['me', 'items'] },
    })
    const rotated = (await admin('POST', `/admin/clients/${client.client_id}/secret`)).json()
    secrets.push(rotated.client_secret)
    expect(await latest()).toMatchObject({ ...forClient, event: 'admin.client_secret_rotated', details: { name: 'Audited service' } })
    await admin('DELETE', `/admin/clients/${client.client_id}`)
    expect(await latest()).toMatchObject({ ...forClient, event: 'admin.client_deleted', details: { name: 'Audited service' } })
  })

  it('a refused admin action records nothing', async () => {
    const before = await latest()
    await admin('DELETE', `/admin/users/${admins.root.id}`)                      // 403: not themselves
    await admin('PATCH', `/admin/users/${server.users.bob.id}`, {})              // nothing to change
    await admin('PATCH', '/admin/users/00000000-0000-4000-8000-000000000000', { disabled: true }) // 404
    expect(await latest()).toEqual(before)
  })

  it('no row holds a password, a token, a hash or a secret', async () => {
    const rows = JSON.stringify(await server.store.audit.list({ limit: 1000, offset: 0 }))
    expect(secrets.length).toBeGreaterThan(8)
    for (const secret of secrets) expect(rows).not.toContain(secret)
    // Nor a field that would hold one (event names such as admin.password_reset aside).
    expect(rows).not.toMatch(/argon2|\$2[aby]\$|"(new_)?password"|"secret_?hash"|"client_secret"|"access_token"|"refresh_token"/i)
  })
})

describe('GET /admin/audit', () => {
  const read = (query = '', authorization = server.bearer(admins.auditor, ['users:read'])) =>
    server.app.inject({ method: 'GET', url: `/admin/audit${query}`, headers: { authorization } })

  it('answers the log newest first, in the public shape, with a page flag', async () => {
    const res = await read('?limit=2')
    expect(res.statusCode).toBe(200)
    const stored = await server.store.audit.list({ limit: 3, offset: 0 })
    expect(res.json()).toEqual({
      events: stored.slice(0, 2).map((r) => ({
        id: r.id, at: ISO(r.at), event: r.event, user_id: r.userId, username: r.username, client_id: r.clientId, actor_id: r.actorId,
        ip: r.ip, user_agent: r.userAgent, details: r.details,
      })),
      limit: 2, offset: 0, has_more: true,
    })
    const all = (await read('?limit=500')).json()
    expect(all.has_more).toBe(false)
    expect(all.events.length).toBe((await server.store.audit.list({ limit: 1000, offset: 0 })).length)
  })

  it('filters by event, user, actor, client, ip and time (RFC 3339, inclusive)', async () => {
    const events = async (query: string) => (await read(query)).json().events.map((e: { event: string; username: string | null }) => `${e.event} ${e.username}`)
    expect(await events('?event=login.failed')).toEqual([
      'login.failed johndoe', 'login.failed alice', 'login.failed nobody', 'login.failed JohnDoe',
    ])
    expect(await events(`?user_id=${server.users.alice.id}`)).toEqual(['login.failed alice'])
    expect((await events(`?actor_id=${admins.root.id}`)).length).toBe(7)
    expect(await events(`?event=login.succeeded&user_id=${server.users.johndoe.id}`)).toEqual(['login.succeeded johndoe'])
    expect(await events(`?since=${ISO(T0 + 3000)}&until=${encodeURIComponent('2026-01-01T01:00:03+01:00')}`)).toEqual(['user.registered newbie'])
    expect(await events(`?since=${ISO(T0 + 1000)}&until=${ISO(T0 + 1000)}`)).toEqual(['login.succeeded johndoe'])
    expect(await events('?ip=198.51.100.1')).toEqual([])
    expect((await events('?ip=127.0.0.1')).length).toBeGreaterThan(10)
    const client = (await read('?event=admin.client_created')).json().events[0].client_id
    expect(await events(`?client_id=${client}`)).toEqual([
      'admin.client_deleted null', 'admin.client_secret_rotated null', 'admin.client_created null',
    ])
    expect(await events('?event=login.failed&limit=2&offset=1')).toEqual(['login.failed alice', 'login.failed nobody'])
  })

  it.each([
    ['?since=yesterday', [{ type: 'datetime_parsing', loc: ['query', 'since'], msg: 'Input should be a valid datetime', input: 'yesterday' }]],
    ['?until=2026-01-01', [{ type: 'datetime_parsing', loc: ['query', 'until'], msg: 'Input should be a valid datetime', input: '2026-01-01' }]],
    ['?since=1767225600000', [{ type: 'datetime_parsing', loc: ['query', 'since'], msg: 'Input should be a valid datetime', input: '1767225600000' }]],
    ['?event=login', [{
      type: 'enum', loc: ['query', 'event'], input: 'login', msg: expect.stringMatching(/^Input should be 'login.succeeded', 'login.failed', /),
      ctx: { expected: expect.any(String) },
    }]],
    ['?limit=501', [{ type: 'less_than_equal', loc: ['query', 'limit'], msg: 'Input should be less than or equal to 500', input: 501, ctx: { le: 500 } }]],
  ])('422 for %s', async (query, detail) => {
    const res = await read(query)
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({ detail })
  })

  it('every answer is no-store, refusals included', async () => {
    const answers = [await read(), await read('?limit=501'), await server.app.inject({ method: 'GET', url: '/admin/audit' }), await read('', server.bearer(server.users.johndoe))]
    expect(answers.map((res) => res.statusCode)).toEqual([200, 422, 401, 403])
    for (const res of answers) expect(res.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' })
  })

  it('needs users:read: 401 without a token, 403 for an ordinary user', async () => {
    const none = await server.app.inject({ method: 'GET', url: '/admin/audit' })
    expect(none.statusCode).toBe(401)
    const john = await read('', server.bearer(server.users.johndoe))
    expect(john.statusCode).toBe(403)
    expect(john.headers['www-authenticate']).toBe(insufficientScope('users:read'))
  })
})
