import type { ExpressionBuilder, Selectable, Transaction } from 'kysely'
import { Conflict } from '../core/errors.js'
import type { SigningAlgorithm, SigningKeyPurpose, SigningKeyRecord, SigningKeyStatus, SigningKeyStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { Database, SigningKeysTable } from './schema.js'

const COLUMNS = ['kid', 'algorithm', 'purpose', 'private_key_pem', 'public_jwk', 'status', 'created_at'] as const

function toRecord(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    // Checked when the key set is built (signing-keys.ts): a row edited by hand fails there, by kid.
    algorithm: row.algorithm as SigningAlgorithm,
    purpose: row.purpose as SigningKeyPurpose,
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

/**
 * Demotes to verifying the active key that `key` takes over from (SigningKeyPurpose): the active
 * access-token key, or the active id_token key of the same algorithm. Keys of the other purpose,
 * and id_token keys of other algorithms, keep signing.
 */
async function demoteTakenOver(trx: Transaction<Database>, key: { kid: string; purpose: SigningKeyPurpose; algorithm: string }): Promise<void> {
  let query = trx.updateTable('signing_keys').set({ status: 'verifying' })
    .where('status', '=', 'active').where('purpose', '=', key.purpose).where('kid', '!=', key.kid)
  if (key.purpose === 'id_token') query = query.where('algorithm', '=', key.algorithm)
  await query.execute()
}

/**
 * The same demotion for a stored key known only by kid, in one statement that reads its purpose
 * and algorithm itself: the transaction's first statement is then a write, which takes SQLite's
 * write lock at once (a read first could not be upgraded if another process wrote meanwhile).
 */
async function demoteTakenOverBy(trx: Transaction<Database>, kid: string): Promise<void> {
  const target = (column: 'purpose' | 'algorithm') => (eb: ExpressionBuilder<Database, 'signing_keys'>) =>
    eb.selectFrom('signing_keys as target').select(`target.${column}`).where('target.kid', '=', kid)
  await trx.updateTable('signing_keys').set({ status: 'verifying' })
    .where('status', '=', 'active').where('kid', '!=', kid)
    .where('purpose', '=', target('purpose'))
    .where((eb) => eb.or([eb('purpose', '=', 'access_token'), eb('algorithm', '=', target('algorithm')(eb))]))
    .execute()
}

export function createSigningKeyStore(backend: Backend): SigningKeyStore {
  const { db } = backend

  return {
    async list() {
      const rows = await db.selectFrom('signing_keys').select(COLUMNS).orderBy('created_at').orderBy('kid').execute()
      return rows.map(toRecord)
    },

    async insert(key) {
      try {
        // One transaction, demotion first: there is never a moment with two active keys for one
        // use (the partial unique indexes would refuse it) nor, for other readers, with none.
        const purpose = key.purpose ?? 'access_token'
        await db.transaction().execute(async (trx) => {
          if (key.status === 'active') await demoteTakenOver(trx, { kid: key.kid, purpose, algorithm: key.algorithm })
          await trx.insertInto('signing_keys').values({
            kid: key.kid,
            algorithm: key.algorithm,
            purpose,
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
      // Promoting demotes the key it takes over from in the same transaction. Writes only,
      // demotion first: SQLite takes the write lock on the first statement, and the unique
      // indexes are never crossed.
      try {
        await db.transaction().execute(async (trx) => {
          await demoteTakenOverBy(trx, kid)
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
