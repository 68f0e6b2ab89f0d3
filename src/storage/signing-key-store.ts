import type { Selectable } from 'kysely'
import { Conflict } from '../core/errors.js'
import type { SigningAlgorithm, SigningKeyRecord, SigningKeyStatus, SigningKeyStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { SigningKeysTable } from './schema.js'

const COLUMNS = ['kid', 'algorithm', 'private_key_pem', 'public_jwk', 'status', 'created_at'] as const

function toRecord(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    // Checked when the key set is built (signing-keys.ts): a row edited by hand fails there, by kid.
    algorithm: row.algorithm as SigningAlgorithm,
    privateKeyPem: row.private_key_pem,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, unknown>,
    status: row.status as SigningKeyStatus,
    // Number(): a bigint column may arrive as a string from drivers that guard 64-bit precision.
    createdAt: Number(row.created_at),
  }
}

/**
 * Two activations at once (two `keys rotate` on PostgreSQL): neither transaction sees the other's
 * key to demote, and the one-active index refuses the second. The first stands; nothing is lost.
 */
const ANOTHER_ACTIVE = 'Another signing key became active at the same moment; run the command again'

/** Thrown inside a transaction to roll it back when the key to promote does not exist. */
class NoSuchKey extends Error {}

export function createSigningKeyStore(backend: Backend): SigningKeyStore {
  const { db } = backend

  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').select(COLUMNS).orderBy('created_at').orderBy('kid').execute()
      return rows.map(toRecord)
    },

    async insert(key) {
      try {
        // One transaction, demotion first: there is never a moment with two active keys (the
        // partial unique index would refuse it) nor, for other readers, with none.
        await db.transaction().execute(async (trx) => {
          if (key.status === 'active') {
            await trx.updateTable('signing_keys').set({ status: 'verifying' }).where('status', '=', 'active').execute()
          }
          await trx.insertInto('signing_keys').values({
            kid: key.kid,
            algorithm: key.algorithm,
            private_key_pem: key.privateKeyPem,
            public_jwk: JSON.stringify(key.publicJwk),
            status: key.status,
            created_at: key.createdAt,
          }).execute()
        })
      } catch (error) {
        if (backend.constraintViolation(error) !== 'unique') throw error
        const exists = await db.selectFrom('signing_keys').select('kid').where('kid', '=', key.kid).executeTakeFirst()
        throw exists === undefined ? new Conflict(ANOTHER_ACTIVE) : new Conflict('Signing key already exists')
      }
    },

    async setStatus(kid, status) {
      if (status !== 'active') {
        const result = await db.updateTable('signing_keys').set({ status }).where('kid', '=', kid).executeTakeFirst()
        return result.numUpdatedRows > 0n
      }
      // Promoting demotes the active key in the same transaction. Writes only, demotion first:
      // SQLite takes the write lock on the first statement, and the unique index is never crossed.
      try {
        await db.transaction().execute(async (trx) => {
          await trx.updateTable('signing_keys').set({ status: 'verifying' }).where('status', '=', 'active').where('kid', '!=', kid).execute()
          const promoted = await trx.updateTable('signing_keys').set({ status: 'active' }).where('kid', '=', kid).executeTakeFirst()
          if (promoted.numUpdatedRows === 0n) throw new NoSuchKey()
        })
        return true
      } catch (error) {
        if (error instanceof NoSuchKey) return false
        if (backend.constraintViolation(error) === 'unique') throw new Conflict(ANOTHER_ACTIVE)
        throw error
      }
    },
  }
}
