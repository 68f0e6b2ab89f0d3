import type { Selectable } from 'kysely'
import { Conflict, NotFound } from '../core/errors.js'
import type { TotpRecord, TotpStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { TotpFactorsTable } from './schema.js'

const COLUMNS = ['user_id', 'secret', 'confirmed_at', 'last_used_step', 'created_at'] as const satisfies readonly (keyof TotpFactorsTable)[]

function toRecord(row: Selectable<TotpFactorsTable>): TotpRecord {
  return {
    userId: row.user_id,
    secret: row.secret,
    confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
    lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    createdAt: Number(row.created_at),
  }
}

/** TOTP factors: one per user. Replay protection is one conditional update on the last used step. */
export function createTotpStore(backend: Backend): TotpStore {
  const { db } = backend
  const storable = (text: string) => backend.representable?.(text) !== false

  return {
    async find(userId) {
      if (!storable(userId)) return null
      const row = await db.selectFrom('totp_factors').select(COLUMNS).where('user_id', '=', userId).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async startEnrolment(userId, secret, now) {
      try {
        // Replaces a pending secret only: a confirmed factor is never overwritten by a new enrolment.
        const row = await db.insertInto('totp_factors')
          .values({ user_id: userId, secret, confirmed_at: null, last_used_step: null, created_at: now })
          .onConflict((oc) => oc.column('user_id').doUpdateSet({ secret, created_at: now, last_used_step: null })
            .where('totp_factors.confirmed_at', 'is', null))
          .returning(COLUMNS).executeTakeFirst()
        if (row === undefined) throw new Conflict('A second factor is already enrolled')
        return toRecord(row)
      } catch (error) {
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User not found')
        throw error
      }
    },

    async confirm(userId, step, now) {
      if (!storable(userId)) return false
      const result = await db.updateTable('totp_factors').set({ confirmed_at: now, last_used_step: step })
        .where('user_id', '=', userId).where('confirmed_at', 'is', null).executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async useStep(userId, step) {
      if (!storable(userId)) return false
      const result = await db.updateTable('totp_factors').set({ last_used_step: step })
        .where('user_id', '=', userId).where('confirmed_at', 'is not', null)
        .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async delete(userId) {
      if (!storable(userId)) return false
      return db.transaction().execute(async (trx) => {
        await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute()
        const result = await trx.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst()
        return result.numDeletedRows > 0n
      })
    },
  }
}
