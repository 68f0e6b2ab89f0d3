import type { Selectable } from 'kysely'
import { NotFound } from '../core/errors.js'
import type { BrowserSessionRecord, BrowserSessionStore } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { BrowserSessionsTable } from './schema.js'

const COLUMNS = [
  'id', 'token_hash', 'user_id', 'authenticated_at', 'amr', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent',
] as const satisfies readonly (keyof BrowserSessionsTable)[]

function toRecord(row: Selectable<BrowserSessionsTable>): BrowserSessionRecord {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    // Number(): a bigint column may arrive as a string from drivers that guard 64-bit precision.
    authenticatedAt: Number(row.authenticated_at),
    // RFC 8176 method names are single tokens, written space-separated like scopes.
    amr: parseScope(row.amr),
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  }
}

export function createBrowserSessionStore(backend: Backend): BrowserSessionStore {
  const { db } = backend
  /** False for an id or hash no stored row can hold (PostgreSQL text and NUL): found nowhere. */
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async create(session) {
      try {
        const row = await db
          .insertInto('browser_sessions')
          .values({
            id: session.id,
            token_hash: session.tokenHash,
            user_id: session.userId,
            authenticated_at: session.authenticatedAt,
            amr: formatScope([...new Set(session.amr)]),
            created_at: session.createdAt,
            last_seen_at: session.lastSeenAt,
            expires_at: session.expiresAt,
            ip: session.ip,
            user_agent: session.userAgent,
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow()
        return toRecord(row)
      } catch (error) {
        // The account was deleted between the password check and this insert.
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User not found')
        throw error
      }
    },

    async findByTokenHash(tokenHash) {
      if (!storable(tokenHash)) return null
      const row = await db.selectFrom('browser_sessions').select(COLUMNS).where('token_hash', '=', tokenHash).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async findById(id) {
      if (!storable(id)) return null
      const row = await db.selectFrom('browser_sessions').select(COLUMNS).where('id', '=', id).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async touch(id, now) {
      if (!storable(id)) return
      // Never backwards: of two requests at once, the later time stands.
      await db.updateTable('browser_sessions').set({ last_seen_at: now }).where('id', '=', id).where('last_seen_at', '<', now).execute()
    },

    async delete(id) {
      if (!storable(id)) return false
      const result = await db.deleteFrom('browser_sessions').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async deleteAllForUser(userId) {
      if (!storable(userId)) return 0
      const result = await db.deleteFrom('browser_sessions').where('user_id', '=', userId).executeTakeFirst()
      return Number(result.numDeletedRows)
    },

    async listForUser(userId) {
      if (!storable(userId)) return []
      const rows = await db.selectFrom('browser_sessions').select(COLUMNS).where('user_id', '=', userId)
        .orderBy('created_at', 'desc').orderBy('id', 'desc').execute()
      return rows.map(toRecord)
    },

    async deleteExpired(now, idleCutoff) {
      const result = await db.deleteFrom('browser_sessions')
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('last_seen_at', '<', idleCutoff)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
