import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/core/errors.js'
import type { NewOneTimeToken, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

const hash = () => randomBytes(32).toString('hex')

/** Issue 10's storage: verified emails, single-use tokens, TOTP factors and recovery codes. */
export function describeAccountsContract(current: () => Store): void {
  const user = (username: string, email: string | null = null) => current().users.create({ username, passwordHash: HASH, email })

  describe('verified emails', () => {
    it('a new address starts unverified; verifying sets the flag, changing the address clears it', async () => {
      const { users } = current()
      const john = await user('johndoe', 'John@Example.com')
      expect(john.emailVerified).toBe(false)
      const verified = await users.update(john.id, { emailVerified: true })
      expect(verified).toMatchObject({ email: 'John@Example.com', emailVerified: true })
      expect((await users.update(john.id, { fullName: 'John' }))?.emailVerified).toBe(true)
      expect((await users.update(john.id, { email: 'John@Example.com' }))?.emailVerified).toBe(true)   // same address: still verified
      expect((await users.update(john.id, { email: 'new@example.com' }))).toMatchObject({ email: 'new@example.com', emailVerified: false })
      expect((await users.update(john.id, { email: 'third@example.com', emailVerified: true }))).toMatchObject({ emailVerified: true })
      expect((await users.findById(john.id))?.emailVerified).toBe(true)
    })

    it('verified addresses are unique ignoring case; unverified ones may repeat', async () => {
      const { users } = current()
      const john = await user('johndoe', 'shared@example.com')
      const jane = await user('jane', 'SHARED@example.com')
      await users.update(john.id, { emailVerified: true })
      await expect(users.update(jane.id, { emailVerified: true })).rejects.toEqual(new Conflict('Email already in use'))
      expect((await users.findById(jane.id))?.emailVerified).toBe(false)
      await expect(users.create({ username: 'third', passwordHash: HASH, email: 'Shared@Example.com', emailVerified: true }))
        .rejects.toEqual(new Conflict('Email already in use'))
      await expect(users.create({ username: 'JohnDoe', passwordHash: HASH })).rejects.toEqual(new Conflict('Username already registered'))
    })

    it('finds accounts by email ignoring case, the verified one first', async () => {
      const { users } = current()
      const first = await user('first', 'a@example.com')
      const second = await user('second', 'A@EXAMPLE.COM')
      await user('other', 'b@example.com')
      await users.update(second.id, { emailVerified: true })
      expect((await users.findByEmail('a@Example.com')).map((u) => u.username)).toEqual(['second', 'first'])
      expect(await users.findByEmail('nobody@example.com')).toEqual([])
      expect(await users.findByEmail('a\u0000@example.com')).toEqual([])
      expect(first.id).not.toBe(second.id)
    })
  })

  describe('one-time tokens', () => {
    const token = (userId: string, overrides: Partial<NewOneTimeToken> = {}): NewOneTimeToken => ({
      id: randomUUID(), tokenHash: hash(), purpose: 'reset_password', userId, email: 'a@example.com',
      data: { via: 'page', scopes: ['me'] }, createdAt: T, expiresAt: T + 60_000, ...overrides,
    })

    it('is read while live, spent exactly once, and not under another purpose', async () => {
      const { oneTimeTokens } = current()
      const john = await user('johndoe')
      const created = await oneTimeTokens.create(token(john.id))
      expect(created).toMatchObject({ userId: john.id, purpose: 'reset_password', data: { via: 'page', scopes: ['me'] }, consumedAt: null })
      expect(await oneTimeTokens.findLive(created.tokenHash, 'verify_email', T)).toBeNull()
      expect(await oneTimeTokens.findLive(created.tokenHash, 'reset_password', T)).toEqual(created)
      expect(await oneTimeTokens.consume(created.tokenHash, 'verify_email', T)).toBeNull()
      const [a, b] = await Promise.all([
        oneTimeTokens.consume(created.tokenHash, 'reset_password', T + 1), oneTimeTokens.consume(created.tokenHash, 'reset_password', T + 1),
      ])
      expect([a, b].filter((r) => r !== null)).toHaveLength(1)
      expect((a ?? b)?.consumedAt).toBe(T + 1)
      expect(await oneTimeTokens.findLive(created.tokenHash, 'reset_password', T + 2)).toBeNull()
    })

    it('is dead at its expiry; a user\'s unspent tokens of one purpose can be voided at once; housekeeping deletes dead ones', async () => {
      const { oneTimeTokens } = current()
      const john = await user('johndoe')
      const old = await oneTimeTokens.create(token(john.id))
      expect(await oneTimeTokens.consume(old.tokenHash, 'reset_password', T + 60_000)).toBeNull()
      const other = await oneTimeTokens.create(token(john.id, { purpose: 'verify_email' }))
      await oneTimeTokens.create(token(john.id))
      expect(await oneTimeTokens.consumeAllForUser(john.id, 'reset_password', T + 5)).toBe(2)
      expect(await oneTimeTokens.findLive(other.tokenHash, 'verify_email', T + 6)).not.toBeNull()
      expect(await oneTimeTokens.deleteExpired(T + 10)).toBe(2)                    // the two spent at T + 5
      expect(await oneTimeTokens.deleteExpired(T + 60_001)).toBe(1)                // the verify_email one, expired
    })
  })

  describe('TOTP factors and recovery codes', () => {
    it('enrolment is pending until confirmed; a confirmed factor is not replaced', async () => {
      const { totp } = current()
      const john = await user('johndoe')
      expect(await totp.find(john.id)).toBeNull()
      await totp.startEnrolment(john.id, 'AAAA', T)
      const pending = await totp.startEnrolment(john.id, 'BBBB', T + 1)
      expect(pending).toEqual({ userId: john.id, secret: 'BBBB', confirmedAt: null, lastUsedStep: null, createdAt: T + 1 })
      expect(await totp.useStep(john.id, 5)).toBe(false)                            // not confirmed yet
      expect(await totp.confirm(john.id, 100, T + 2)).toBe(true)
      expect(await totp.confirm(john.id, 101, T + 3)).toBe(false)
      await expect(totp.startEnrolment(john.id, 'CCCC', T + 4)).rejects.toBeInstanceOf(Conflict)
      expect(await totp.find(john.id)).toMatchObject({ secret: 'BBBB', confirmedAt: T + 2, lastUsedStep: 100 })
    })

    it('accepts each time step once and never an earlier one (replay)', async () => {
      const { totp } = current()
      const john = await user('johndoe')
      await totp.startEnrolment(john.id, 'AAAA', T)
      await totp.confirm(john.id, 100, T)
      expect(await totp.useStep(john.id, 100)).toBe(false)
      expect(await totp.useStep(john.id, 99)).toBe(false)
      const both = await Promise.all([totp.useStep(john.id, 101), totp.useStep(john.id, 101)])
      expect(both.filter(Boolean)).toHaveLength(1)
    })

    it('recovery codes are spent once; removing the factor removes them', async () => {
      const { totp, recoveryCodes } = current()
      const john = await user('johndoe')
      const codes = [hash(), hash(), hash()]
      await recoveryCodes.replaceAll(john.id, codes, T)
      expect(await recoveryCodes.countUnused(john.id)).toBe(3)
      expect(await recoveryCodes.consume(john.id, codes[0] as string, T)).toBe(true)
      expect(await recoveryCodes.consume(john.id, codes[0] as string, T)).toBe(false)
      expect(await recoveryCodes.consume(john.id, hash(), T)).toBe(false)
      expect(await recoveryCodes.countUnused(john.id)).toBe(2)
      await recoveryCodes.replaceAll(john.id, [hash()], T)
      expect(await recoveryCodes.consume(john.id, codes[1] as string, T)).toBe(false)   // regenerated: the old ones are gone
      await totp.startEnrolment(john.id, 'AAAA', T)
      expect(await totp.delete(john.id)).toBe(true)
      expect(await recoveryCodes.countUnused(john.id)).toBe(0)
      expect(await totp.delete(john.id)).toBe(false)
    })

    it('goes with a deleted user', async () => {
      const { users, totp, recoveryCodes, oneTimeTokens } = current()
      const john = await user('johndoe')
      await totp.startEnrolment(john.id, 'AAAA', T)
      await recoveryCodes.replaceAll(john.id, [hash()], T)
      const t = await oneTimeTokens.create({ id: randomUUID(), tokenHash: hash(), purpose: 'mfa', userId: john.id, email: null, data: {}, createdAt: T, expiresAt: T + 1000 })
      await users.delete(john.id)
      expect(await totp.find(john.id)).toBeNull()
      expect(await recoveryCodes.countUnused(john.id)).toBe(0)
      expect(await oneTimeTokens.findLive(t.tokenHash, 'mfa', T)).toBeNull()
    })
  })
}
