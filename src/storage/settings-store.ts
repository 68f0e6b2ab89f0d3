import type { SettingsStore } from '../core/ports.js'
import type { Backend } from './backend.js'

export function createSettingsStore(backend: Backend): SettingsStore {
  const { db } = backend
  const get = async (key: string) =>
    (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value ?? null

  return {
    get,
    async getOrInsert(key, value) {
      // Insert-if-absent then read: whichever writer got there first wins, in any process,
      // without a transaction (two servers generating a signing key at once agree on one).
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute()
      const stored = await get(key)
      if (stored === null) throw new Error(`Setting ${key} vanished after insert`)
      return stored
    },
  }
}
