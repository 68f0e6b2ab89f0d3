import { describe, expect, it } from 'vitest'
import { deleteUser, resetPassword, updateUser, type AdminDeps } from '../../src/core/admin.js'
import { fixedClock } from '../../src/core/clock.js'
import { Forbidden, NotFound, ValidationFailed } from '../../src/core/errors.js'
import type { PasswordHasher } from '../../src/core/password.js'
import type { RefreshTokenStore } from '../../src/core/ports.js'
import type { UserRecord } from '../../src/core/user.js'
import { inMemoryBrowserSessions } from './in-memory-sign-in.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0, 500)
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

/** Counts what a flow asks of the hasher and the refresh-token store; nothing real is hashed. */
function setup() {
  const users = inMemoryUsers()
  const revoked: { userId: string; now: number }[] = []
  const hashed: string[] = []
  const hasher: PasswordHasher = {
    async hash(password) { hashed.push(password); return `hashed:${password}` },
    async verify() { return { valid: false, needsRehash: false } },
    async verifyDummy() {},
  }
  const refreshTokens = { async revokeAllForUser(userId: string, now: number) { revoked.push({ userId, now }); return 1 } } as unknown as RefreshTokenStore
  const browserSessions = inMemoryBrowserSessions()
  const deps: AdminDeps = { users, refreshTokens, browserSessions, hasher, passwordMaxBytes: 1024, clock: fixedClock(NOW) }
  return { users, revoked, hashed, deps, browserSessions }
}

async function account(users: ReturnType<typeof inMemoryUsers>, username: string, extra: Partial<UserRecord> = {}): Promise<UserRecord> {
  const user = await users.create({ username, passwordHash: 'old-hash', scopes: ['me', 'items'] })
  users.records.set(user.id, { ...user, ...extra })
  return users.records.get(user.id)!
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e)
}

/** The tokens-not-before that ends everything issued up to NOW: the next whole second. */
const CUT_OFF = Math.floor(NOW / 1000) + 1

describe('updateUser', () => {
  it('changes the given fields and reports them, ending no session for a profile change or a granted scope', async () => {
    const { users, revoked, deps } = setup()
    const admin = await account(users, 'root')
    const user = await account(users, 'john')
    const result = await updateUser(admin, user.id, { full_name: 'John', email: 'john@example.com', scopes: ['me', 'items', 'users:read'] }, deps)
    expect(result).toEqual({
      user: { ...user, fullName: 'John', email: 'john@example.com', scopes: ['me', 'items', 'users:read'] },
      changed: ['scopes', 'email', 'full_name'], sessionsEnded: false,
    })
    expect(revoked).toEqual([])
  })

  it('ends the sessions when disabling, and when a scope is taken away', async () => {
    const { users, revoked, deps, browserSessions } = setup()
    const admin = await account(users, 'root')
    const john = await account(users, 'john')
    const jane = await account(users, 'jane')
    await browserSessions.create({
      id: 's-john', tokenHash: 'h', userId: john.id, authenticatedAt: NOW, amr: ['pwd'], createdAt: NOW, lastSeenAt: NOW, expiresAt: NOW + 1000, ip: null, userAgent: null,
    })
    expect(await updateUser(admin, john.id, { disabled: true }, deps)).toMatchObject({ sessionsEnded: true, user: { disabled: true, tokensNotBefore: CUT_OFF } })
    expect(await updateUser(admin, jane.id, { scopes: ['items'] }, deps)).toMatchObject({ sessionsEnded: true, user: { scopes: ['items'], tokensNotBefore: CUT_OFF } })
    expect(revoked).toEqual([{ userId: john.id, now: NOW }, { userId: jane.id, now: NOW }])
    expect(browserSessions.records.size).toBe(0)                        // the browser sign-in (single sign-on) ended too
  })

  it('writes nothing for an empty update', async () => {
    const { users, deps } = setup()
    const admin = await account(users, 'root')
    const user = await account(users, 'john')
    expect(await updateUser(admin, user.id, {}, deps)).toEqual({ user, changed: [], sessionsEnded: false })
  })

  it('checks the e-mail before anything else, then that the user exists', async () => {
    const { users, deps } = setup()
    const admin = await account(users, 'root')
    const invalid = await rejection(updateUser(admin, UNKNOWN, { email: 'nope' }, deps))
    expect(invalid).toBeInstanceOf(ValidationFailed)
    expect((invalid as ValidationFailed).issues).toEqual([{ type: 'value_error', loc: ['body', 'email'], msg: 'value is not a valid email address', input: 'nope' }])
    const missing = await rejection(updateUser(admin, UNKNOWN, { disabled: true }, deps))
    expect(missing).toEqual(new NotFound('User not found'))
  })

  it('refuses to let administrators disable themselves or drop their own users:write', async () => {
    const { users, revoked, deps } = setup()
    const admin = await account(users, 'root', { scopes: ['me', 'users:read', 'users:write'] })
    expect(await rejection(updateUser(admin, admin.id, { disabled: true }, deps))).toEqual(new Forbidden('Administrators cannot disable their own account'))
    expect(await rejection(updateUser(admin, admin.id, { scopes: ['me'] }, deps)))
      .toEqual(new Forbidden('Administrators cannot remove users:write from their own account'))
    expect(users.records.get(admin.id)).toEqual(admin)
    expect(revoked).toEqual([])
    // Their own profile is theirs to change.
    expect((await updateUser(admin, admin.id, { full_name: 'Root' }, deps)).user.fullName).toBe('Root')
  })
})

describe('resetPassword', () => {
  it('stores the new hash and ends every session', async () => {
    const { users, revoked, hashed, deps } = setup()
    const user = await account(users, 'john')
    await resetPassword(user.id, 'a brand new password', deps)
    expect(hashed).toEqual(['a brand new password'])
    expect(users.records.get(user.id)).toMatchObject({ passwordHash: 'hashed:a brand new password', tokensNotBefore: CUT_OFF })
    expect(revoked).toEqual([{ userId: user.id, now: NOW }])
  })

  it('applies the policy before looking anything up or hashing', async () => {
    const { hashed, revoked, deps } = setup()
    const error = await rejection(resetPassword(UNKNOWN, 'short', deps))
    expect(error).toBeInstanceOf(ValidationFailed)
    expect((error as ValidationFailed).issues[0]?.loc).toEqual(['body', 'new_password'])
    expect(await rejection(resetPassword(UNKNOWN, 'long enough password', deps))).toEqual(new NotFound('User not found'))
    expect(hashed).toEqual([])
    expect(revoked).toEqual([])
  })
})

describe('deleteUser', () => {
  it('revokes the refresh tokens, then deletes the account', async () => {
    const { users, revoked, deps } = setup()
    const admin = await account(users, 'root')
    const user = await account(users, 'john')
    expect(await deleteUser(admin, user.id, deps)).toEqual(user)
    expect(users.records.has(user.id)).toBe(false)
    expect(revoked).toEqual([{ userId: user.id, now: NOW }])
    expect(await rejection(deleteUser(admin, user.id, deps))).toEqual(new NotFound('User not found'))
  })

  it('refuses an administrator deleting themselves', async () => {
    const { users, deps } = setup()
    const admin = await account(users, 'root')
    expect(await rejection(deleteUser(admin, admin.id, deps))).toEqual(new Forbidden('Administrators cannot delete their own account'))
    expect(users.records.has(admin.id)).toBe(true)
  })
})
