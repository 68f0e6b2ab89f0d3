import type { Selectable } from 'kysely'
import { Conflict } from '../core/errors.js'
import type { IdentityProviderKind, IdentityProviderRecord, IdentityProviderStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { IdentityProvidersTable } from './schema.js'

const COLUMNS = ['id', 'kind', 'label', 'issuer', 'client_id', 'client_secret', 'scopes', 'created_at', 'updated_at'] as const satisfies readonly (keyof IdentityProvidersTable)[]

function toRecord(row: Selectable<IdentityProvidersTable>): IdentityProviderRecord {
  return {
    id: row.id,
    kind: row.kind as IdentityProviderKind,
    label: row.label,
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecret: row.client_secret,
    scopes: row.scopes.split(' ').filter((s) => s !== ''),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

/** The upstream providers, read on each use: every instance sees a change at its next sign-in. */
export function createIdentityProviderStore(backend: Backend): IdentityProviderStore {
  const { db } = backend
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async list() {
      return (await db.selectFrom('identity_providers').select(COLUMNS).orderBy('id').execute()).map(toRecord)
    },

    async findById(id) {
      if (!storable(id)) return null
      const row = await db.selectFrom('identity_providers').select(COLUMNS).where('id', '=', id).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async create(provider, now) {
      try {
        const row = await db.insertInto('identity_providers').values({
          id: provider.id, kind: provider.kind, label: provider.label, issuer: provider.issuer, client_id: provider.clientId,
          client_secret: provider.clientSecret, scopes: provider.scopes.join(' '), created_at: now, updated_at: now,
        }).returning(COLUMNS).executeTakeFirstOrThrow()
        return toRecord(row)
      } catch (error) {
        if (backend.constraintViolation(error) === 'unique') throw new Conflict('Provider already exists')
        throw error
      }
    },

    async update(id, changes, now) {
      if (!storable(id)) return null
      const row = await db.updateTable('identity_providers').set({
        ...(changes.label === undefined ? {} : { label: changes.label }),
        ...(changes.issuer === undefined ? {} : { issuer: changes.issuer }),
        ...(changes.clientId === undefined ? {} : { client_id: changes.clientId }),
        ...(changes.clientSecret === undefined ? {} : { client_secret: changes.clientSecret }),
        ...(changes.scopes === undefined ? {} : { scopes: changes.scopes.join(' ') }),
        updated_at: now,
      }).where('id', '=', id).returning(COLUMNS).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async delete(id) {
      if (!storable(id)) return false
      // Links and pending sign-ins go with it (ON DELETE CASCADE).
      const result = await db.deleteFrom('identity_providers').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}
