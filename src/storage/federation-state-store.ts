import type { Selectable } from 'kysely'
import { NotFound } from '../core/errors.js'
import type { FederationStateRecord, FederationStateStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { FederationStatesTable } from './schema.js'

const COLUMNS = [
  'state_hash', 'provider_id', 'binding_hash', 'nonce', 'code_verifier', 'carried', 'link_user_id', 'created_at', 'expires_at',
] as const satisfies readonly (keyof FederationStatesTable)[]

function toRecord(row: Pick<Selectable<FederationStatesTable>, (typeof COLUMNS)[number]>): FederationStateRecord {
  return {
    stateHash: row.state_hash, providerId: row.provider_id, bindingHash: row.binding_hash, nonce: row.nonce, codeVerifier: row.code_verifier,
    carried: JSON.parse(row.carried) as Record<string, string>, linkUserId: row.link_user_id,
    createdAt: Number(row.created_at), expiresAt: Number(row.expires_at),
  }
}

/** Upstream sign-ins in flight, keyed by the SHA-256 of their `state`; each callback spends one. */
export function createFederationStateStore(backend: Backend): FederationStateStore {
  const { db } = backend
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async create(state) {
      try {
        await db.insertInto('federation_states').values({
          state_hash: state.stateHash, provider_id: state.providerId, binding_hash: state.bindingHash, nonce: state.nonce,
          code_verifier: state.codeVerifier, carried: JSON.stringify(state.carried), link_user_id: state.linkUserId,
          created_at: state.createdAt, expires_at: state.expiresAt, consumed_at: null,
        }).execute()
      } catch (error) {
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('Provider not found')       // removed meanwhile
        throw error
      }
    },

    async consume(stateHash, now) {
      if (!storable(stateHash)) return null
      const row = await db.updateTable('federation_states').set({ consumed_at: now })
        .where('state_hash', '=', stateHash).where('consumed_at', 'is', null).where('expires_at', '>', now)
        .returning(COLUMNS).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async deleteExpired(now) {
      const result = await db.deleteFrom('federation_states')
        .where((eb) => eb.or([eb('expires_at', '<', now), eb('consumed_at', 'is not', null)])).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
