import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_SCOPES, createAdmins, type Admins } from './admin-fixtures.js'
import { startTestServer, type TestServer } from './test-server.js'

// /admin/providers (issue 11 part 1): the upstream identity providers through the admin API, as
// `tessera providers` manages them. The client secret goes in and is never shown again.

let server: TestServer
let admins: Admins
beforeAll(async () => {
  server = await startTestServer()
  admins = await createAdmins(server)
})
afterAll(async () => { await server.close() })

function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, authorization: string, payload?: object) {
  return server.app.inject({ method, url, headers: { authorization }, ...(payload === undefined ? {} : { payload }) })
}
const root = () => server.bearer(admins.root, ADMIN_SCOPES)
const SECRET = 'GOCSPX-upstream-secret-value'

describe('/admin/providers', () => {
  it('adds a preset provider, lists it without its secret, changes and removes it; audited', async () => {
    const added = await call('POST', '/admin/providers', root(), { id: 'google', preset: 'google', client_id: 'abc.apps.googleusercontent.com', client_secret: SECRET })
    expect(added.statusCode, added.body).toBe(201)
    expect(added.headers['cache-control']).toBe('no-store')
    expect(added.json()).toEqual({
      id: 'google', kind: 'oidc', label: 'Sign in with Google', issuer: 'https://accounts.google.com', client_id: 'abc.apps.googleusercontent.com',
      client_secret_set: true, scopes: ['openid', 'email', 'profile'], created_at: expect.any(String), updated_at: expect.any(String),
    })
    expect((await server.store.identityProviders.findById('google'))?.clientSecret).toBe(SECRET)   // kept to present upstream

    const listed = await call('GET', '/admin/providers', server.bearer(admins.auditor, ['users:read']))
    expect(listed.statusCode).toBe(200)
    expect(listed.json().providers.map((p: { id: string }) => p.id)).toEqual(['google'])
    expect(listed.body).not.toContain(SECRET)

    const changed = await call('PATCH', '/admin/providers/google', root(), { label: 'Google', client_secret: 'rotated-secret' })
    expect(changed.statusCode).toBe(200)
    expect(changed.json()).toMatchObject({ label: 'Google', client_secret_set: true })
    expect(changed.body).not.toContain('rotated-secret')
    expect((await server.store.identityProviders.findById('google'))?.clientSecret).toBe('rotated-secret')

    expect((await call('DELETE', '/admin/providers/google', root())).statusCode).toBe(204)
    expect((await call('DELETE', '/admin/providers/google', root())).statusCode).toBe(404)
    const events = (await server.store.audit.list({ limit: 50, offset: 0 })).filter((e) => e.event.startsWith('admin.provider_')).map((e) => [e.event, e.actorId])
    expect(events.sort()).toEqual([
      ['admin.provider_added', admins.root.id], ['admin.provider_removed', admins.root.id], ['admin.provider_updated', admins.root.id],
    ])
    expect(JSON.stringify(await server.store.audit.list({ limit: 50, offset: 0 }))).not.toContain(SECRET)
  })

  it('adds any OpenID Provider by issuer, and GitHub Enterprise by its site', async () => {
    const oidc = await call('POST', '/admin/providers', root(), { id: 'corp', issuer: 'https://login.corp.example', client_id: 'tessera', client_secret: SECRET, label: 'Sign in with Corp SSO' })
    expect(oidc.json()).toMatchObject({ kind: 'oidc', scopes: ['openid', 'email', 'profile'], label: 'Sign in with Corp SSO' })
    const ghe = await call('POST', '/admin/providers', root(), { id: 'ghe', preset: 'github', issuer: 'https://github.corp.example', client_id: 'Iv1.x', client_secret: SECRET })
    expect(ghe.json()).toMatchObject({ kind: 'github', issuer: 'https://github.corp.example', scopes: ['read:user', 'user:email'] })
    expect((await call('POST', '/admin/providers', root(), { id: 'corp', issuer: 'https://x.example', client_id: 'a', client_secret: 'b' })).statusCode).toBe(409)
  })

  it('refuses bad fields with 422, every one at once, never echoing the secret', async () => {
    const res = await call('POST', '/admin/providers', root(), {
      id: 'Bad Id', issuer: 'http://evil.example/?q=1', client_id: 'has space', client_secret: SECRET, scopes: ['email'],
    })
    expect(res.statusCode).toBe(422)
    expect(res.json().detail.map((d: { loc: string[] }) => d.loc.at(-1))).toEqual(['id', 'issuer', 'client_id', 'scopes'])
    expect(res.body).not.toContain(SECRET)
    expect((await call('PATCH', '/admin/providers/nope', root(), { label: 'x' })).statusCode).toBe(404)
  })

  it('needs users:write to change anything', async () => {
    const auditor = server.bearer(admins.auditor, ['users:read'])
    expect((await call('POST', '/admin/providers', auditor, { id: 'x', preset: 'google', client_id: 'a', client_secret: 'b' })).statusCode).toBe(403)
    expect(await server.store.identityProviders.findById('x')).toBeNull()
  })
})
