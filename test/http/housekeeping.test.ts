import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { fixedClock, hashRefreshToken, startSession, type CodeExchange, type Store } from '../../src/core/index.js'
import { startHousekeeping } from '../../src/http/housekeeping.js'
import { startTestServer } from './test-server.js'

const HOUR = 3_600_000
const DAY = 86_400_000

/** A browser session of `userId` as the sign-in page stores it, with the given times. */
function browserSession(store: Store, userId: string, times: { lastSeenAt: number; expiresAt: number }) {
  return store.browserSessions.create({
    id: randomUUID(), tokenHash: randomBytes(32).toString('hex'), userId, authenticatedAt: times.lastSeenAt, amr: ['pwd'],
    createdAt: times.lastSeenAt, ip: null, userAgent: null, ...times,
  })
}

/** A code for `clientId`, expiring at `expiresAt`, exchanged (with what) or not. */
async function authorizationCode(store: Store, userId: string, clientId: string, expiresAt: number, exchange?: CodeExchange) {
  const code = await store.authorizationCodes.create({
    id: randomUUID(), codeHash: randomBytes(32).toString('hex'), clientId, userId, redirectUri: 'https://app.example/cb', scopes: ['openid'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', nonce: null, audience: [], authTime: 0, amr: ['pwd'],
    browserSessionId: null, createdAt: expiresAt - 60_000, expiresAt,
  })
  if (exchange !== undefined) await store.authorizationCodes.consume(code.id, expiresAt - 30_000, exchange)
  return code
}

describe('housekeeping', () => {
  it('deletes refresh tokens past their absolute end and revoked jtis past their expiry, logging how many', async () => {
    const server = await startTestServer()
    try {
      const { store } = server
      const policy = { idleSeconds: 60, absoluteSeconds: 120 }
      const old = await startSession({ userId: server.users.johndoe.id, clientId: null, scopes: ['me'] }, null, { refreshTokens: store.refreshTokens, refreshPolicy: policy, clock: fixedClock(1_000_000) })
      const live = await startSession({ userId: server.users.johndoe.id, clientId: null, scopes: ['me'] }, null, { refreshTokens: store.refreshTokens, refreshPolicy: policy, clock: fixedClock(2_000_000) })
      await store.revokedTokens.revoke('expired-jti', 1_100_000)
      await store.revokedTokens.revoke('live-jti', 3_000_000)
      const logged: object[] = []
      const log = { info: (o: object) => { logged.push(o) }, warn: (o: object) => { logged.push({ warn: o }) } }
      const housekeeping = startHousekeeping(store, fixedClock(1_500_000), log, { intervalMs: 60_000 })
      await housekeeping.run()
      housekeeping.stop()
      expect(await store.refreshTokens.findByHash(hashRefreshToken(old))).toBeNull()
      expect(await store.refreshTokens.findByHash(hashRefreshToken(live))).not.toBeNull()
      expect(await store.revokedTokens.isRevoked('expired-jti')).toBe(false)
      expect(await store.revokedTokens.isRevoked('live-jti')).toBe(true)
      expect(logged).toContainEqual({ refreshTokens: 1, revokedTokens: 1, browserSessions: 0, authorizationCodes: 0, oneTimeTokens: 0, federationStates: 0 })
    } finally {
      await server.close()
    }
  })

  it('deletes browser sessions past their end or idle past TESSERA_SESSION_IDLE_HOURS, and codes no exchange or replay can use', async () => {
    const server = await startTestServer()
    try {
      const { store } = server
      const userId = server.users.johndoe.id
      await store.clients.create({ id: 'web', name: 'Web', type: 'public', secretHash: null, grantTypes: ['authorization_code'], scopes: ['me'] })
      const now = Date.UTC(2026, 6, 1)
      await browserSession(store, userId, { lastSeenAt: now - HOUR, expiresAt: now - 1 })
      await browserSession(store, userId, { lastSeenAt: now - 72 * HOUR - 1, expiresAt: now + DAY })
      const idle2Days = await browserSession(store, userId, { lastSeenAt: now - 48 * HOUR - 1, expiresAt: now + DAY })
      const live = await browserSession(store, userId, { lastSeenAt: now - HOUR, expiresAt: now + DAY })
      const unused = await authorizationCode(store, userId, 'web', now - 1)
      const pending = await authorizationCode(store, userId, 'web', now + 30_000)
      const replayable = await authorizationCode(store, userId, 'web', now - 1, { familyId: null, accessTokenJti: randomUUID(), accessTokenExpiresAt: now + HOUR })
      const spent = await authorizationCode(store, userId, 'web', now - 1, { familyId: null, accessTokenJti: randomUUID(), accessTokenExpiresAt: now - 1 })
      const logged: object[] = []
      const log = { info: (o: object) => { logged.push(o) }, warn: (o: object) => { logged.push({ warn: o }) } }
      // The pass started with the timer runs beside the one awaited here: what each deletes adds up.
      const total = (field: 'browserSessions' | 'authorizationCodes') =>
        logged.reduce<number>((sum, line) => sum + ((line as Record<string, number>)[field] ?? 0), 0)
      const sessionsLeft = async () => (await store.browserSessions.listForUser(userId)).map((s) => s.id).sort()

      const byDefault = startHousekeeping(store, fixedClock(now), log, { intervalMs: 60_000 })   // 72 hours idle
      await byDefault.run()
      byDefault.stop()
      expect(await sessionsLeft()).toEqual([idle2Days.id, live.id].sort())
      for (const gone of [unused, spent]) expect(await store.authorizationCodes.findByHash(gone.codeHash)).toBeNull()
      for (const kept of [pending, replayable]) expect(await store.authorizationCodes.findByHash(kept.codeHash)).not.toBeNull()
      await vi.waitFor(() => expect([total('browserSessions'), total('authorizationCodes')]).toEqual([2, 2]))
      expect(logged[0]).toEqual({ refreshTokens: 0, revokedTokens: 0, browserSessions: expect.any(Number), authorizationCodes: expect.any(Number), oneTimeTokens: 0, federationStates: 0 })

      const twoDays = startHousekeeping(store, fixedClock(now), log, { intervalMs: 60_000, sessionIdleHours: 48 })
      await twoDays.run()
      twoDays.stop()
      expect(await sessionsLeft()).toEqual([live.id])
      await vi.waitFor(() => expect([total('browserSessions'), total('authorizationCodes')]).toEqual([3, 2]))
    } finally {
      await server.close()
    }
  })

  it('deletes audit entries older than the retention (TESSERA_AUDIT_RETENTION_DAYS); 0 keeps them all', async () => {
    const server = await startTestServer()
    try {
      const { store } = server
      const now = Date.UTC(2026, 6, 1)
      const entry = (at: number, username: string) => store.audit.record({
        event: 'login.failed', at, userId: null, username, clientId: null, actorId: null, ip: null, userAgent: null, details: {},
      })
      await entry(now - 31 * DAY, 'past')
      await entry(now - 30 * DAY, 'at-the-edge')
      await entry(now - DAY, 'recent')
      const names = async () => (await store.audit.list({ limit: 10, offset: 0 })).map((e) => e.username)
      const logged: object[] = []
      const log = { info: (o: object) => { logged.push(o) }, warn: (o: object) => { logged.push({ warn: o }) } }

      const keepForever = startHousekeeping(store, fixedClock(now), log, { intervalMs: 60_000, auditRetentionDays: 0 })
      await keepForever.run()
      keepForever.stop()
      expect(await names()).toEqual(['recent', 'at-the-edge', 'past'])

      const thirtyDays = startHousekeeping(store, fixedClock(now), log, { intervalMs: 60_000, auditRetentionDays: 30 })
      await thirtyDays.run()
      thirtyDays.stop()
      expect(await names()).toEqual(['recent', 'at-the-edge'])
      // The pass started with the timer may be the one that found the entry: wait for its line.
      await vi.waitFor(() => expect(logged).toContainEqual({ auditEntries: 1, auditRetentionDays: 30 }))
    } finally {
      await server.close()
    }
  })

  it('a failing pass is logged, not thrown', async () => {
    const failing = { deleteExpired: async () => { throw new Error('database gone') } }
    const warnings: object[] = []
    const housekeeping = startHousekeeping(
      { refreshTokens: failing, revokedTokens: failing } as never, fixedClock(1), { info: () => undefined, warn: (o) => { warnings.push(o) } }, { intervalMs: 60_000 },
    )
    await housekeeping.run()
    housekeeping.stop()
    expect(warnings).toContainEqual({ err: { name: 'Error' } })
  })
})
