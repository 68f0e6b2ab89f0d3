import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createAccessTokens } from '../../src/core/access-token.js'
import { fixedClock } from '../../src/core/clock.js'
import { toErrorResponse } from '../../src/core/error-response.js'
import { InvalidCredentials, InvalidGrant, InvalidScope, ValidationFailed } from '../../src/core/errors.js'
import { createPasswordHasher, type PasswordHasher } from '../../src/core/password.js'
import { passwordGrant } from '../../src/core/password-grant.js'
import { CountingAdmission } from './counting-admission.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0)
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const BCRYPT_SECRET = (JSON.parse(readFileSync(new URL('../fixtures/passlib-bcrypt.json', import.meta.url), 'utf8')) as { hashes: { hash: string }[] })
  .hashes.find((h) => h.hash.startsWith('$2a$04$'))?.hash as string

/** Records which hasher operations a flow performed, in order. */
function recording(hasher: PasswordHasher) {
  const calls: string[] = []
  const spy: PasswordHasher = {
    hash: (p) => { calls.push('hash'); return hasher.hash(p) },
    verify: (p, h) => { calls.push('verify'); return hasher.verify(p, h) },
    verifyDummy: (p) => { calls.push('verifyDummy'); return hasher.verifyDummy(p) },
  }
  return { spy, calls }
}

async function setup() {
  const clock = fixedClock(NOW)
  const tokens = createAccessTokens({ secretKey: 'a-test-secret-that-is-long-enough-0123456789', issuer: 'https://auth.example.test', expiresInSeconds: 1800, clock })
  const users = inMemoryUsers()
  const admission = new CountingAdmission({ concurrency: 2, queueLimit: 8 })
  const real = createPasswordHasher({ admission, params: CHEAP })
  const { spy, calls } = recording(real)
  const johndoe = await users.create({ username: 'johndoe', passwordHash: await real.hash('secret'), scopes: ['me', 'items'] })
  const alice = await users.create({ username: 'alice', passwordHash: await real.hash('secret2'), disabled: true })
  return { tokens, users, johndoe, alice, calls, hasher: real, deps: { users, hasher: spy, tokens, passwordMaxBytes: 1024 } }
}

async function failure(pending: Promise<unknown>): Promise<unknown> {
  return pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

describe('passwordGrant', () => {
  it('issues a bearer token for the user\'s default scopes when none are asked for', async () => {
    const { deps, tokens, johndoe, calls } = await setup()
    const response = await passwordGrant({ username: 'johndoe', password: 'secret' }, deps)
    expect(response).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1800, scope: 'me items' })
    expect(tokens.verify(response.access_token)).toMatchObject({ sub: johndoe.id, scope: ['me', 'items'] })
    expect(calls).toEqual(['verify'])
  })

  it('grants the requested scopes the user is allowed', async () => {
    const { deps, tokens } = await setup()
    const response = await passwordGrant({ username: 'johndoe', password: 'secret', scope: 'items' }, deps)
    expect(response.scope).toBe('items')
    expect(tokens.verify(response.access_token).scope).toEqual(['items'])
  })

  it('grants nothing beyond what the user is allowed', async () => {
    const { deps, users, hasher } = await setup()
    await users.create({ username: 'limited', passwordHash: await hasher.hash('pw'), scopes: ['me'] })
    await expect(passwordGrant({ username: 'limited', password: 'pw', scope: 'me items' }, deps)).resolves.toMatchObject({ scope: 'me' })
  })

  it('refuses an unknown scope with invalid_scope', async () => {
    const { deps } = await setup()
    await expect(passwordGrant({ username: 'johndoe', password: 'secret', scope: 'me admin' }, deps)).rejects.toBeInstanceOf(InvalidScope)
  })

  it('answers a wrong password and an unknown user identically, after the same hashing work', async () => {
    const { deps, calls } = await setup()
    const wrongPassword = await failure(passwordGrant({ username: 'johndoe', password: 'wrong' }, deps))
    expect(calls.splice(0)).toEqual(['verify'])
    const unknownUser = await failure(passwordGrant({ username: 'nobody', password: 'secret' }, deps))
    expect(calls.splice(0)).toEqual(['verifyDummy'])
    expect(wrongPassword).toBeInstanceOf(InvalidCredentials)
    expect(unknownUser).toBeInstanceOf(InvalidCredentials)
    const expected = {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      body: { detail: 'Incorrect username or password', error: 'invalid_grant', error_description: 'Incorrect username or password' },
    }
    expect(toErrorResponse(wrongPassword)).toEqual(expected)
    expect(toErrorResponse(unknownUser)).toEqual(expected)
  })

  it('reveals a disabled account only to someone who knows its password', async () => {
    const { deps } = await setup()
    await expect(passwordGrant({ username: 'alice', password: 'wrong' }, deps)).rejects.toBeInstanceOf(InvalidCredentials)
    const err = await failure(passwordGrant({ username: 'alice', password: 'secret2' }, deps))
    expect(err).toBeInstanceOf(InvalidGrant)
    expect(toErrorResponse(err)).toEqual({
      status: 400, headers: {}, body: { detail: 'Inactive user', error: 'invalid_grant', error_description: 'Inactive user' },
    })
  })

  it('refuses an over-long password with 422 before any hashing or lookup, never echoing it', async () => {
    const { deps, calls } = await setup()
    const lookups: string[] = []
    const users = { ...deps.users, findByUsername: async (name: string) => { lookups.push(name); return null } }
    const err = await failure(passwordGrant({ username: 'johndoe', password: 'x'.repeat(1025) }, { ...deps, users }))
    expect(err).toBeInstanceOf(ValidationFailed)
    expect(toErrorResponse(err)).toEqual({
      status: 422,
      headers: {},
      body: { detail: [{ type: 'string_too_long', loc: ['body', 'password'], msg: 'String should have at most 1024 bytes', ctx: { max_length: 1024 } }] },
    })
    expect([calls, lookups]).toEqual([[], []])
  })

  it('does not apply the registration policy at login: a short password is just checked', async () => {
    const { deps } = await setup()
    await expect(passwordGrant({ username: 'johndoe', password: 'x' }, deps)).rejects.toBeInstanceOf(InvalidCredentials)
  })

  it('upgrades a passlib bcrypt hash to argon2id on a successful login', async () => {
    const { deps, users, calls, hasher } = await setup()
    const legacy = await users.create({ username: 'legacy', passwordHash: BCRYPT_SECRET })
    await expect(passwordGrant({ username: 'legacy', password: 'secret' }, deps)).resolves.toMatchObject({ token_type: 'bearer' })
    expect(calls).toEqual(['verify', 'hash'])
    const stored = users.records.get(legacy.id)?.passwordHash as string
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/)
    await expect(hasher.verify('secret', stored)).resolves.toEqual({ valid: true, needsRehash: false })
  })

  it('does not rehash on a failed login', async () => {
    const { deps, users, calls } = await setup()
    const legacy = await users.create({ username: 'legacy', passwordHash: BCRYPT_SECRET })
    await expect(passwordGrant({ username: 'legacy', password: 'wrong' }, deps)).rejects.toBeInstanceOf(InvalidCredentials)
    expect(calls).toEqual(['verify'])
    expect(users.records.get(legacy.id)?.passwordHash).toBe(BCRYPT_SECRET)
  })

  it('a password changed while a legacy hash is being upgraded wins: the login fails, the new hash is not overwritten', async () => {
    const { deps, users } = await setup()
    const legacy = await users.create({ username: 'legacy', passwordHash: BCRYPT_SECRET })
    const changed = '$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$changedWhileHashing'
    const hashing = { ...deps.hasher, hash: async (p: string) => { await users.updatePasswordHash(legacy.id, changed); return deps.hasher.hash(p) } }
    await expect(passwordGrant({ username: 'legacy', password: 'secret' }, { ...deps, hasher: hashing })).rejects.toBeInstanceOf(InvalidCredentials)
    expect(users.records.get(legacy.id)?.passwordHash).toBe(changed)
  })

  it('looks users up by name case-insensitively (the store normalises)', async () => {
    const { deps } = await setup()
    await expect(passwordGrant({ username: 'JohnDoe', password: 'secret' }, deps)).resolves.toMatchObject({ scope: 'me items' })
  })
})
