import { NotFound } from '../core/errors.js'
import type { RecoveryCodeStore } from '../core/ports.js'
import type { Backend } from './backend.js'

/** Recovery codes as SHA-256 hashes; a code is spent by one conditional update. */
export function createRecoveryCodeStore(backend: Backend): RecoveryCodeStore {
  const { db } = backend
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async replaceAll(userId, codeHashes, now) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
          if (codeHashes.length > 0) {
            await trx.insertInto('recovery_codes')
              .values([...new Set(codeHashes)].map((codeHash) => ({ user_id: userId, code_hash: codeHash, created_at: now, used_at: null })))
              .execute()
          }
        })
      } catch (error) {
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User not found')
        throw error
      }
    },

    async consume(userId, codeHash, now) {
      if (!storable(userId) || !storable(codeHash)) return false
      const result = await db.updateTable('recovery_codes').set({ used_at: now })
        .where('user_id', '=', userId).where('code_hash', '=', codeHash).where('used_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async countUnused(userId) {
      if (!storable(userId)) return 0
      const row = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()
      return Number(row.n)
    },
  }
}
