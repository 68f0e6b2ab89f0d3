import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { NotFound } from '../../src/core/errors.js'
import type { BrowserSessionRecord, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const HOUR = 3_600_000
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

function session(userId: string, overrides: Partial<BrowserSessionRecord> = {}): BrowserSessionRecord {
  return {
    id: randomUUID(), tokenHash: randomBytes(32).toString('hex'), userId, authenticatedAt: T, amr: ['pwd'],
    createdAt: T, lastSeenAt: T, expiresAt: T + 336 * HOUR, ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', ...overrides,
  }
}

/** Browser sessions (the sign-in cookie's server side). */
export function describeBrowserSessionContract(current: () => Store): void {
  async function user(name = 'johndoe') {
    return current().users.create({ username: name, passwordHash: HASH })
  }

  describe('browser sessions', () => {
    it('creates and finds by token hash, every field round-tripping (epochs past 2038, no ip, several methods)', async () => {
      const store = current()
      const john = await user()
      const given = session(john.id, { authenticatedAt: T - 5, amr: ['pwd', 'mfa', 'otp'], expiresAt: 4_102_444_800_123, ip: null, userAgent: null })
      const created = await store.browserSessions.create(given)
      expect(created).toEqual(given)
      expect(await store.browserSessions.findByTokenHash(given.tokenHash)).toEqual(given)
      expect(await store.browserSessions.findByTokenHash(given.tokenHash.toUpperCase())).toBeNull()
      expect(await store.browserSessions.findByTokenHash('0'.repeat(64))).toBeNull()
      expect(await store.browserSessions.findByTokenHash('a\u0000b')).toBeNull()
    })

    it('finds by id (what a code issued from the session checks), and not after the session is deleted', async () => {
      const store = current()
      const john = await user()
      const given = await store.browserSessions.create(session(john.id))
      expect(await store.browserSessions.findById(given.id)).toEqual(given)
      expect(await store.browserSessions.findById(randomUUID())).toBeNull()
      expect(await store.browserSessions.findById('not-a-uuid\u0000')).toBeNull()
      await store.browserSessions.delete(given.id)
      expect(await store.browserSessions.findById(given.id)).toBeNull()
    })

    it('stores what the browser sent verbatim', async () => {
      const store = current()
      const john = await user()
      const given = session(john.id, { userAgent: `Robert'); DROP TABLE browser_sessions;-- "💥" %_`, ip: '2001:db8::1' })
      await store.browserSessions.create(given)
      expect(await store.browserSessions.findByTokenHash(given.tokenHash)).toEqual(given)
    })

    it('refuses a session for an account that is gone with NotFound', async () => {
      const error = await current().browserSessions.create(session(randomUUID())).then(() => expect.unreachable('expected NotFound'), (e: unknown) => e)
      expect(error).toBeInstanceOf(NotFound)
      expect((error as NotFound).detail).toBe('User not found')
    })

    it('touch moves lastSeenAt forward only, changes nothing else, and ignores a session that is gone', async () => {
      const store = current()
      const john = await user()
      const given = await store.browserSessions.create(session(john.id))
      await store.browserSessions.touch(given.id, T + HOUR)
      expect(await store.browserSessions.findByTokenHash(given.tokenHash)).toEqual({ ...given, lastSeenAt: T + HOUR })
      await store.browserSessions.touch(given.id, T + 1)                       // a slower request finishing late
      expect((await store.browserSessions.findByTokenHash(given.tokenHash))?.lastSeenAt).toBe(T + HOUR)
      await expect(store.browserSessions.touch(randomUUID(), T + 2 * HOUR)).resolves.toBeUndefined()
      await expect(store.browserSessions.touch('x\u0000', T + 2 * HOUR)).resolves.toBeUndefined()
    })

    it('deletes one session once, leaving the others', async () => {
      const store = current()
      const john = await user()
      const [a, b] = [await store.browserSessions.create(session(john.id)), await store.browserSessions.create(session(john.id))]
      expect(await store.browserSessions.delete(a.id)).toBe(true)
      expect(await store.browserSessions.delete(a.id)).toBe(false)
      expect(await store.browserSessions.delete('x\u0000')).toBe(false)
      expect(await store.browserSessions.findByTokenHash(a.tokenHash)).toBeNull()
      expect(await store.browserSessions.findByTokenHash(b.tokenHash)).toEqual(b)
    })

    it('deletes every session of one user, and no one else\'s, counting them', async () => {
      const store = current()
      const [john, alice] = [await user(), await user('alice')]
      for (let i = 0; i < 3; i += 1) await store.browserSessions.create(session(john.id))
      const alices = await store.browserSessions.create(session(alice.id))
      expect(await store.browserSessions.deleteAllForUser(john.id)).toBe(3)
      expect(await store.browserSessions.deleteAllForUser(john.id)).toBe(0)
      expect(await store.browserSessions.listForUser(john.id)).toEqual([])
      expect(await store.browserSessions.listForUser(alice.id)).toEqual([alices])
    })

    it('lists a user\'s sessions newest first; none for anyone else', async () => {
      const store = current()
      const [john, alice] = [await user(), await user('alice')]
      const old = await store.browserSessions.create(session(john.id, { createdAt: T }))
      const newest = await store.browserSessions.create(session(john.id, { createdAt: T + 2 * HOUR }))
      const middle = await store.browserSessions.create(session(john.id, { createdAt: T + HOUR }))
      await store.browserSessions.create(session(alice.id, { createdAt: T + 3 * HOUR }))
      expect(await store.browserSessions.listForUser(john.id)).toEqual([newest, middle, old])
      expect(await store.browserSessions.listForUser(randomUUID())).toEqual([])
      expect(await store.browserSessions.listForUser('x\u0000')).toEqual([])
    })

    it('housekeeping deletes sessions past their absolute end or unused since the idle cutoff, strictly before', async () => {
      const store = current()
      const john = await user()
      const now = T + 100 * HOUR
      const idleCutoff = now - 72 * HOUR
      const ended = await store.browserSessions.create(session(john.id, { expiresAt: now - 1, lastSeenAt: now - HOUR }))
      const endsNow = await store.browserSessions.create(session(john.id, { expiresAt: now, lastSeenAt: now - HOUR }))
      const idle = await store.browserSessions.create(session(john.id, { lastSeenAt: idleCutoff - 1 }))
      const idleEdge = await store.browserSessions.create(session(john.id, { lastSeenAt: idleCutoff }))
      const live = await store.browserSessions.create(session(john.id, { lastSeenAt: now - HOUR }))
      expect(await store.browserSessions.deleteExpired(now, idleCutoff)).toBe(2)
      for (const gone of [ended, idle]) expect(await store.browserSessions.findByTokenHash(gone.tokenHash)).toBeNull()
      for (const kept of [endsNow, idleEdge, live]) expect(await store.browserSessions.findByTokenHash(kept.tokenHash)).toEqual(kept)
      expect(await store.browserSessions.deleteExpired(now, idleCutoff)).toBe(0)
    })
  })
}
