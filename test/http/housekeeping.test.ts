import { describe, expect, it, vi } from 'vitest'
import { fixedClock, hashRefreshToken, startSession } from '../../src/core/index.js'
import { startHousekeeping } from '../../src/http/housekeeping.js'
import { startTestServer } from './test-server.js'

const DAY = 86_400_000

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
      expect(logged).toContainEqual({ refreshTokens: 1, revokedTokens: 1 })
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
