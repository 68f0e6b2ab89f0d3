import type { RevokedTokenStore } from '../core/ports.js'
import type { Backend } from './backend.js'

export function createRevokedTokenStore(backend: Backend): RevokedTokenStore {
  const { db } = backend

  // Asked on every authenticated request: a backend may answer without the query builder.
  const isRevoked = backend.isJtiRevoked?.bind(backend) ?? (async (jti: string) => {
    const row = await db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti).executeTakeFirst()
    return row !== undefined
  })

  return {
    async revoke(jti, expiresAt) {
      // Revoking twice is revoking once: the first expiry stands (it is the token's own `exp`).
      await db.insertInto('revoked_tokens').values({ jti, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute()
    },

    isRevoked,

    async deleteExpired(now) {
      const result = await db.deleteFrom('revoked_tokens').where('expires_at', '<', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
