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

/** What a token stored from a NewRefreshToken without the OIDC fields (a password-grant family) reads as. */
const UNTOUCHED = { rotatedAt: null, revokedAt: null, authTime: null, audience: [], browserSessionId: null }

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
      expect(created).toEqual({ ...far, ...UNTOUCHED })
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
      expect(await store.refreshTokens.rotate(old.id, T + DAY, next)).toEqual({ ...next, ...UNTOUCHED })
      expect(await store.refreshTokens.findByHash(old.tokenHash)).toEqual({ ...old, rotatedAt: T + DAY })
      expect(await store.refreshTokens.rotate(old.id, T + 2 * DAY, token(john.id))).toBeNull() // once only
    })

    it('keeps the sign-in of a code-flow family: auth_time (seconds, past 2038), audience, browser session', async () => {
      const store = current()
      const john = await user()
      const signIn = { authTime: 4_102_444_800, audience: ['https://api.example/', 'urn:example:billing'], browserSessionId: randomUUID() }
      const first = token(john.id, signIn)
      const created = await store.refreshTokens.create(first)
      expect(created).toEqual({ ...first, rotatedAt: null, revokedAt: null })
      expect(await store.refreshTokens.findByHash(first.tokenHash)).toEqual(created)
      // rotate() stores the next record's fields as given (core carries them through the family).
      const next = token(john.id, { ...signIn, familyId: first.familyId, createdAt: T + DAY })
      expect(await store.refreshTokens.rotate(first.id, T + DAY, next)).toEqual({ ...next, rotatedAt: null, revokedAt: null })
      expect(await store.refreshTokens.findByHash(next.tokenHash)).toMatchObject(signIn)
      const bare = token(john.id, { familyId: first.familyId })
      expect(await store.refreshTokens.rotate(next.id, T + 2 * DAY, bare)).toEqual({ ...bare, ...UNTOUCHED })
    })

    it('revokes the whole families started from one browser session, and nothing else', async () => {
      const store = current()
      const john = await user()
      const [session, other] = [randomUUID(), randomUUID()]
      const a = await store.refreshTokens.create(token(john.id, { browserSessionId: session }))
      const a2 = await store.refreshTokens.rotate(a.id, T + 1, token(john.id, { familyId: a.familyId, browserSessionId: session }))
      const b = await store.refreshTokens.create(token(john.id, { browserSessionId: session }))
      const elsewhere = await store.refreshTokens.create(token(john.id, { browserSessionId: other }))
      const password = await store.refreshTokens.create(token(john.id))
      await store.refreshTokens.revokeFamily(b.familyId, T + 2)
      expect(await store.refreshTokens.revokeAllForBrowserSession(session, T + 3)).toBe(2) // a (rotated) and a2; b was already revoked
      expect((await store.refreshTokens.findByHash(a.tokenHash))?.revokedAt).toBe(T + 3)
      expect((await store.refreshTokens.findByHash(a2!.tokenHash))?.revokedAt).toBe(T + 3)
      expect((await store.refreshTokens.findByHash(b.tokenHash))?.revokedAt).toBe(T + 2)
      expect((await store.refreshTokens.findByHash(elsewhere.tokenHash))?.revokedAt).toBeNull()
      expect((await store.refreshTokens.findByHash(password.tokenHash))?.revokedAt).toBeNull()
      expect(await store.refreshTokens.revokeAllForBrowserSession(session, T + 4)).toBe(0)
      expect(await store.refreshTokens.revokeAllForBrowserSession(randomUUID(), T + 4)).toBe(0)
      expect(await store.refreshTokens.revokeAllForBrowserSession('no\u0000such', T + 4)).toBe(0)
    })

    it('a sign-out racing rotations of its families leaves no live token in them', async () => {
      const store = current()
      const john = await user()
      for (let batch = 0; batch < 10; batch += 1) {
        const session = randomUUID()
        const families = await Promise.all(Array.from({ length: 5 }, () => store.refreshTokens.create(token(john.id, { browserSessionId: session }))))
        const successors = families.map((old) => token(john.id, { familyId: old.familyId, browserSessionId: session }))
        await Promise.all([
          ...families.map((old, i) => store.refreshTokens.rotate(old.id, T + 1, successors[i]!)),
          store.refreshTokens.revokeAllForBrowserSession(session, T + 1),
        ])
        for (const [i, old] of families.entries()) {
          expect((await store.refreshTokens.findByHash(old.tokenHash))?.revokedAt).toBe(T + 1)
          const successor = await store.refreshTokens.findByHash(successors[i]!.tokenHash)
          expect(successor === null || successor.revokedAt !== null, `family ${old.familyId}: its new token is live`).toBe(true)
        }
      }
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

    it('a revocation racing a rotation of the same family leaves no live token in it, whichever goes first', async () => {
      const store = current()
      const john = await user()
      // Many small races, a batch at a time: under READ COMMITTED without serialisation the
      // revocation's UPDATE misses the row the rotation inserts in a good share of them.
      for (let batch = 0; batch < 20; batch += 1) {
        const families = await Promise.all(Array.from({ length: 10 }, () => store.refreshTokens.create(token(john.id))))
        const successors = families.map((old) => token(john.id, { familyId: old.familyId }))
        await Promise.all(families.flatMap((old, i) => [
          store.refreshTokens.rotate(old.id, T + 1, successors[i]!),
          store.refreshTokens.revokeFamily(old.familyId, T + 1),
        ]))
        for (const [i, old] of families.entries()) {
          expect((await store.refreshTokens.findByHash(old.tokenHash))?.revokedAt).toBe(T + 1)
          const successor = await store.refreshTokens.findByHash(successors[i]!.tokenHash)
          expect(successor === null || successor.revokedAt !== null, `family ${old.familyId}: its new token is live`).toBe(true)
        }
      }
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

    it('finds a token\'s user unless its jti is revoked, in one lookup, and sees every change at once', async () => {
      const store = current()
      const findUnlessRevoked = store.users.findByIdUnlessRevoked?.bind(store.users)
      expect(findUnlessRevoked).toBeTypeOf('function') // every backend answers it in one query
      if (findUnlessRevoked === undefined) return
      const john = await user()
      const jti = randomUUID()
      expect(await findUnlessRevoked(john.id, jti)).toEqual(await store.users.findById(john.id))
      expect(await findUnlessRevoked(randomUUID(), jti)).toBeNull()
      expect(await findUnlessRevoked('not-a-uuid \u0000', 'x\u0000')).toBeNull()
      // Nothing is remembered: a disabled user is seen disabled, a revoked jti revoked, on the next call.
      await store.users.setDisabled(john.id, true)
      expect((await findUnlessRevoked(john.id, jti))?.disabled).toBe(true)
      await store.revokedTokens.revoke(jti, T + 1800_000)
      expect(await findUnlessRevoked(john.id, jti)).toBeNull()
      expect(await findUnlessRevoked(john.id, randomUUID())).not.toBeNull()
    })

    it('answers many lookups asked at once, each with its own answer', async () => {
      const store = current()
      const find = (id: string, jti: string) => store.users.findByIdUnlessRevoked!(id, jti)
      const [ann, bob] = [await user('ann'), await user('bob')]
      const [live, revoked] = [randomUUID(), randomUUID()]
      await store.revokedTokens.revoke(revoked, T + 1800_000)
      const asked = [[ann.id, live], [bob.id, live], [ann.id, live], [ann.id, revoked], [randomUUID(), live], [bob.id, randomUUID()]] as const
      const answers = await Promise.all(asked.map(([id, jti]) => find(id, jti)))
      expect(answers.map((u) => u?.username ?? null)).toEqual(['ann', 'bob', 'ann', null, null, 'bob'])
      expect(answers[0]).toEqual(await store.users.findById(ann.id))
      expect(answers[0]).not.toBe(answers[2]) // a record each: one handler cannot change another's
      const many = await Promise.all(Array.from({ length: 300 }, (_, i) => find(i % 2 === 0 ? ann.id : bob.id, `jti-${i}`)))
      expect(many.filter((u) => u !== null)).toHaveLength(300)
    })
  })
}
