import type Sqlite from 'better-sqlite3'
import type { SqliteDatabase } from 'kysely'
import { ServiceUnavailable } from '../core/errors.js'

/** How long a client is told to wait when another process held SQLite's write lock too long (Retry-After, seconds). */
export const SQLITE_BUSY_RETRY_AFTER_SECONDS = 1

/**
 * SQLITE_BUSY (or one of its extended codes) after busy_timeout: another process (`tessera users
 * add` during a long import, a backup) held the lock the whole time. That is "try again", not a
 * fault of the request or of Tessera: 503 + Retry-After, never an opaque 500.
 */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'))
}

function busyAsUnavailable<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (isBusy(error)) throw new ServiceUnavailable(SQLITE_BUSY_RETRY_AFTER_SECONDS, 'Database busy, retry later')
    throw error
  }
}

/** The connection as Kysely's SqliteDialect uses it, with SQLITE_BUSY turned into ServiceUnavailable. */
export function withBusyAsUnavailable(raw: Sqlite.Database): SqliteDatabase {
  return {
    close: () => { raw.close() },
    prepare(sql) {
      const statement = busyAsUnavailable(() => raw.prepare(sql))
      return {
        reader: statement.reader,
        all: (parameters) => busyAsUnavailable(() => statement.all(parameters)),
        run: (parameters) => busyAsUnavailable(() => statement.run(parameters)),
        iterate: (parameters) => busyAsUnavailable(() => statement.iterate(parameters)),
      }
    },
  }
}
