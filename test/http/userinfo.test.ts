import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClientScope, UserRecord } from '../../src/core/index.js'
import { startTestServer, type TestServer } from './test-server.js'

// GET and POST /userinfo (OIDC Core §5.3) over the real routes: the claims each scope allows and
// nothing more, and RFC 6750's answers when the token does not allow the endpoint at all.

let server: TestServer
beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

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
