import type { Selectable } from 'kysely'
import { Conflict, NotFound } from '../core/errors.js'
import type { FederatedIdentityRecord, FederatedIdentityStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { FederatedIdentitiesTable } from './schema.js'

const COLUMNS = ['provider_id', 'subject', 'user_id', 'email', 'created_at', 'last_used_at'] as const satisfies readonly (keyof FederatedIdentitiesTable)[]

function toRecord(row: Selectable<FederatedIdentitiesTable>): FederatedIdentityRecord {
  return {
    providerId: row.provider_id, subject: row.subject, userId: row.user_id, email: row.email,
    createdAt: Number(row.created_at), lastUsedAt: Number(row.last_used_at),
  }
}

/** Links from a provider's subject to an account: unique both ways (one subject, one link per provider and account). */
export function createFederatedIdentityStore(backend: Backend): FederatedIdentityStore {
  const { db } = backend
  const storable = (...texts: string[]) => texts.every((text) => backend.representable?.(text) !== false)

  return {
    async find(providerId, subject) {
      if (!storable(providerId, subject)) return null
      const row = await db.selectFrom('federated_identities').select(COLUMNS)
        .where('provider_id', '=', providerId).where('subject', '=', subject).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async listForUser(userId) {
      if (!storable(userId)) return []
      return (await db.selectFrom('federated_identities').select(COLUMNS).where('user_id', '=', userId).orderBy('provider_id').execute()).map(toRecord)
    },

    async link(identity) {
      try {
        const row = await db.insertInto('federated_identities').values({
          provider_id: identity.providerId, subject: identity.subject, user_id: identity.userId, email: identity.email,
          created_at: identity.createdAt, last_used_at: identity.lastUsedAt,
        }).returning(COLUMNS).executeTakeFirstOrThrow()
        return toRecord(row)
      } catch (error) {
        const violation = backend.constraintViolation(error)
        if (violation === 'unique') throw new Conflict('This account is linked already')
        if (violation === 'foreign_key') throw new NotFound('User or provider not found')
        throw error
      }
    },

    async touch(providerId, subject, email, now) {
      if (!storable(providerId, subject)) return
      await db.updateTable('federated_identities').set({ email, last_used_at: now })
        .where('provider_id', '=', providerId).where('subject', '=', subject).execute()
    },

    async unlink(userId, providerId) {
      if (!storable(userId, providerId)) return false
      const result = await db.deleteFrom('federated_identities').where('user_id', '=', userId).where('provider_id', '=', providerId).executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}
