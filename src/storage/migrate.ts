import { Migrator } from 'kysely'
import type { Backend } from './backend.js'
import { migrationProvider } from './migrations/index.js'

function migratorFor(backend: Backend): Migrator {
  return new Migrator({ db: backend.db, provider: migrationProvider(backend) })
}

/** Applies every pending migration; returns the names applied (none when already current). */
export async function applyMigrations(backend: Backend): Promise<string[]> {
  const run = async () => {
    const { error, results = [] } = await migratorFor(backend).migrateToLatest()
    if (error !== undefined) {
      const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'migration setup'
      throw new Error(`Database migration failed at ${failed}`, { cause: error })
    }
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
  }
  return backend.withMigrationLock ? backend.withMigrationLock(run) : run()
}

/**
 * For `openStore(url, { migrate: false })`: refuse a database whose schema is behind the code,
 * at startup and by name, rather than failing on the first query.
 */
export async function assertMigrated(backend: Backend): Promise<void> {
  const pending = (await migratorFor(backend).getMigrations()).filter((m) => m.executedAt === undefined)
  if (pending.length > 0) {
    const names = pending.map((m) => m.name).join(', ')
    throw new Error(`Database schema is not up to date (pending: ${names}): run \`tessera migrate\``)
  }
}
