import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Conflict, Forbidden, InvalidGrant, fixedClock, type Store } from '../../src/core/index.js'
import {
  ExistingAccountUnverified, NO_PASSWORD, hasPassword, linkIdentity, resolveFederatedSignIn, unlinkIdentity, usernameBase, type UpstreamIdentity,
} from '../../src/core/federation.js'
import { openStore } from '../../src/storage/index.js'

// Issue 11 part 3 on a real (in-memory) SQLite store: which account an upstream sign-in lands in.

const T = Date.UTC(2026, 0, 1)
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'
let store: Store
const clock = fixedClock(T)
const deps = (registration: 'open' | 'closed' = 'open') => ({ users: store.users, federatedIdentities: store.federatedIdentities, registration, clock })
const google = (overrides: Partial<UpstreamIdentity> = {}): UpstreamIdentity => ({
  providerId: 'google', subject: '1001', email: 'Ada@Example.com', emailVerified: true, name: 'Ada Lovelace', preferredUsername: null, ...overrides,
})

beforeEach(async () => {
  store = await openStore('sqlite::memory:')
  await store.identityProviders.create({ id: 'google', kind: 'oidc', label: 'Google', issuer: 'https://accounts.google.com', clientId: 'c', clientSecret: 's', scopes: ['openid'] }, T)
})
afterEach(async () => { await store.close() })

describe('resolveFederatedSignIn', () => {
  it('creates an account for a new subject (no password, the address verified as the provider says), then signs in through the link', async () => {
    const first = await resolveFederatedSignIn(google(), deps())
    expect(first).toMatchObject({ kind: 'signed_in', created: true, user: { username: 'ada', email: 'Ada@Example.com', emailVerified: true, fullName: 'Ada Lovelace' } })
    if (first.kind !== 'signed_in') throw new Error('unreachable')
    expect(hasPassword(first.user)).toBe(false)
    clock.advance(1000)
    const again = await resolveFederatedSignIn(google({ email: 'ada@new.example' }), deps('closed'))   // closed registration does not stop a linked account
    expect(again).toMatchObject({ kind: 'signed_in', created: false, user: { id: first.user.id } })
    expect(await store.federatedIdentities.find('google', '1001')).toMatchObject({ email: 'ada@new.example', lastUsedAt: T + 1000 })
  })

  it('never links an existing account by address silently: a vouched address asks for proof, an unvouched one is refused', async () => {
    const owner = await store.users.create({ username: 'ada', passwordHash: HASH, email: 'ada@example.com', emailVerified: true })
    expect(await resolveFederatedSignIn(google(), deps())).toEqual({ kind: 'confirm_link', user: owner })
    await expect(resolveFederatedSignIn(google({ emailVerified: false }), deps())).rejects.toBeInstanceOf(ExistingAccountUnverified)
    expect(await store.federatedIdentities.listForUser(owner.id)).toEqual([])
    await linkIdentity(owner, google(), deps())                                  // after the proof
    expect(await resolveFederatedSignIn(google(), deps())).toMatchObject({ kind: 'signed_in', created: false, user: { id: owner.id } })
  })

  it('makes names unique, refuses new accounts when registration is closed, and a disabled linked account', async () => {
    await store.users.create({ username: 'ada', passwordHash: HASH })
    const made = await resolveFederatedSignIn(google({ email: 'other@example.com', preferredUsername: 'Ada' }), deps())
    expect(made).toMatchObject({ kind: 'signed_in', user: { username: 'Ada2' } })
    await expect(resolveFederatedSignIn(google({ subject: '2', email: 'new@example.com' }), deps('closed'))).rejects.toEqual(new Forbidden('Registration is closed'))
    if (made.kind === 'signed_in') await store.users.setDisabled(made.user.id, true)
    await expect(resolveFederatedSignIn(google({ email: 'other@example.com' }), deps())).rejects.toEqual(new InvalidGrant('Inactive user'))
  })

  it('derives a username from the login, the mailbox or the name, in that order', () => {
    expect(usernameBase({ providerId: 'github', preferredUsername: 'octo-cat', email: 'x@example.com', name: 'Octo' })).toBe('octo-cat')
    expect(usernameBase({ providerId: 'google', preferredUsername: null, email: 'Grace.Hopper@Example.com', name: null })).toBe('grace.hopper')
    expect(usernameBase({ providerId: 'google', preferredUsername: 'a b', email: null, name: 'Zoë Q' })).toBe('ZoëQ')
    expect(usernameBase({ providerId: 'corp', preferredUsername: null, email: null, name: null })).toBe('corp-user')
  })
})

describe('unlinkIdentity', () => {
  it('keeps the last way to sign in: an account without a password cannot drop its only link', async () => {
    const made = await resolveFederatedSignIn(google(), deps())
    if (made.kind !== 'signed_in') throw new Error('unreachable')
    expect(made.user.passwordHash).toBe(NO_PASSWORD)
    await expect(unlinkIdentity(made.user, 'google', deps())).rejects.toBeInstanceOf(Conflict)
    expect(await store.federatedIdentities.find('google', '1001')).not.toBeNull()
    await store.users.updatePasswordHash(made.user.id, HASH)
    const withPassword = await store.users.findById(made.user.id)
    expect(await unlinkIdentity(withPassword!, 'google', deps())).toBe(true)
    expect(await unlinkIdentity(withPassword!, 'google', deps())).toBe(false)
  })
})

describe('an unverified holder of the address', () => {
  it('does not capture the real owner\'s upstream sign-in: a new account is made, the squatter keeps nothing', async () => {
    const squatter = await store.users.create({ username: 'squatter', passwordHash: HASH, email: 'ada@example.com' })   // unverified
    const signIn = await resolveFederatedSignIn(google(), deps())
    expect(signIn).toMatchObject({ kind: 'signed_in', created: true, user: { email: 'Ada@Example.com', emailVerified: true } })
    if (signIn.kind === 'signed_in') expect(signIn.user.id).not.toBe(squatter.id)
    expect(await store.federatedIdentities.listForUser(squatter.id)).toEqual([])
  })
})
