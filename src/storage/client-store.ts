import type { Selectable } from 'kysely'
import { Conflict } from '../core/errors.js'
import type { ClientRecord, ClientStore, ClientType } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { ClientsTable } from './schema.js'

const CLIENT_COLUMNS = ['id', 'name', 'type', 'secret_hash', 'grant_types', 'scopes', 'created_at'] as const satisfies readonly (keyof ClientsTable)[]

type ClientRow = Selectable<ClientsTable>

function toClientRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    // Only the two values create() writes; anything else would be a hand-edited row, and a
    // client of unknown kind is safest treated as one that cannot keep a secret.
    type: (row.type === 'confidential' ? 'confidential' : 'public') satisfies ClientType,
    secretHash: row.secret_hash,
    grantTypes: parseScope(row.grant_types),
    scopes: parseScope(row.scopes),
    createdAt: Number(row.created_at),
  }
}

export function createClientStore(backend: Backend, clock: { now(): number }): ClientStore {
  const { db } = backend

  async function findById(id: string): Promise<ClientRecord | null> {
    if (backend.representable?.(id) === false) return null // no stored id can hold it
    const row = await db.selectFrom('clients').select(CLIENT_COLUMNS).where('id', '=', id).executeTakeFirst()
    return row === undefined ? null : toClientRecord(row)
  }

  return {
    findById,

    async create(client) {
      try {
        const row = await db
          .insertInto('clients')
          .values({
            id: client.id,
            name: client.name,
            type: client.type,
            secret_hash: client.secretHash,
            grant_types: formatScope([...new Set(client.grantTypes)]),
            scopes: formatScope([...new Set(client.scopes)]),
            created_at: clock.now(),
          })
          .returning(CLIENT_COLUMNS)
          .executeTakeFirstOrThrow()
        return toClientRecord(row)
      } catch (error) {
        if (backend.constraintViolation(error) === 'unique') throw new Conflict('Client already exists')
        throw error
      }
    },

    async list() {
      const rows = await db.selectFrom('clients').select(CLIENT_COLUMNS).orderBy('created_at').orderBy('id').execute()
      return rows.map(toClientRecord)
    },

    async update(id, changes) {
      const columns = {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.grantTypes === undefined ? {} : { grant_types: formatScope([...new Set(changes.grantTypes)]) }),
        ...(changes.scopes === undefined ? {} : { scopes: formatScope([...new Set(changes.scopes)]) }),
        ...(changes.secretHash === undefined ? {} : { secret_hash: changes.secretHash }),
      }
      // Nothing to change still answers whether the client exists.
      if (Object.keys(columns).length === 0) return findById(id)
      const row = await db.updateTable('clients').set(columns).where('id', '=', id).returning(CLIENT_COLUMNS).executeTakeFirst()
      return row === undefined ? null : toClientRecord(row)
    },

    async delete(id) {
      // Its refresh tokens go with it (ON DELETE CASCADE on refresh_tokens.client_id).
      const result = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}
