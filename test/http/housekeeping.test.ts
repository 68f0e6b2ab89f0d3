import { describe, expect, it } from 'vitest'
import { fixedClock, hashRefreshToken, startSession } from '../../src/core/index.js'
import { startHousekeeping } from '../../src/http/housekeeping.js'
import { startTestServer } from './test-server.js'

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
      const housekeeping = startHousekeeping(store, fixedClock(1_500_000), log, 60_000)
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

  it('a failing pass is logged, not thrown', async () => {
    const failing = { deleteExpired: async () => { throw new Error('database gone') } }
    const warnings: object[] = []
    const housekeeping = startHousekeeping(
      { refreshTokens: failing, revokedTokens: failing } as never, fixedClock(1), { info: () => undefined, warn: (o) => { warnings.push(o) } }, 60_000,
    )
    await housekeeping.run()
    housekeeping.stop()
    expect(warnings).toContainEqual({ err: { name: 'Error' } })
  })
})
