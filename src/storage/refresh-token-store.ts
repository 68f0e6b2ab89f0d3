import type { Selectable } from 'kysely'
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenStore } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { RefreshTokensTable } from './schema.js'

const REFRESH_TOKEN_COLUMNS = [
  'id', 'family_id', 'token_hash', 'user_id', 'client_id', 'scopes', 'created_at', 'expires_at', 'idle_expires_at',
  'rotated_at', 'revoked_at',
] as const satisfies readonly (keyof RefreshTokensTable)[]

type RefreshTokenRow = Selectable<RefreshTokensTable>

/** Number(): a bigint may arrive as a string from a driver that guards 64-bit precision. */
function epoch(value: number | string | null): number | null {
  return value === null ? null : Number(value)
}

function toRecord(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    id: row.id,
    familyId: row.family_id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: parseScope(row.scopes),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    idleExpiresAt: Number(row.idle_expires_at),
    rotatedAt: epoch(row.rotated_at),
    revokedAt: epoch(row.revoked_at),
  }
}

function toRow(token: NewRefreshToken): RefreshTokenRow {
  return {
    id: token.id,
    family_id: token.familyId,
    token_hash: token.tokenHash,
    user_id: token.userId,
    client_id: token.clientId,
    scopes: formatScope(token.scopes),
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    idle_expires_at: token.idleExpiresAt,
    rotated_at: null,
    revoked_at: null,
  }
}

export function createRefreshTokenStore(backend: Backend): RefreshTokenStore {
  const { db } = backend

  return {
    async create(token) {
      const row = await db.insertInto('refresh_tokens').values(toRow(token)).returning(REFRESH_TOKEN_COLUMNS).executeTakeFirstOrThrow()
      return toRecord(row)
    },

    async findByHash(tokenHash) {
      const row = await db.selectFrom('refresh_tokens').select(REFRESH_TOKEN_COLUMNS).where('token_hash', '=', tokenHash).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async rotate(oldId, now, next) {
      return db.transaction().execute(async (trx) => {
        await backend.lockFamily?.(trx, next.familyId)                    // a revocation of the family waits, or goes first
        // The conditional update is the arbiter: of concurrent rotations of one token, exactly one
        // finds it still live (a row lock in PostgreSQL, the single writer in SQLite).
        const claimed = await trx
          .updateTable('refresh_tokens')
          .set({ rotated_at: now })
          .where('id', '=', oldId)
          .where('rotated_at', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst()
        if (claimed.numUpdatedRows === 0n) return null
        const row = await trx.insertInto('refresh_tokens').values(toRow(next)).returning(REFRESH_TOKEN_COLUMNS).executeTakeFirstOrThrow()
        return toRecord(row)
      })
    },

    async revokeFamily(familyId, now) {
      return db.transaction().execute(async (trx) => {
        // After a concurrent rotation commits, so the token it inserted is revoked too.
        await backend.lockFamily?.(trx, familyId)
        const result = await trx
          .updateTable('refresh_tokens')
          .set({ revoked_at: now })
          .where('family_id', '=', familyId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst()
        return Number(result.numUpdatedRows)
      })
    },

    async revokeAllForUser(userId, now) {
      const result = await db
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
