import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashRefreshToken } from '../../src/core/index.js'
import { NO_STORE_JSON, REFRESH_TOKEN, auditEvents, bearerNow, errorBody, mintRefreshToken, postForm, refresh } from './session-helpers.js'
import { PASSWORD, stableHeaders, startTestServer, type TestServer } from './test-server.js'

// Issue 3, part 2: POST /logout and POST /users/me/password end sessions.
let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

const INVALID_TOKEN = { detail: 'Could not validate credentials' }

function me(authorization: string) {
  return server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization } })
}

function logout(authorization: string) {
  return server.app.inject({ method: 'POST', url: '/logout', headers: { authorization } })
}

function changePassword(authorization: string, body: Record<string, unknown>) {
  return server.app.inject({ method: 'POST', url: '/users/me/password', headers: { authorization }, payload: body })
}

async function newUser(username: string) {
  return server.store.users.create({ username, passwordHash: server.users.johndoe.passwordHash, scopes: ['me', 'items'] })
}

describe('POST /logout', () => {
  it('204, then every access token issued before is refused at once and every refresh token is dead', async () => {
    const user = await newUser('logout1')
    const tokens = [await bearerNow(server, user), await bearerNow(server, user, ['me'])]
    const refreshTokens = [await mintRefreshToken(server, user), await mintRefreshToken(server, user, { scopes: ['me'] })]

    const res = await logout(tokens[0]!)
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')

    for (const token of tokens) {
      const after = await me(token)
      expect(after.statusCode).toBe(401)
      expect(after.json()).toEqual(INVALID_TOKEN)
      expect(after.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token is invalid", scope="me"')
    }
    for (const token of refreshTokens) {
      expect((await refresh(server, token)).json()).toEqual(errorBody('invalid_grant', 'Invalid refresh token'))
      expect((await server.store.refreshTokens.findByHash(hashRefreshToken(token)))?.revokedAt).toBe(server.clock.now())
    }
    expect((await server.store.users.findById(user.id))?.tokensNotBefore).toBe(Math.floor(server.clock.now() / 1000) + 1)
    const audit = await auditEvents(server, 'logout')
    expect(audit[0]).toMatchObject({ userId: user.id, username: 'logout1', clientId: null })
  })

  it('a login in the same second after the logout works (its iat is the tokens-not-before)', async () => {
    const user = await newUser('logout2')
    expect((await logout(await bearerNow(server, user))).statusCode).toBe(204)
    const login = await postForm(server, '/token', { username: 'logout2', password: PASSWORD })
    expect(login.statusCode).toBe(200)
    expect((await me(`Bearer ${login.json().access_token}`)).statusCode).toBe(200)
    expect((await refresh(server, login.json().refresh_token)).statusCode).toBe(200)
  })

  it('needs a valid bearer token: 401 without one, and it does not end another user\'s sessions', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/logout' })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ detail: 'Not authenticated' })
    const other = await newUser('logout3')
    const otherToken = await bearerNow(server, other)
    expect((await logout(await bearerNow(server, await newUser('logout4')))).statusCode).toBe(204)
    expect((await me(otherToken)).statusCode).toBe(200)
  })
})

describe('POST /users/me/password', () => {
  const NEW_PASSWORD = 'a brand new passphrase'

  it('changes the password, ends the other sessions, and returns a fresh pair for this one', async () => {
    const user = await newUser('changer')
    const caller = await bearerNow(server, user, ['me'])
    const otherAccess = await bearerNow(server, user)
    const otherRefresh = await mintRefreshToken(server, user)

    const res = await changePassword(caller, { current_password: PASSWORD, new_password: NEW_PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 1800, scope: 'me' })
    expect(body.refresh_token).toMatch(REFRESH_TOKEN)

    expect((await me(caller)).statusCode).toBe(401)                      // the calling token too: replaced
    expect((await me(otherAccess)).statusCode).toBe(401)
    expect((await refresh(server, otherRefresh)).statusCode).toBe(400)
    expect((await me(`Bearer ${body.access_token}`)).statusCode).toBe(200)
    expect((await refresh(server, body.refresh_token)).json().scope).toBe('me')

    const stored = await server.store.users.findById(user.id)
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/)
    expect((await server.hasher.verify(NEW_PASSWORD, stored!.passwordHash)).valid).toBe(true)
    expect((await postForm(server, '/token', { username: 'changer', password: PASSWORD })).statusCode).toBe(401)
    expect((await auditEvents(server, 'password.changed'))[0]).toMatchObject({ userId: user.id, username: 'changer' })
  })

  it('a wrong current password: 400 "Incorrect password" (not 401: the bearer token is fine), nothing changed', async () => {
    const user = await newUser('wrongcurrent')
    const caller = await bearerNow(server, user)
    const res = await changePassword(caller, { current_password: 'not my password', new_password: NEW_PASSWORD })
    expect(res.statusCode).toBe(400)
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect(res.json()).toEqual({ detail: 'Incorrect password' })
    expect((await server.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash)
    expect((await me(caller)).statusCode).toBe(200)
  })

  it('the new password must pass the registration policy and differ from the current one: 422, before any hashing', async () => {
    const caller = await bearerNow(server, await newUser('policy'))
    server.hasher.calls.verify = 0
    const short = await changePassword(caller, { current_password: PASSWORD, new_password: 'short' })
    expect(short.statusCode).toBe(422)
    expect(short.json()).toEqual({ detail: [{ type: 'string_too_short', loc: ['body', 'new_password'], msg: 'String should have at least 8 characters', ctx: { min_length: 8 } }] })
    expect(server.hasher.calls.verify).toBe(0)
    const same = await changePassword(caller, { current_password: PASSWORD, new_password: PASSWORD })
    expect(same.statusCode).toBe(422)
    expect(same.json()).toEqual({ detail: [{ type: 'value_error', loc: ['body', 'new_password'], msg: 'Value error, New password must differ from the current password' }] })
    const missing = await changePassword(caller, { new_password: NEW_PASSWORD })
    expect(missing.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'current_password'], msg: 'Field required', input: null }] })
  })

  it('needs the `me` scope', async () => {
    const res = await changePassword(await bearerNow(server, await newUser('noscope'), ['items']), { current_password: PASSWORD, new_password: NEW_PASSWORD })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toEqual({ detail: 'Not enough permissions' })
  })
})
