import { Conflict, NotFound } from '../core/errors.js'
import type { ItemStore } from '../core/ports.js'
import type { ItemRecord, NewItem } from '../core/user.js'
import type { Backend } from './backend.js'
import type { ItemRow } from './schema.js'

const ITEM_COLUMNS = ['id', 'owner_id', 'item_id', 'title', 'description'] as const

function toItemRecord(row: ItemRow): ItemRecord {
  return { id: Number(row.id), ownerId: row.owner_id, itemId: row.item_id, title: row.title, description: row.description }
}

export function createItemStore(backend: Backend): ItemStore {
  const { db } = backend
  return {
    async listByOwner(ownerId) {
      const rows = await db.selectFrom('items').select(ITEM_COLUMNS).where('owner_id', '=', ownerId).orderBy('id').execute()
      return rows.map(toItemRecord)
    },

    async create(ownerId: string, item: NewItem) {
      try {
        const row = await db
          .insertInto('items')
          .values({ owner_id: ownerId, item_id: item.itemId, title: item.title ?? null, description: item.description ?? null })
          .returning(ITEM_COLUMNS)
          .executeTakeFirstOrThrow()
        return toItemRecord(row)
      } catch (error) {
        const violation = backend.constraintViolation(error)
        if (violation === 'unique') throw new Conflict('Item already exists')
        // The owner was deleted between authentication and this insert.
        if (violation === 'foreign_key') throw new NotFound('User not found')
        throw error
      }
    },
  }
}
