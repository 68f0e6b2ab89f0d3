import { describe, expect, it } from 'vitest'
import { Conflict, ValidationFailed } from '../../src/core/errors.js'
import { HashAdmission } from '../../src/core/hash-admission.js'
import { createPasswordHasher } from '../../src/core/password.js'
import { registerUser, type RegistrationRequest } from '../../src/core/registration.js'
import { CountingAdmission } from './counting-admission.js'
import { FIXED_DATE, inMemoryUsers } from './in-memory-stores.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

function setup() {
  const users = inMemoryUsers()
  const admission = new CountingAdmission({ concurrency: 2, queueLimit: 8 })
  const hasher = createPasswordHasher({ admission, params: CHEAP })
  return { users, admission, hasher, deps: { users, hasher, passwordMaxBytes: 1024 } }
}

async function issuesOf(pending: Promise<unknown>): Promise<unknown> {
  const err = await pending.then(() => { throw new Error('expected ValidationFailed') }, (e: unknown) => e)
  expect(err).toBeInstanceOf(ValidationFailed)
  return (err as ValidationFailed).issues
}

const VALID: RegistrationRequest = { username: 'newuser', password: 'long enough', email: 'new@example.com', full_name: 'New User' }

describe('registerUser', () => {
  it('stores the user with an argon2id hash and the default scopes', async () => {
    const { deps, hasher, users } = setup()
    const user = await registerUser(VALID, deps)
    expect(user).toEqual({
      id: expect.any(String), username: 'newuser', email: 'new@example.com', emailVerified: false, fullName: 'New User',
      passwordHash: expect.stringMatching(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/), disabled: false,
      scopes: ['me', 'items'], tokensNotBefore: null, createdAt: FIXED_DATE, updatedAt: FIXED_DATE,
    })
    expect(users.records.get(user.id)).toEqual(user)
    await expect(hasher.verify('long enough', user.passwordHash)).resolves.toEqual({ valid: true, needsRehash: false })
  })

  it('makes email and full name optional', async () => {
    const user = await registerUser({ username: 'plain', password: 'long enough' }, setup().deps)
    expect([user.email, user.fullName]).toEqual([null, null])
  })

  it('stores the NFKC form of the username', async () => {
    const user = await registerUser({ ...VALID, username: 'ｊｏｈｎ' }, setup().deps) // full-width letters
    expect(user.username).toBe('john')
  })

  it('counts username length after NFKC, in code points', async () => {
    const { deps } = setup()
    await expect(registerUser({ ...VALID, username: 'ab😀' }, deps)).resolves.toMatchObject({ username: 'ab😀' })
    await expect(registerUser({ ...VALID, username: 'x'.repeat(50) }, deps)).resolves.toMatchObject({ username: 'x'.repeat(50) })
  })

  it('refuses usernames shorter than 3 or longer than 50 characters, pydantic-style', async () => {
    const { deps } = setup()
    expect(await issuesOf(registerUser({ ...VALID, username: 'ab' }, deps))).toEqual([{
      type: 'string_too_short', loc: ['body', 'username'], msg: 'String should have at least 3 characters', input: 'ab', ctx: { min_length: 3 },
    }])
    expect(await issuesOf(registerUser({ ...VALID, username: 'x'.repeat(51) }, deps))).toEqual([{
      type: 'string_too_long', loc: ['body', 'username'], msg: 'String should have at most 50 characters', input: 'x'.repeat(51), ctx: { max_length: 50 },
    }])
  })

  it.each([['NUL', 'john\0doe'], ['a newline', 'john\ndoe'], ['an escape', 'john\x1bdoe'], ['DEL', 'john\x7f'], ['a C1 control', 'john\u0085'], ['a lone surrogate', 'john\ud800']])(
    'refuses a username with %s',
    async (_, username) => {
      expect(await issuesOf(registerUser({ ...VALID, username }, setup().deps))).toEqual([{
        type: 'value_error', loc: ['body', 'username'], msg: 'Value error, Username must not contain control characters', input: username,
      }])
    },
  )

  it('applies the password policy without echoing the password', async () => {
    const { deps } = setup()
    expect(await issuesOf(registerUser({ ...VALID, password: 'short' }, deps))).toEqual([{
      type: 'string_too_short', loc: ['body', 'password'], msg: 'String should have at least 8 characters', ctx: { min_length: 8 },
    }])
    expect(await issuesOf(registerUser({ ...VALID, password: 'x'.repeat(1025) }, deps))).toEqual([{
      type: 'string_too_long', loc: ['body', 'password'], msg: 'String should have at most 1024 bytes', ctx: { max_length: 1024 },
    }])
    expect(await issuesOf(registerUser({ ...VALID, password: 'long\0enough' }, deps))).toEqual([{
      type: 'value_error', loc: ['body', 'password'], msg: 'Value error, Password must not contain NUL characters',
    }])
  })

  it.each(['', 'plainaddress', 'a@b', 'a b@example.com', '@example.com', 'a@@example.com', 'a@example.', `${'x'.repeat(250)}@e.com`])(
    'refuses the email %j',
    async (email) => {
      expect(await issuesOf(registerUser({ ...VALID, email }, setup().deps))).toEqual([{
        type: 'value_error', loc: ['body', 'email'], msg: 'value is not a valid email address', input: email,
      }])
    },
  )

  it('reports every invalid field at once, and hashes nothing', async () => {
    const { deps, admission } = setup()
    const issues = await issuesOf(registerUser({ username: 'a', password: 'b', email: 'c' }, deps))
    expect((issues as { loc: string[] }[]).map((i) => i.loc)).toEqual([['body', 'username'], ['body', 'password'], ['body', 'email']])
    expect(admission.tasks).toBe(0)
  })

  it('passes the store\'s Conflict through for a taken name, in any case', async () => {
    const { deps } = setup()
    await registerUser(VALID, deps)
    await expect(registerUser({ ...VALID, username: 'NewUser' }, deps)).rejects.toThrow(Conflict)
    await expect(registerUser({ ...VALID, username: 'NewUser' }, deps)).rejects.toThrow('Username already registered')
  })

  it('passes ServiceUnavailable through when hashing capacity is exhausted', async () => {
    const { users } = setup()
    const full = new HashAdmission({ concurrency: 1, queueLimit: 0 })
    let release!: () => void
    const held = full.run(() => new Promise<void>((resolve) => { release = resolve }))
    const hasher = createPasswordHasher({ admission: full, params: CHEAP })
    await expect(registerUser(VALID, { users, hasher, passwordMaxBytes: 1024 })).rejects.toMatchObject({ status: 503 })
    expect(users.records.size).toBe(0)
    release()
    await held
  })
})
