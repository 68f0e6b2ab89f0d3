import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UserRecord } from '../../src/core/index.js'
import { createAdmins, type Admins } from './admin-fixtures.js'
import { errorBody, postForm, refresh } from './session-helpers.js'
import { PASSWORD, startTestServer, type TestServer } from './test-server.js'

// The password grant checks the password (~100 ms of argon2) between reading the user and
// issuing tokens. Whatever lands in between (a password change or reset, a disable, a logout)
// must count: tokens are issued from the user as stored after the check, never from before it.
let server: TestServer
let admins: Admins

beforeAll(async () => {
  server = await startTestServer()
  admins = await createAdmins(server)
})
afterAll(async () => { await server.close() })

const NEW_PASSWORD = 'a brand new passphrase'

/** A held gate: `reached` resolves when the code under test gets there, `release()` lets it go on. */
interface Gate { reached: Promise<void>; release(): void }

function gate(): Gate & { arrive(): Promise<void> } {
  let reach!: () => void
  let release!: () => void
  const reached = new Promise<void>((resolve) => { reach = resolve })
  const released = new Promise<void>((resolve) => { release = resolve })
  return { reached, release, arrive: () => { reach(); return released } }
}

/** Holds the app's next password verification open after it has its answer (a deferred verify). */
function holdNextVerify(): Gate {
  const held = gate()
  const { verify } = server.hasher
  server.hasher.verify = async (password, hash) => {
    server.hasher.verify = verify                                       // this one call only
    const result = await verify(password, hash)
    await held.arrive()
    return result
  }
  return held
}

/** Holds the app's next lookup of `user` by id (the grant's re-read after the password check). */
function holdNextLookup(user: UserRecord): Gate {
  const held = gate()
  const users = server.store.users
  const { findById } = users
  users.findById = async (id) => {
    const found = await findById.call(users, id)
    if (id !== user.id) return found
    users.findById = findById
    await held.arrive()
    return found
  }
  return held
}

async function newUser(username: string): Promise<UserRecord> {
  return server.store.users.create({ username, passwordHash: server.users.johndoe.passwordHash, scopes: ['me', 'items'] })
}

function login(username: string) {
  return postForm(server, '/token', { username, password: PASSWORD })
}

function me(accessToken: string) {
  return server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${accessToken}` } })
}

/**
 * Starts a login, runs `meanwhile` while its password check is held open, lets a second pass
 * (as ~1 in 10 real checks end in the next second than they started: the case where a stale
 * record's tokens would pass the new cut-off), then gives the login's answer.
 */
async function loginAround(username: string, meanwhile: () => Promise<void>, { nextSecond = true } = {}) {
  const held = holdNextVerify()
  const pending = login(username)
  await held.reached
  await meanwhile()
  if (nextSecond) server.clock.advance(1000)
  held.release()
  return pending
}

describe('POST /token racing a change to the account', () => {
  it('the user changes the password during the check: the old password gets 401, no tokens are issued', async () => {
    const user = await newUser('race-change')
    const res = await loginAround('race-change', async () => {
      const change = await server.app.inject({
        method: 'POST', url: '/users/me/password', headers: { authorization: server.bearer(user) },
        payload: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      })
      expect(change.statusCode).toBe(200)
    })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(res.json()).toEqual(errorBody('invalid_grant', 'Incorrect username or password'))
  })

  it('an administrator resets the password during the check: 401, no tokens', async () => {
    const user = await newUser('race-reset')
    const res = await loginAround('race-reset', async () => {
      const reset = await server.app.inject({
        method: 'POST', url: `/admin/users/${user.id}/password`, headers: { authorization: server.bearer(admins.root) },
        payload: { new_password: NEW_PASSWORD },
      })
      expect(reset.statusCode).toBe(204)
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual(errorBody('invalid_grant', 'Incorrect username or password'))
  })

  it('an administrator disables the account during the check: 400 Inactive user, no tokens', async () => {
    const user = await newUser('race-disable')
    const res = await loginAround('race-disable', async () => {
      const disable = await server.app.inject({
        method: 'PATCH', url: `/admin/users/${user.id}`, headers: { authorization: server.bearer(admins.root) }, payload: { disabled: true },
      })
      expect(disable.statusCode).toBe(200)
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual(errorBody('invalid_grant', 'Inactive user'))
  })

  it('the account is deleted during the check: 401, as an unknown user', async () => {
    const user = await newUser('race-delete')
    const res = await loginAround('race-delete', async () => {
      const removed = await server.app.inject({ method: 'DELETE', url: `/admin/users/${user.id}`, headers: { authorization: server.bearer(admins.root) } })
      expect(removed.statusCode).toBe(204)
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual(errorBody('invalid_grant', 'Incorrect username or password'))
  })

  it('a logout during the check ends the sessions before it; the login completing after it is a new one, stamped at the cut-off', async () => {
    const user = await newUser('race-logout')
    const before = server.bearer(user)
    const res = await loginAround('race-logout', async () => {
      expect((await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: before } })).statusCode).toBe(204)
    }, { nextSecond: false })
    expect(res.statusCode).toBe(200)
    const cutoff = (await server.store.users.findById(user.id))?.tokensNotBefore
    expect(server.tokens.verify(res.json().access_token).iat).toBe(cutoff)   // from the fresh record, not the one read before
    expect((await me(res.json().access_token)).statusCode).toBe(200)
    expect((await refresh(server, res.json().refresh_token)).statusCode).toBe(200)
    expect((await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: before } })).statusCode).toBe(401)
  })

  it('a logout after the re-read, before the tokens are issued: the issued access token is refused, its refresh token cannot refresh', async () => {
    const user = await newUser('race-late-logout')
    const held = holdNextLookup(user)
    const pending = login('race-late-logout')
    await held.reached
    expect((await server.app.inject({ method: 'POST', url: '/logout', headers: { authorization: server.bearer(user) } })).statusCode).toBe(204)
    held.release()
    const res = await pending
    expect(res.statusCode).toBe(200)
    expect((await me(res.json().access_token)).statusCode).toBe(401)
    expect((await refresh(server, res.json().refresh_token)).json()).toEqual(errorBody('invalid_grant', 'Invalid refresh token'))
  })
})
