import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientSecretMatches } from '../../src/core/index.js'
import { ADMIN_SCOPES, JSON_TYPE, createAdmins, insufficientScope, type Admins } from './admin-fixtures.js'
import { startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 6: managing OAuth clients through the admin API.
let server: TestServer
let admins: Admins

beforeAll(async () => {
  server = await startTestServer()
  admins = await createAdmins(server)
})
afterAll(async () => { await server.close() })

const SECRET = /^[A-Za-z0-9_-]{43}$/ // 32 random bytes, base64url
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

function call(method: 'GET' | 'POST' | 'DELETE', url: string, authorization: string | undefined, payload?: object) {
  return server.app.inject({
    method, url, headers: authorization === undefined ? {} : { authorization }, ...(payload === undefined ? {} : { payload }),
  })
}

const root = () => server.bearer(admins.root, ADMIN_SCOPES)
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('POST /admin/clients', () => {
  it('registers a confidential client and shows its secret once, storing only its SHA-256', async () => {
    const res = await call('POST', '/admin/clients', root(), { name: 'Billing service', scopes: ['me'] })
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toBe(JSON_TYPE)
    const body = res.json()
    expect(body).toEqual({
      client_id: expect.any(String), client_secret: expect.stringMatching(SECRET), name: 'Billing service', type: 'confidential',
      grant_types: ['client_credentials'], scopes: ['me'], created_at: expect.stringMatching(ISO),
    })
    const stored = await server.store.clients.findById(body.client_id)
    expect(stored).toMatchObject({ name: 'Billing service', type: 'confidential', secretHash: sha256(body.client_secret) })
    expect(JSON.stringify(stored)).not.toContain(body.client_secret)

    // The secret works at the token endpoint (client_secret_basic), and only it does.
    const basic = (secret: string) => `Basic ${Buffer.from(`${body.client_id}:${secret}`).toString('base64')}`
    const token = (secret: string) => server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(secret) },
      payload: 'grant_type=client_credentials',
    })
    expect((await token(body.client_secret)).statusCode).toBe(200)
    expect((await token('wrong')).statusCode).toBe(401)
  })

  it('registers a public client without a secret', async () => {
    const res = await call('POST', '/admin/clients', root(), { name: 'Mobile app', type: 'public' })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ client_secret: null, type: 'public', grant_types: ['password', 'refresh_token'], scopes: ['me', 'items'] })
    expect((await server.store.clients.findById(res.json().client_id))?.secretHash).toBeNull()
  })

  it('422 for an empty name, an unknown grant type or scope, and a public client asking for client_credentials', async () => {
    const empty = await call('POST', '/admin/clients', root(), { name: '' })
    expect(empty.statusCode).toBe(422)
    expect(empty.json().detail).toEqual([expect.objectContaining({ type: 'string_too_short', loc: ['body', 'name'] })])
    const grant = await call('POST', '/admin/clients', root(), { name: 'x', grant_types: ['implicit'] })
    expect(grant.json().detail).toEqual([expect.objectContaining({ type: 'enum', loc: ['body', 'grant_types', 0], input: 'implicit' })])
    const scope = await call('POST', '/admin/clients', root(), { name: 'x', scopes: ['admin'] })
    expect(scope.json().detail).toEqual([expect.objectContaining({ type: 'enum', loc: ['body', 'scopes', 0], input: 'admin' })])
    const publicCc = await call('POST', '/admin/clients', root(), { name: 'x', type: 'public', grant_types: ['client_credentials'] })
    expect(publicCc.statusCode).toBe(422)
    expect(publicCc.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'grant_types'], msg: 'Value error, A public client cannot use client_credentials' })])
    expect((await server.store.clients.list()).map((c) => c.name)).not.toContain('x')
  })
})

describe('GET /admin/clients', () => {
  it('lists clients for users:read, never with a secret or its hash', async () => {
    const res = await call('GET', '/admin/clients', server.bearer(admins.auditor, ['users:read']))
    expect(res.statusCode).toBe(200)
    const stored = await server.store.clients.list()
    expect(res.json()).toEqual({
      clients: stored.map((c) => ({
        client_id: c.id, name: c.name, type: c.type, grant_types: c.grantTypes, scopes: c.scopes, created_at: new Date(c.createdAt).toISOString(),
      })),
    })
    for (const client of stored) if (client.secretHash !== null) expect(res.body).not.toContain(client.secretHash)
    expect(res.body).not.toMatch(/secret/)
  })
})

describe('POST /admin/clients/{id}/secret', () => {
  it('rotates the secret: the new one is shown once, the old one stops matching at once', async () => {
    const created = (await call('POST', '/admin/clients', root(), { name: 'Rotating service' })).json()
    const res = await call('POST', `/admin/clients/${created.client_id}/secret`, root())
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const rotated = res.json()
    expect(rotated).toMatchObject({ client_id: created.client_id, name: 'Rotating service', client_secret: expect.stringMatching(SECRET) })
    expect(rotated.client_secret).not.toBe(created.client_secret)
    const stored = await server.store.clients.findById(created.client_id)
    expect(clientSecretMatches(rotated.client_secret, stored!.secretHash)).toBe(true)
    expect(clientSecretMatches(created.client_secret, stored!.secretHash)).toBe(false)
  })

  it('409 for a public client, 404 for an unknown one', async () => {
    const pub = (await call('POST', '/admin/clients', root(), { name: 'Public app', type: 'public' })).json()
    const conflict = await call('POST', `/admin/clients/${pub.client_id}/secret`, root())
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json()).toEqual({ detail: 'A public client has no secret' })
    const missing = await call('POST', '/admin/clients/no-such-client/secret', root())
    expect(missing.statusCode).toBe(404)
    expect(missing.json()).toEqual({ detail: 'Client not found' })
  })
})

describe('DELETE /admin/clients/{id}', () => {
  it('removes the client (204), then 404', async () => {
    const created = (await call('POST', '/admin/clients', root(), { name: 'Doomed service' })).json()
    const res = await call('DELETE', `/admin/clients/${created.client_id}`, root())
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    expect(await server.store.clients.findById(created.client_id)).toBeNull()
    const again = await call('DELETE', `/admin/clients/${created.client_id}`, root())
    expect(again.statusCode).toBe(404)
    expect(again.json()).toEqual({ detail: 'Client not found' })
  })
})

describe('guard', () => {
  it('401 without a token; 403 users:write for a reader on every change; 403 users:read for an ordinary user', async () => {
    const reader = server.bearer(admins.auditor, ['users:read'])
    for (const [method, url] of [['GET', '/admin/clients'], ['POST', '/admin/clients'], ['DELETE', '/admin/clients/x'], ['POST', '/admin/clients/x/secret']] as const) {
      const res = await call(method, url, undefined, method === 'POST' && url === '/admin/clients' ? { name: 'x' } : undefined)
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
    }
    for (const [method, url] of [['POST', '/admin/clients'], ['DELETE', '/admin/clients/x'], ['POST', '/admin/clients/x/secret']] as const) {
      const res = await call(method, url, reader, url === '/admin/clients' ? { name: 'sneaky' } : undefined)
      expect(res.statusCode).toBe(403)
      expect(res.headers['www-authenticate']).toBe(insufficientScope('users:write'))
    }
    const john = await call('GET', '/admin/clients', server.bearer(server.users.johndoe))
    expect(john.statusCode).toBe(403)
    expect(john.headers['www-authenticate']).toBe(insufficientScope('users:read'))
    expect((await server.store.clients.list()).map((c) => c.name)).not.toContain('sneaky')
  })
})

describe('Cache-Control', () => {
  it('every /admin/clients answer is no-store, refusals included', async () => {
    const created = await call('POST', '/admin/clients', root(), { name: 'Uncached' })
    const id = created.json().client_id as string
    const answers = [
      created,
      await call('GET', '/admin/clients', root()),
      await call('POST', `/admin/clients/${id}/secret`, root()),
      await call('DELETE', `/admin/clients/${id}`, root()),
      await call('DELETE', `/admin/clients/${id}`, root()),
      await call('GET', '/admin/clients', undefined),
      await call('POST', '/admin/clients', root(), { name: '' }),
    ]
    expect(answers.map((res) => res.statusCode)).toEqual([201, 200, 200, 204, 404, 401, 422])
    for (const res of answers) expect(res.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' })
  })
})
