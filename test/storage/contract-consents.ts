import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { NotFound } from '../../src/core/errors.js'
import type { NewClient, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

function client(id: string): NewClient {
  return { id, name: `Client ${id}`, type: 'public', secretHash: null, grantTypes: ['authorization_code'], scopes: ['me'], redirectUris: [`https://${id}.example/cb`] }
}

/** Remembered consent per user + client, and what goes with a deleted user or client. */
export function describeConsentContract(current: () => Store): void {
  async function user(name = 'johndoe') {
    return current().users.create({ username: name, passwordHash: HASH })
  }

  describe('consents', () => {
    it('finds nothing at first, then the scopes of the first grant', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      expect(await store.consents.find(john.id, 'web')).toBeNull()
      const granted = await store.consents.grant(john.id, 'web', ['openid', 'profile'], T)
      expect(granted).toEqual({ userId: john.id, clientId: 'web', scopes: ['openid', 'profile'], createdAt: T, updatedAt: T })
      expect(await store.consents.find(john.id, 'web')).toEqual(granted)
      expect(await store.consents.find(john.id, 'WEB')).toBeNull()
      expect(await store.consents.find(john.id, 'w\u0000eb')).toBeNull()
    })

    it('adds a later grant to what was allowed (a union, in order, no repeats); created stays, updated moves', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      await store.consents.grant(john.id, 'web', ['openid', 'profile'], T)
      const more = await store.consents.grant(john.id, 'web', ['profile', 'email', 'openid', 'email'], T + 1000)
      expect(more).toEqual({ userId: john.id, clientId: 'web', scopes: ['openid', 'profile', 'email'], createdAt: T, updatedAt: T + 1000 })
      expect(await store.consents.grant(john.id, 'web', [], T + 2000)).toEqual({ ...more, updatedAt: T + 2000 })
      expect(await store.consents.find(john.id, 'web')).toEqual({ ...more, updatedAt: T + 2000 })
    })

    it('of concurrent grants for one user and client none fails and none is lost', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      for (let round = 0; round < 5; round += 1) {
        const scopes = Array.from({ length: 6 }, (_, i) => `scope-${round}-${i}`)
        const results = await Promise.allSettled(scopes.map((s, i) => store.consents.grant(john.id, 'web', ['openid', s], T + round * 10 + i)))
        expect(results.filter((r) => r.status === 'rejected')).toEqual([])
        const found = await store.consents.find(john.id, 'web')
        expect(new Set(found?.scopes)).toEqual(new Set(['openid', ...Array.from({ length: round + 1 }, (_, r) => Array.from({ length: 6 }, (_, i) => `scope-${r}-${i}`)).flat()]))
        expect(found?.scopes.filter((s) => s === 'openid')).toHaveLength(1)
      }
    })

    it('refuses a grant for a client or user that is gone with NotFound', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      for (const [userId, clientId] of [[john.id, 'ghost'], [randomUUID(), 'web']] as const) {
        const error = await store.consents.grant(userId, clientId, ['openid'], T).then(() => expect.unreachable('expected NotFound'), (e: unknown) => e)
        expect(error).toBeInstanceOf(NotFound)
      }
      expect(await store.consents.listForUser(john.id)).toEqual([])
    })

    it('revokes once, for that client only', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      await store.clients.create(client('cli'))
      await store.consents.grant(john.id, 'web', ['openid'], T)
      const kept = await store.consents.grant(john.id, 'cli', ['openid'], T)
      expect(await store.consents.revoke(john.id, 'web')).toBe(true)
      expect(await store.consents.revoke(john.id, 'web')).toBe(false)
      expect(await store.consents.revoke(john.id, 'we\u0000b')).toBe(false)
      expect(await store.consents.find(john.id, 'web')).toBeNull()
      expect(await store.consents.listForUser(john.id)).toEqual([kept])
      // Asked again after a revoke: a fresh record.
      expect(await store.consents.grant(john.id, 'web', ['email'], T + 5)).toMatchObject({ scopes: ['email'], createdAt: T + 5 })
    })

    it('removing an app\'s access revokes the user\'s refresh families with that client, rotations included, and nothing else', async () => {
      const store = current()
      const [john, alice] = [await user(), await user('alice')]
      await store.clients.create(client('web'))
      await store.clients.create(client('cli'))
      const token = (userId: string, clientId: string | null, familyId: string = randomUUID()) => ({
        id: randomUUID(), familyId, tokenHash: randomBytes(32).toString('hex'), userId, clientId, scopes: ['openid'],
        createdAt: T, expiresAt: T + 86_400_000, idleExpiresAt: T + 86_400_000,
      })
      const web = await store.refreshTokens.create(token(john.id, 'web'))
      const rotated = await store.refreshTokens.rotate(web.id, T + 1, token(john.id, 'web', web.familyId))
      const others = [
        await store.refreshTokens.create(token(john.id, 'cli')), await store.refreshTokens.create(token(john.id, null)),
        await store.refreshTokens.create(token(alice.id, 'web')),
      ]
      expect(await store.refreshTokens.revokeAllForUserAndClient(john.id, 'web', T + 2)).toBe(2)
      expect(await store.refreshTokens.findByHash(web.tokenHash)).toMatchObject({ revokedAt: T + 2, rotatedAt: T + 1 })
      expect(await store.refreshTokens.findByHash(rotated?.tokenHash ?? '')).toMatchObject({ revokedAt: T + 2 })
      for (const other of others) expect(await store.refreshTokens.findByHash(other.tokenHash)).toEqual(other)
      expect(await store.refreshTokens.revokeAllForUserAndClient(john.id, 'web', T + 3)).toBe(0)
      expect(await store.refreshTokens.revokeAllForUserAndClient(john.id, 'w\u0000eb', T + 3)).toBe(0)
      expect(await store.refreshTokens.revokeAllForUserAndClient(randomUUID(), 'cli', T + 3)).toBe(0)
    })

    it('lists a user\'s consents, most recently updated first; none for anyone else', async () => {
      const store = current()
      const [john, alice] = [await user(), await user('alice')]
      for (const id of ['a', 'b', 'c']) await store.clients.create(client(id))
      await store.consents.grant(john.id, 'a', ['openid'], T)
      await store.consents.grant(john.id, 'b', ['openid'], T + 1)
      await store.consents.grant(john.id, 'c', ['openid'], T + 2)
      await store.consents.grant(john.id, 'a', ['email'], T + 3)
      await store.consents.grant(alice.id, 'b', ['openid'], T + 4)
      expect((await store.consents.listForUser(john.id)).map((c) => [c.clientId, c.updatedAt])).toEqual([['a', T + 3], ['c', T + 2], ['b', T + 1]])
      expect(await store.consents.listForUser(randomUUID())).toEqual([])
      expect(await store.consents.listForUser('x\u0000')).toEqual([])
    })
  })

  describe('sign-in records and deletions', () => {
    async function signedIn(store: Store, userId: string, clientId: string) {
      const session = await store.browserSessions.create({
        id: randomUUID(), tokenHash: randomBytes(32).toString('hex'), userId, authenticatedAt: T, amr: ['pwd'],
        createdAt: T, lastSeenAt: T, expiresAt: T + 3_600_000, ip: null, userAgent: null,
      })
      const code = await store.authorizationCodes.create({
        id: randomUUID(), codeHash: randomBytes(32).toString('hex'), clientId, userId, redirectUri: `https://${clientId}.example/cb`,
        scopes: ['openid'], codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', nonce: null, audience: [], authTime: T / 1000,
        amr: ['pwd'], browserSessionId: session.id, createdAt: T, expiresAt: T + 60_000,
      })
      await store.consents.grant(userId, clientId, ['openid'], T)
      return { session, code }
    }

    it('deleting a user removes their browser sessions, codes and consents, and no one else\'s', async () => {
      const store = current()
      const [john, alice] = [await user(), await user('alice')]
      await store.clients.create(client('web'))
      const johns = await signedIn(store, john.id, 'web')
      const alices = await signedIn(store, alice.id, 'web')
      expect(await store.users.delete(john.id)).toBe(true)
      expect(await store.browserSessions.findByTokenHash(johns.session.tokenHash)).toBeNull()
      expect(await store.authorizationCodes.findByHash(johns.code.codeHash)).toBeNull()
      expect(await store.consents.listForUser(john.id)).toEqual([])
      expect(await store.browserSessions.findByTokenHash(alices.session.tokenHash)).toEqual(alices.session)
      expect(await store.authorizationCodes.findByHash(alices.code.codeHash)).toEqual(alices.code)
      expect(await store.consents.find(alice.id, 'web')).not.toBeNull()
    })

    it('deleting a client removes its codes and consents; the browser sessions stay (they belong to the user)', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      await store.clients.create(client('cli'))
      const web = await signedIn(store, john.id, 'web')
      const cli = await signedIn(store, john.id, 'cli')
      expect(await store.clients.delete('web')).toBe(true)
      expect(await store.authorizationCodes.findByHash(web.code.codeHash)).toBeNull()
      expect(await store.consents.find(john.id, 'web')).toBeNull()
      expect(await store.browserSessions.findByTokenHash(web.session.tokenHash)).toEqual(web.session)
      expect(await store.authorizationCodes.findByHash(cli.code.codeHash)).toEqual(cli.code)
      expect(await store.consents.find(john.id, 'cli')).not.toBeNull()
    })

    it('deleting a browser session leaves the refresh tokens started from it (revocation is explicit)', async () => {
      const store = current()
      const john = await user()
      await store.clients.create(client('web'))
      const { session } = await signedIn(store, john.id, 'web')
      const refresh = await store.refreshTokens.create({
        id: randomUUID(), familyId: randomUUID(), tokenHash: randomBytes(32).toString('hex'), userId: john.id, clientId: 'web', scopes: ['openid'],
        createdAt: T, expiresAt: T + 86_400_000, idleExpiresAt: T + 86_400_000, authTime: T / 1000, audience: [], browserSessionId: session.id,
      })
      expect(await store.browserSessions.delete(session.id)).toBe(true)
      expect(await store.refreshTokens.findByHash(refresh.tokenHash)).toEqual(refresh)
      expect(await store.refreshTokens.revokeAllForBrowserSession(session.id, T + 1)).toBe(1)
    })
  })
}
