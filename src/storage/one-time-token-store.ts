import type { Selectable } from 'kysely'
import { NotFound } from '../core/errors.js'
import type { OneTimeTokenPurpose, OneTimeTokenRecord, OneTimeTokenStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { OneTimeTokensTable } from './schema.js'

const COLUMNS = ['id', 'token_hash', 'purpose', 'user_id', 'email', 'data', 'created_at', 'expires_at', 'consumed_at'] as const satisfies readonly (keyof OneTimeTokensTable)[]

function toRecord(row: Selectable<OneTimeTokensTable>): OneTimeTokenRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    purpose: row.purpose as OneTimeTokenPurpose,
    userId: row.user_id,
    email: row.email,
    data: JSON.parse(row.data) as OneTimeTokenRecord['data'],
    // Number(): a bigint column may arrive as a string from drivers that guard 64-bit precision.
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    consumedAt: row.consumed_at === null ? null : Number(row.consumed_at),
  }
}

/** Single-use tokens (mailed links, the second-factor step): spent by one conditional update, so of two uses one wins. */
export function createOneTimeTokenStore(backend: Backend): OneTimeTokenStore {
  const { db } = backend
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async create(token) {
      try {
        const row = await db.insertInto('one_time_tokens').values({
          id: token.id, token_hash: token.tokenHash, purpose: token.purpose, user_id: token.userId, email: token.email,
          data: JSON.stringify(token.data), created_at: token.createdAt, expires_at: token.expiresAt, consumed_at: null,
        }).returning(COLUMNS).executeTakeFirstOrThrow()
        return toRecord(row)
      } catch (error) {
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User not found')  // deleted meanwhile
        throw error
      }
    },

    async findLive(tokenHash, purpose, now) {
      if (!storable(tokenHash)) return null
      const row = await db.selectFrom('one_time_tokens').select(COLUMNS)
        .where('token_hash', '=', tokenHash).where('purpose', '=', purpose)
        .where('consumed_at', 'is', null).where('expires_at', '>', now)
        .executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async consume(tokenHash, purpose, now) {
      if (!storable(tokenHash)) return null
      const row = await db.updateTable('one_time_tokens').set({ consumed_at: now })
        .where('token_hash', '=', tokenHash).where('purpose', '=', purpose)
        .where('consumed_at', 'is', null).where('expires_at', '>', now)
        .returning(COLUMNS).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async consumeAllForUser(userId, purpose, now) {
      if (!storable(userId)) return 0
      const result = await db.updateTable('one_time_tokens').set({ consumed_at: now })
        .where('user_id', '=', userId).where('purpose', '=', purpose).where('consumed_at', 'is', null)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('one_time_tokens')
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('consumed_at', '<', now)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
