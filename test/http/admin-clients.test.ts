import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientSecretMatches, type ClientRecord } from '../../src/core/index.js'
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

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, authorization: string | undefined, payload?: object) {
  return server.app.inject({
    method, url, headers: authorization === undefined ? {} : { authorization }, ...(payload === undefined ? {} : { payload }),
  })
}

const root = () => server.bearer(admins.root, ADMIN_SCOPES)
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** What every answer shows of a stored client (never its secret nor the hash). */
function adminView(c: ClientRecord) {
  return {
    client_id: c.id, name: c.name, type: c.type, grant_types: c.grantTypes, scopes: c.scopes, redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris, first_party: c.firstParty, id_token_signed_response_alg: c.idTokenSignedResponseAlg,
    resources: c.resources, created_at: new Date(c.createdAt).toISOString(),
  }
}

/** Issue 9's defaults for a client registered without the sign-in fields. */
const NO_SIGN_IN = { redirect_uris: [], post_logout_redirect_uris: [], first_party: false, id_token_signed_response_alg: 'RS256', resources: [] }

describe('POST /admin/clients', () => {
  it('registers a confidential client and shows its secret once, storing only its SHA-256', async () => {
    const res = await call('POST', '/admin/clients', root(), { name: 'Billing service', scopes: ['me'] })
    expect(res.statusCode).toBe(201)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toBe(JSON_TYPE)
    const body = res.json()
    expect(body).toEqual({
      client_id: expect.any(String), client_secret: expect.stringMatching(SECRET), name: 'Billing service', type: 'confidential',
      grant_types: ['client_credentials'], scopes: ['me'], ...NO_SIGN_IN, created_at: expect.stringMatching(ISO),
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
    expect(res.json()).toEqual({ clients: stored.map(adminView) })
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
    for (const [method, url] of [['GET', '/admin/clients'], ['POST', '/admin/clients'], ['PATCH', '/admin/clients/x'], ['DELETE', '/admin/clients/x'], ['POST', '/admin/clients/x/secret']] as const) {
      const res = await call(method, url, undefined, url === '/admin/clients/x/secret' || method === 'GET' || method === 'DELETE' ? undefined : { name: 'x' })
      expect(res.statusCode).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Bearer')
    }
    for (const [method, url] of [['POST', '/admin/clients'], ['PATCH', '/admin/clients/x'], ['DELETE', '/admin/clients/x'], ['POST', '/admin/clients/x/secret']] as const) {
      const res = await call(method, url, reader, url === '/admin/clients' || method === 'PATCH' ? { name: 'sneaky' } : undefined)
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
      await call('PATCH', `/admin/clients/${id}`, root(), { name: 'Still uncached' }),
      await call('DELETE', `/admin/clients/${id}`, root()),
      await call('DELETE', `/admin/clients/${id}`, root()),
      await call('GET', '/admin/clients', undefined),
      await call('POST', '/admin/clients', root(), { name: '' }),
    ]
    expect(answers.map((res) => res.statusCode)).toEqual([201, 200, 200, 200, 204, 404, 401, 422])
    for (const res of answers) expect(res.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' })
  })
})

// ---- Issue 9 part 7: the sign-in fields, and PATCH.
const APP = 'https://app.example/callback'
const IDENTITY = ['openid', 'profile', 'email', 'offline_access']

async function auditEntries(event: 'admin.client_created' | 'admin.client_updated', clientId: string) {
  return server.store.audit.list({ event, clientId, limit: 10, offset: 0 })
}

describe('POST /admin/clients with the sign-in fields', () => {
  it('registers each field, shows it in the answer and in GET, and audits the registration', async () => {
    const res = await call('POST', '/admin/clients', root(), {
      name: 'Web app', grant_types: ['authorization_code', 'refresh_token'], redirect_uris: [APP, 'http://127.0.0.1:9000/cb', APP],
      post_logout_redirect_uris: ['https://app.example/'], first_party: true, id_token_signed_response_alg: 'ES256',
      resources: ['https://api.example/', 'urn:example:billing'],
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toEqual({
      client_id: expect.any(String), client_secret: expect.stringMatching(SECRET), name: 'Web app', type: 'confidential',
      grant_types: ['authorization_code', 'refresh_token'], scopes: ['me', 'items', ...IDENTITY],
      redirect_uris: [APP, 'http://127.0.0.1:9000/cb'], post_logout_redirect_uris: ['https://app.example/'], first_party: true,
      id_token_signed_response_alg: 'ES256', resources: ['https://api.example/', 'urn:example:billing'], created_at: expect.stringMatching(ISO),
    })
    const stored = await server.store.clients.findById(body.client_id)
    expect(stored).toMatchObject({
      redirectUris: [APP, 'http://127.0.0.1:9000/cb'], postLogoutRedirectUris: ['https://app.example/'], firstParty: true,
      idTokenSignedResponseAlg: 'ES256', resources: ['https://api.example/', 'urn:example:billing'],
    })
    const listed = (await call('GET', '/admin/clients', root())).json().clients.find((c: { client_id: string }) => c.client_id === body.client_id)
    expect(listed).toEqual(adminView(stored!))
    const [entry] = await auditEntries('admin.client_created', body.client_id)
    expect(entry).toMatchObject({ actorId: admins.root.id, details: { name: 'Web app', redirect_uris: [APP, 'http://127.0.0.1:9000/cb'], first_party: true } })
    expect(JSON.stringify(entry)).not.toContain(body.client_secret)
  })

  it('a public client with redirect URIs gets the code flow and the OpenID scopes by default', async () => {
    const res = await call('POST', '/admin/clients', root(), { name: 'SPA', type: 'public', redirect_uris: ['http://localhost:5173/callback'] })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      client_secret: null, grant_types: ['authorization_code', 'refresh_token'], scopes: ['me', 'items', ...IDENTITY],
      first_party: false, id_token_signed_response_alg: 'RS256',
    })
  })

  it.each([
    ['http to a non-loopback host', { redirect_uris: ['http://app.example/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "http://app.example/cb" may use http only for a loopback host (127.0.0.1, [::1], localhost); use https'],
    ['a fragment', { redirect_uris: ['https://app.example/cb#top'] }, 'redirect_uris',
      'Value error, The redirect URI "https://app.example/cb#top" must not contain a fragment (RFC 6749 §3.1.2)'],
    ['a wildcard', { redirect_uris: ['https://*.app.example/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "https://*.app.example/cb" must not contain wildcards: redirect URIs are matched exactly'],
    ['a private-use scheme for a confidential client', { redirect_uris: ['com.example.app:/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "com.example.app:/cb" a private-use scheme is for native (public) clients only'],
    ['authorization_code without a redirect URI', { grant_types: ['authorization_code'] }, 'redirect_uris',
      'Value error, A client using authorization_code needs at least one redirect URI'],
    ['a relative resource', { resources: ['api'] }, 'resources', 'Value error, The resource "api" must be an absolute URI (RFC 8707 §2)'],
  ])('422 for %s, naming the field; nothing stored', async (_, fields, field, msg) => {
    const before = (await server.store.clients.list()).length
    const res = await call('POST', '/admin/clients', root(), { name: 'Refused', ...fields })
    expect(res.statusCode).toBe(422)
    expect(res.json().detail).toEqual([expect.objectContaining({ loc: ['body', field], msg })])
    expect((await server.store.clients.list()).length).toBe(before)
  })

  it('422 for an unknown id_token algorithm or scope, a wrong first_party, and more than 20 redirect URIs (the schema)', async () => {
    const alg = await call('POST', '/admin/clients', root(), { name: 'x', id_token_signed_response_alg: 'HS256' })
    expect(alg.statusCode).toBe(422)
    expect(alg.json().detail).toEqual([expect.objectContaining({ type: 'enum', loc: ['body', 'id_token_signed_response_alg'], msg: "Input should be 'EdDSA', 'ES256' or 'RS256'" })])
    const scope = await call('POST', '/admin/clients', root(), { name: 'x', scopes: ['openid', 'admin'] })
    expect(scope.json().detail).toEqual([expect.objectContaining({ type: 'enum', loc: ['body', 'scopes', 1], input: 'admin' })])
    const many = await call('POST', '/admin/clients', root(), { name: 'x', redirect_uris: Array.from({ length: 21 }, (_, i) => `${APP}/${i}`) })
    expect(many.statusCode).toBe(422)
    expect(many.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'redirect_uris'] })])
    expect((await call('POST', '/admin/clients', root(), { name: 'x', first_party: 'yes' })).statusCode).toBe(422)
  })
})

describe('PATCH /admin/clients/{id}', () => {
  it('changes only the fields given, answers with the client, and audits the names of what changed', async () => {
    const created = (await call('POST', '/admin/clients', root(), { name: 'Patchable', type: 'public', redirect_uris: [APP] })).json()
    const res = await call('PATCH', `/admin/clients/${created.client_id}`, root(), {
      name: 'Patched', redirect_uris: ['com.example.app:/cb', APP], post_logout_redirect_uris: ['https://app.example/bye'],
      first_party: true, id_token_signed_response_alg: 'EdDSA', resources: ['https://api.example/'], scopes: ['openid', 'me'],
      type: 'confidential', client_secret: 'chosen', // not changeable: ignored, as FastAPI ignores unknown fields
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const stored = await server.store.clients.findById(created.client_id)
    expect(res.json()).toEqual(adminView(stored!))
    expect(stored).toMatchObject({
      name: 'Patched', type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'me'],
      redirectUris: ['com.example.app:/cb', APP], postLogoutRedirectUris: ['https://app.example/bye'], firstParty: true,
      idTokenSignedResponseAlg: 'EdDSA', resources: ['https://api.example/'],
    })
    expect(res.body).not.toMatch(/secret/)
    const [entry] = await auditEntries('admin.client_updated', created.client_id)
    expect(entry).toMatchObject({
      actorId: admins.root.id, clientId: created.client_id,
      details: { name: 'Patched', changed: ['name', 'scopes', 'redirect_uris', 'post_logout_redirect_uris', 'first_party', 'id_token_signed_response_alg', 'resources'] },
    })
    // The same values again change nothing, and leave no entry.
    const again = await call('PATCH', `/admin/clients/${created.client_id}`, root(), { name: 'Patched', first_party: true })
    expect(again.statusCode).toBe(200)
    expect(await auditEntries('admin.client_updated', created.client_id)).toHaveLength(1)
  })

  it('422 when the merged client breaks a rule (code flow without redirect URI, a bad URI), leaving it unchanged', async () => {
    const created = (await call('POST', '/admin/clients', root(), { name: 'Rules', redirect_uris: [APP] })).json()
    const before = await server.store.clients.findById(created.client_id)
    const empty = await call('PATCH', `/admin/clients/${created.client_id}`, root(), { redirect_uris: [] })
    expect(empty.statusCode).toBe(422)
    expect(empty.json().detail).toEqual([expect.objectContaining({ loc: ['body', 'redirect_uris'], msg: 'Value error, A client using authorization_code needs at least one redirect URI' })])
    const native = await call('PATCH', `/admin/clients/${created.client_id}`, root(), { name: 'Renamed', redirect_uris: ['com.example.app:/cb'] })
    expect(native.statusCode).toBe(422)
    expect(await server.store.clients.findById(created.client_id)).toEqual(before)
    expect(await auditEntries('admin.client_updated', created.client_id)).toEqual([])
  })

  it('404 for an unknown client', async () => {
    const res = await call('PATCH', '/admin/clients/no-such-client', root(), { name: 'x' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toEqual({ detail: 'Client not found' })
  })
})
