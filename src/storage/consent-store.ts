import type { Selectable } from 'kysely'
import { NotFound } from '../core/errors.js'
import type { ConsentRecord, ConsentStore } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { ConsentsTable } from './schema.js'

const COLUMNS = ['user_id', 'client_id', 'scopes', 'created_at', 'updated_at'] as const satisfies readonly (keyof ConsentsTable)[]

type ConsentRow = Selectable<ConsentsTable>

function toRecord(row: ConsentRow): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    scopes: parseScope(row.scopes),
    // Number(): a bigint column may arrive as a string from drivers that guard 64-bit precision.
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

export function createConsentStore(backend: Backend): ConsentStore {
  const { db } = backend
  /** False for an id no stored row can hold (PostgreSQL text and NUL): nothing was allowed to it. */
  const storable = (...texts: string[]) => texts.every((text) => backend.representable?.(text) !== false)

  const findRow = (userId: string, clientId: string) =>
    db.selectFrom('consents').select(COLUMNS).where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst()

  /**
   * One upsert that writes `scopes` only if the row is still as it was read (`seen`; undefined:
   * there was none): true when it wrote. Never a unique violation, whoever inserts first.
   */
  async function writeIfUnchanged(userId: string, clientId: string, seen: ConsentRow | undefined, scopes: string, now: number) {
    return db
      .insertInto('consents')
      .values({ user_id: userId, client_id: clientId, scopes, created_at: now, updated_at: now })
      .onConflict((oc) => {
        const target = oc.columns(['user_id', 'client_id'])
        return seen === undefined
          ? target.doNothing()
          : target.doUpdateSet({ scopes, updated_at: now }).where('consents.scopes', '=', seen.scopes)
      })
      .returning(COLUMNS)
      .executeTakeFirst()
  }

  return {
    async find(userId, clientId) {
      if (!storable(userId, clientId)) return null
      const row = await findRow(userId, clientId)
      return row === undefined ? null : toRecord(row)
    },

    async grant(userId, clientId, scopes, now) {
      // A union must not lose what a concurrent grant added (two consent pages at once): read,
      // merge, and write only if the row is still as read — else read again. Each retry means
      // another grant or a revoke committed, so this ends.
      try {
        for (;;) {
          const seen = await findRow(userId, clientId)
          const merged = formatScope([...new Set([...parseScope(seen?.scopes ?? ''), ...scopes])])
          const written = await writeIfUnchanged(userId, clientId, seen, merged, now)
          if (written !== undefined) return toRecord(written)
        }
      } catch (error) {
        // The user or the client was deleted while the consent page was open.
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User or client not found')
        throw error
      }
    },

    async revoke(userId, clientId) {
      if (!storable(userId, clientId)) return false
      const result = await db.deleteFrom('consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst()
      return result.numDeletedRows > 0n
    },

    async listForUser(userId) {
      if (!storable(userId)) return []
      const rows = await db.selectFrom('consents').select(COLUMNS).where('user_id', '=', userId)
        .orderBy('updated_at', 'desc').orderBy('client_id').execute()
      return rows.map(toRecord)
    },
  }
}
