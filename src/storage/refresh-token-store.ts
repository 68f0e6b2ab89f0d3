import type { Selectable, SelectQueryBuilder } from 'kysely'
import type { NewRefreshToken, RefreshTokenRecord, RefreshTokenStore } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { Database, RefreshTokensTable } from './schema.js'
import { formatUriList, parseUriList } from './uri-list.js'

const REFRESH_TOKEN_COLUMNS = [
  'id', 'family_id', 'token_hash', 'user_id', 'client_id', 'scopes', 'created_at', 'expires_at', 'idle_expires_at',
  'rotated_at', 'revoked_at', 'auth_time', 'audience', 'browser_session_id',
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
    authTime: epoch(row.auth_time),
    audience: parseUriList(row.audience),
    browserSessionId: row.browser_session_id,
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
    // Absent for password-grant families (NewRefreshToken): no sign-in time, the default audience.
    auth_time: token.authTime ?? null,
    audience: formatUriList(token.audience ?? []),
    browser_session_id: token.browserSessionId ?? null,
  }
}

export function createRefreshTokenStore(backend: Backend): RefreshTokenStore {
  const { db } = backend

  /**
   * Revokes whole families (those `families` selects), each locked as revokeFamily locks it, so a
   * rotation racing the sign-out commits first (and its new token is revoked here) or finds its
   * token revoked. In family order, so two sign-outs sharing families cannot deadlock. Without
   * lockFamily (SQLite's single writer) the one UPDATE is the transaction's only statement.
   */
  function revokeFamiliesOf(families: (qb: typeof db) => SelectQueryBuilder<Database, 'refresh_tokens', { family_id: string }>, now: number): Promise<number> {
    return db.transaction().execute(async (trx) => {
      if (backend.lockFamily !== undefined) {
        const rows = await families(trx).distinct().orderBy('family_id').execute()
        for (const { family_id } of rows) await backend.lockFamily(trx, family_id)
      }
      const result = await trx
        .updateTable('refresh_tokens')
        .set({ revoked_at: now })
        .where('family_id', 'in', families(trx))
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }

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

    async revokeAllForBrowserSession(browserSessionId, now) {
      if (backend.representable?.(browserSessionId) === false) return 0 // no stored id can hold it
      return revokeFamiliesOf((qb) => qb.selectFrom('refresh_tokens').select('family_id').where('browser_session_id', '=', browserSessionId), now)
    },

    async revokeAllForUserAndClient(userId, clientId, now) {
      if (backend.representable?.(userId) === false || backend.representable?.(clientId) === false) return 0
      return revokeFamiliesOf((qb) => qb.selectFrom('refresh_tokens').select('family_id').where('user_id', '=', userId).where('client_id', '=', clientId), now)
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('refresh_tokens').where('expires_at', '<', now).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
