import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ClientScope, UserRecord } from '../../src/core/index.js'
import { ADMIN_SCOPES, createAdmins } from './admin-fixtures.js'
import { TestBrowser, codeFlowClient, exchangeCode, signInAndAuthorize } from './sign-in-helpers.js'
import { FORM, PASSWORD, T0, form, startTestServer, type TestServer } from './test-server.js'

// GET and POST /userinfo (OIDC Core §5.3) over the real routes: the claims each scope allows and
// nothing more, and RFC 6750's answers when the token does not allow the endpoint at all.

let server: TestServer
beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })
afterEach(() => { server.clock.set(T0) })

/** A token as the code flow mints it: identity scopes are not among `server.bearer`'s API scopes. */
function bearer(user: UserRecord, scopes: readonly ClientScope[]): string {
  return `Bearer ${server.tokens.issue(user.id, scopes).token}`
}

function userinfo(method: 'GET' | 'POST', authorization?: string) {
  return server.app.inject({ method, url: '/userinfo', headers: authorization === undefined ? {} : { authorization } })
}

describe('/userinfo', () => {
  it('gives sub alone for openid, adds profile and email claims only with their scopes', async () => {
    const john = server.users.johndoe
    expect((await userinfo('GET', bearer(john, ['openid']))).json()).toEqual({ sub: john.id })
    expect((await userinfo('GET', bearer(john, ['openid', 'profile']))).json()).toEqual({
      sub: john.id, name: 'John Doe', preferred_username: 'johndoe', updated_at: expect.any(Number),
    })
    expect((await userinfo('GET', bearer(john, ['openid', 'email']))).json()).toEqual({
      sub: john.id, email: 'johndoe@example.com', email_verified: false,
    })
  })

  it('answers POST as GET, JSON and never cached', async () => {
    const token = bearer(server.users.johndoe, ['openid', 'profile', 'email'])
    const [get, post] = [await userinfo('GET', token), await userinfo('POST', token)]
    expect(post.statusCode).toBe(200)
    expect(post.json()).toEqual(get.json())
    expect(post.headers['cache-control']).toBe('no-store')
    expect(post.headers['content-type']).toMatch(/^application\/json/)
  })

  it('leaves out claims the user has no value for (bob has no name or email, so no email_verified either)', async () => {
    const bob = server.users.bob
    expect((await userinfo('GET', bearer(bob, ['openid', 'profile', 'email']))).json()).toEqual({
      sub: bob.id, preferred_username: 'bob', updated_at: expect.any(Number),
    })
  })

  it('refuses a token without openid: 403 insufficient_scope naming it (RFC 6750 §3.1)', async () => {
    const res = await userinfo('GET', bearer(server.users.johndoe, ['me']))
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="insufficient_scope"/)
    expect(res.headers['www-authenticate']).toContain('scope="openid"')
  })

  it('refuses no token and a bad token with 401 and a Bearer challenge', async () => {
    const none = await userinfo('GET')
    expect(none.statusCode).toBe(401)
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    const bad = await userinfo('POST', 'Bearer not.a.token')
    expect(bad.statusCode).toBe(401)
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"')
  })

  it('refuses a disabled user\'s token as every protected route does (the tutorial\'s 400 "Inactive user")', async () => {
    const res = await userinfo('GET', bearer(server.users.alice, ['openid']))
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ detail: 'Inactive user' })
  })
})

describe('/userinfo with the tokens Tessera really issues', () => {
  function claimsOf(jwt: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'))
  }

  it('answers a code-flow token by its granted scopes: openid alone is the id_token\'s sub and nothing else', async () => {
    const { client } = await codeFlowClient(server, { name: 'Own App', firstParty: true })   // first-party: no consent page
    const { code } = await signInAndAuthorize(new TestBrowser(server), client, { overrides: { scope: 'openid' } })
    const tokens = (await exchangeCode(server, client.id, code)).json()
    expect(tokens.scope).toBe('openid')
    const res = await userinfo('GET', `Bearer ${tokens.access_token}`)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ sub: server.users.johndoe.id })
    expect(res.json().sub).toBe(claimsOf(tokens.id_token).sub)             // OIDC Core §5.3.2: the same sub
    // §5.3.1: POST too, even with a form body (some clients send one); it is read and ignored.
    const post = await server.app.inject({
      method: 'POST', url: '/userinfo', headers: { ...FORM, authorization: `Bearer ${tokens.access_token}` }, payload: form({ claims: '{"x":1}' }),
    })
    expect(post.statusCode).toBe(200)
    expect(post.json()).toEqual({ sub: server.users.johndoe.id })
  })

  it('refuses a password-grant token (403 insufficient_scope): that grant never grants openid, and refuses to be asked for it', async () => {
    const login = await server.app.inject({
      method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }),
    })
    expect(login.statusCode).toBe(200)
    expect(login.json().scope).toBe('me items')
    const res = await userinfo('GET', `Bearer ${login.json().access_token}`)
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="openid"')
    expect(res.json()).toEqual({ detail: 'Not enough permissions' })
    // The identity scopes are unknown to the password grant (README "Scopes"): invalid_scope, no token.
    const asked = await server.app.inject({
      method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD, scope: 'openid me' }),
    })
    expect(asked.statusCode).toBe(400)
    expect(asked.json().error).toBe('invalid_scope')
  })
})

describe('/userinfo refuses a token that no longer counts: 401 invalid_token with a challenge naming openid', () => {
  const CHALLENGE = /^Bearer error="invalid_token", error_description="[^"]+", scope="openid"$/

  it('an expired token', async () => {
    const token = bearer(server.users.johndoe, ['openid'])
    expect((await userinfo('GET', token)).statusCode).toBe(200)            // the control
    server.clock.advance(31 * 60_000)                                    // 30 min lifetime + 30 s tolerance
    const res = await userinfo('GET', token)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE)
    expect(res.json()).toEqual({ detail: 'Could not validate credentials' })
  })

  it('a token for another resource (aud): Tessera\'s own endpoints take only tokens for its audience', async () => {
    const token = `Bearer ${server.tokens.issue(server.users.johndoe.id, ['openid'], { audience: ['https://api.example.com'] }).token}`
    const res = await userinfo('GET', token)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE)
  })

  it('a token of a user disabled since, through the admin API (which ends the user\'s sessions)', async () => {
    const { root } = await createAdmins(server)
    const victim = await server.store.users.create({ username: 'carol', passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
    const token = bearer(victim, ['openid', 'profile'])
    expect((await userinfo('GET', token)).statusCode).toBe(200)
    const disable = await server.app.inject({
      method: 'PATCH', url: `/admin/users/${victim.id}`, headers: { authorization: server.bearer(root, ADMIN_SCOPES) }, payload: { disabled: true },
    })
    expect(disable.statusCode).toBe(200)
    const res = await userinfo('POST', token)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE)
  })

  it('a token issued before POST /logout', async () => {
    const user = await server.store.users.create({ username: 'dave', passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
    const token = bearer(user, ['openid', 'me'])
    expect((await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: token } })).statusCode).toBe(204)
    const res = await userinfo('GET', token)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(CHALLENGE)
  })
})
