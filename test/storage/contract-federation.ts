import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { Conflict, NotFound } from '../../src/core/errors.js'
import type { FederationStateRecord, IdentityProviderRecord, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

const GOOGLE: Omit<IdentityProviderRecord, 'createdAt' | 'updatedAt'> = {
  id: 'google', kind: 'oidc', label: 'Sign in with Google', issuer: 'https://accounts.google.com',
  clientId: 'client-1.apps.googleusercontent.com', clientSecret: 'upstream-secret', scopes: ['openid', 'email', 'profile'],
}

/** Issue 11's storage: providers, links from their subjects to accounts, and upstream sign-ins in flight. */
export function describeFederationContract(current: () => Store): void {
  const user = (username: string) => current().users.create({ username, passwordHash: HASH })
  const state = (overrides: Partial<FederationStateRecord> = {}): FederationStateRecord => ({
    stateHash: randomBytes(32).toString('hex'), providerId: 'google', bindingHash: randomBytes(32).toString('hex'), nonce: 'n-1',
    codeVerifier: randomBytes(32).toString('base64url'), carried: { request: 'response_type=code&client_id=x' }, linkUserId: null,
    createdAt: T, expiresAt: T + 600_000, ...overrides,
  })

  describe('identity providers', () => {
    it('stores, lists in id order, updates only what is given and deletes', async () => {
      const { identityProviders } = current()
      const google = await identityProviders.create(GOOGLE, T)
      expect(google).toEqual({ ...GOOGLE, createdAt: T, updatedAt: T })
      const github = await identityProviders.create({ ...GOOGLE, id: 'github', kind: 'github', issuer: 'https://github.com', scopes: ['read:user', 'user:email'] }, T + 1)
      expect((await identityProviders.list()).map((p) => p.id)).toEqual(['github', 'google'])
      await expect(identityProviders.create(GOOGLE, T)).rejects.toEqual(new Conflict('Provider already exists'))
      expect(await identityProviders.update('google', { label: 'Google', clientSecret: 'rotated' }, T + 5))
        .toEqual({ ...google, label: 'Google', clientSecret: 'rotated', updatedAt: T + 5 })
      expect(await identityProviders.update('nope', { label: 'x' }, T)).toBeNull()
      expect(await identityProviders.findById('github')).toEqual(github)
      expect(await identityProviders.delete('github')).toBe(true)
      expect(await identityProviders.delete('github')).toBe(false)
      expect(await identityProviders.findById('github')).toBeNull()
      expect(await identityProviders.findById('\u0000')).toBeNull()
    })
  })

  describe('federated identities', () => {
    it('links a subject to one account, once per provider and account, and finds it again', async () => {
      const { identityProviders, federatedIdentities } = current()
      await identityProviders.create(GOOGLE, T)
      const john = await user('johndoe')
      const jane = await user('jane')
      const link = { providerId: 'google', subject: '1234', userId: john.id, email: 'john@gmail.com', createdAt: T, lastUsedAt: T }
      expect(await federatedIdentities.link(link)).toEqual(link)
      await expect(federatedIdentities.link({ ...link, userId: jane.id })).rejects.toEqual(new Conflict('This account is linked already'))
      await expect(federatedIdentities.link({ ...link, subject: '5678' })).rejects.toEqual(new Conflict('This account is linked already'))
      await expect(federatedIdentities.link({ ...link, providerId: 'nope', subject: '9' })).rejects.toBeInstanceOf(NotFound)
      await federatedIdentities.touch('google', '1234', 'john@example.com', T + 9)
      expect(await federatedIdentities.find('google', '1234')).toEqual({ ...link, email: 'john@example.com', lastUsedAt: T + 9 })
      expect(await federatedIdentities.listForUser(john.id)).toHaveLength(1)
      expect(await federatedIdentities.unlink(jane.id, 'google')).toBe(false)
      expect(await federatedIdentities.unlink(john.id, 'google')).toBe(true)
      expect(await federatedIdentities.find('google', '1234')).toBeNull()
    })

    it('goes with the account, and with the provider', async () => {
      const { identityProviders, federatedIdentities, users } = current()
      await identityProviders.create(GOOGLE, T)
      const john = await user('johndoe')
      const jane = await user('jane')
      await federatedIdentities.link({ providerId: 'google', subject: 'j', userId: john.id, email: null, createdAt: T, lastUsedAt: T })
      await federatedIdentities.link({ providerId: 'google', subject: 'k', userId: jane.id, email: null, createdAt: T, lastUsedAt: T })
      await users.delete(john.id)
      expect(await federatedIdentities.find('google', 'j')).toBeNull()
      await identityProviders.delete('google')
      expect(await federatedIdentities.listForUser(jane.id)).toEqual([])
    })
  })

  describe('upstream sign-ins in flight', () => {
    it('are spent once, not after their expiry, and cleared by housekeeping', async () => {
      const { identityProviders, federationStates } = current()
      await identityProviders.create(GOOGLE, T)
      const live = state()
      await federationStates.create(live)
      const { createdAt: _c, ...rest } = live
      expect(await federationStates.consume(live.stateHash, T + 1)).toEqual({ ...rest, createdAt: T })
      expect(await federationStates.consume(live.stateHash, T + 2)).toBeNull()                  // a replayed callback
      const late = state()
      await federationStates.create(late)
      expect(await federationStates.consume(late.stateHash, T + 600_000)).toBeNull()
      await federationStates.create(state({ expiresAt: T + 10 }))
      expect(await federationStates.deleteExpired(T + 700_000)).toBe(3)
      await expect(federationStates.create(state({ providerId: 'nope' }))).rejects.toBeInstanceOf(NotFound)
    })
  })
}
