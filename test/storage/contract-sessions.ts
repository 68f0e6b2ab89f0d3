import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { NewRefreshToken, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const DAY = 86_400_000
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

function token(userId: string, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    id: randomUUID(), familyId: randomUUID(), tokenHash: randomUUID().replace(/-/g, '').padEnd(64, '0'), userId, clientId: null,
    scopes: ['me', 'items'], createdAt: T, expiresAt: T + 90 * DAY, idleExpiresAt: T + 14 * DAY, ...overrides,
  }
}

/** Refresh tokens (rotation, families) and revoked access tokens. */
export function describeSessionsContract(current: () => Store): void {
  async function user(name = 'johndoe') {
    return current().users.create({ username: name, passwordHash: HASH })
  }

  describe('refresh tokens', () => {
    it('creates and finds by hash, every field round-tripping (epochs past 2038, no scopes)', async () => {
      const store = current()
      const john = await user()
      const far = token(john.id, { expiresAt: Date.UTC(2100, 0, 1, 0, 0, 0, 123), idleExpiresAt: Date.UTC(2099, 0, 1), scopes: [] })
      const created = await store.refreshTokens.create(far)
      expect(created).toEqual({ ...far, rotatedAt: null, revokedAt: null })
      expect(await store.refreshTokens.findByHash(far.tokenHash)).toEqual(created)
      expect(await store.refreshTokens.findByHash('0'.repeat(64))).toBeNull()
    })

    it('binds a token to a client, and removing the client or the user takes its tokens', async () => {
      const store = current()
      const john = await user()
      const client = await store.clients.create({ id: 'web', name: 'Web', type: 'public', secretHash: null, grantTypes: ['password'], scopes: ['me'] })
      const viaClient = await store.refreshTokens.create(token(john.id, { clientId: client.id }))
      const direct = await store.refreshTokens.create(token(john.id))
      expect(viaClient.clientId).toBe('web')
      await store.clients.delete(client.id)
      expect(await store.refreshTokens.findByHash(viaClient.tokenHash)).toBeNull()
      expect(await store.refreshTokens.findByHash(direct.tokenHash)).not.toBeNull()
      await store.users.delete(john.id)
      expect(await store.refreshTokens.findByHash(direct.tokenHash)).toBeNull()
    })

    it('rotates: the old token is marked rotated and the new one stored, in the same family', async () => {
      const store = current()
      const john = await user()
      const old = await store.refreshTokens.create(token(john.id))
      const next = token(john.id, { familyId: old.familyId, createdAt: T + DAY })
      expect(await store.refreshTokens.rotate(old.id, T + DAY, next)).toEqual({ ...next, rotatedAt: null, revokedAt: null })
      expect(await store.refreshTokens.findByHash(old.tokenHash)).toEqual({ ...old, rotatedAt: T + DAY })
      expect(await store.refreshTokens.rotate(old.id, T + 2 * DAY, token(john.id))).toBeNull() // once only
    })

    it('of five concurrent rotations of one token exactly one wins, and only its successor exists', async () => {
      const store = current()
      const john = await user()
      const old = await store.refreshTokens.create(token(john.id))
      const successors = Array.from({ length: 5 }, () => token(john.id, { familyId: old.familyId }))
      const results = await Promise.all(successors.map((next) => store.refreshTokens.rotate(old.id, T + 1, next)))
      const won = results.filter((r) => r !== null)
      expect(won).toHaveLength(1)
      const stored = await Promise.all(successors.map((s) => store.refreshTokens.findByHash(s.tokenHash)))
      expect(stored.filter((s) => s !== null)).toEqual(won)
    })

    it('does not rotate a revoked token', async () => {
      const store = current()
      const john = await user()
      const old = await store.refreshTokens.create(token(john.id))
      expect(await store.refreshTokens.revokeFamily(old.familyId, T)).toBe(1)
      const next = token(john.id)
      expect(await store.refreshTokens.rotate(old.id, T, next)).toBeNull()
      expect(await store.refreshTokens.findByHash(next.tokenHash)).toBeNull()
    })

    it('revokes a family (rotated members too), leaving other families; counts only newly revoked', async () => {
      const store = current()
      const john = await user()
      const first = await store.refreshTokens.create(token(john.id))
      const second = await store.refreshTokens.rotate(first.id, T + 1, token(john.id, { familyId: first.familyId }))
      const other = await store.refreshTokens.create(token(john.id))
      expect(await store.refreshTokens.revokeFamily(first.familyId, T + 2)).toBe(2)
      expect((await store.refreshTokens.findByHash(first.tokenHash))?.revokedAt).toBe(T + 2)
      expect((await store.refreshTokens.findByHash(second!.tokenHash))?.revokedAt).toBe(T + 2)
      expect((await store.refreshTokens.findByHash(other.tokenHash))?.revokedAt).toBeNull()
      expect(await store.refreshTokens.revokeFamily(first.familyId, T + 3)).toBe(0)
      expect((await store.refreshTokens.findByHash(first.tokenHash))?.revokedAt).toBe(T + 2)
    })

    it('revokes every token of one user, and no one else\'s', async () => {
      const store = current()
      const john = await user()
      const alice = await user('alice')
      const johns = [await store.refreshTokens.create(token(john.id)), await store.refreshTokens.create(token(john.id))]
      const alices = await store.refreshTokens.create(token(alice.id))
      expect(await store.refreshTokens.revokeAllForUser(john.id, T + 5)).toBe(2)
      for (const t of johns) expect((await store.refreshTokens.findByHash(t.tokenHash))?.revokedAt).toBe(T + 5)
      expect((await store.refreshTokens.findByHash(alices.tokenHash))?.revokedAt).toBeNull()
    })

    it('deletes tokens past their absolute expiry', async () => {
      const store = current()
      const john = await user()
      const old = await store.refreshTokens.create(token(john.id, { expiresAt: T + DAY }))
      const live = await store.refreshTokens.create(token(john.id, { expiresAt: T + 3 * DAY }))
      expect(await store.refreshTokens.deleteExpired(T + 2 * DAY)).toBe(1)
      expect(await store.refreshTokens.findByHash(old.tokenHash)).toBeNull()
      expect(await store.refreshTokens.findByHash(live.tokenHash)).not.toBeNull()
    })
  })

  describe('revoked access tokens', () => {
    it('remembers a jti until asked to forget expired ones; revoking twice is harmless', async () => {
      const store = current()
      const jti = randomUUID()
      expect(await store.revokedTokens.isRevoked(jti)).toBe(false)
      await store.revokedTokens.revoke(jti, T + 1800_000)
      await store.revokedTokens.revoke(jti, T + 1800_000)
      await store.revokedTokens.revoke('later', T + 3600_000)
      expect(await store.revokedTokens.isRevoked(jti)).toBe(true)
      expect(await store.revokedTokens.isRevoked('other')).toBe(false)
      expect(await store.revokedTokens.deleteExpired(T + 1800_001)).toBe(1)
      expect(await store.revokedTokens.isRevoked(jti)).toBe(false)
      expect(await store.revokedTokens.isRevoked('later')).toBe(true)
    })
  })
}
