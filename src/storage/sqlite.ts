import Sqlite from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import type { Backend, ConstraintViolation } from './backend.js'
import { USER_COLUMNS, type Database, type UserRow } from './schema.js'
import { USER_SELECT, batchedTokenUserLookup, userRowOf } from './token-user-lookup.js'
import { withBusyAsUnavailable } from './sqlite-busy.js'

/** How long a write waits for another process's lock before SQLITE_BUSY (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 5000

const MEMORY = ':memory:'

/** `sqlite:<path>` → the path; `sqlite::memory:` → ':memory:'. Throws naming the variable. */
export function sqlitePath(url: string): string {
  const path = url.slice('sqlite:'.length)
  if (path === '') throw new Error('TESSERA_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:tessera.db or sqlite::memory:')
  // `sqlite://x` could mean "x" or "/x" depending on which library the operator learnt it from.
  if (path.startsWith('//')) throw new Error('TESSERA_DATABASE_URL: write sqlite:<path> (e.g. sqlite:/var/lib/tessera.db), not sqlite://')
  return path
}

/**
 * Opens one connection configured for a server: WAL so readers never wait for the writer,
 * synchronous=NORMAL (durable across application crashes; WAL keeps the file consistent across
 * power loss), foreign keys enforced (SQLite leaves them off), and a busy timeout so a second
 * process (`tessera users add` while serving) waits for the lock instead of failing.
 */
export function openSqliteDatabase(path: string): Sqlite.Database {
  let db: Sqlite.Database
  try {
    db = new Sqlite(path)
  } catch (error) {
    throw new Error(`TESSERA_DATABASE_URL: cannot open SQLite database at ${path}`, { cause: error })
  }
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  if (path !== MEMORY) db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  return db
}

/** Token lookups in one statement at most: one prepared statement per batch size up to this. */
const MAX_LOOKUP_BATCH = 64

/** better-sqlite3 reports extended result codes; a constraint's kind is in its code. */
function constraintViolation(error: unknown): ConstraintViolation {
  if (!(error instanceof Sqlite.SqliteError)) return null
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique'
  if (error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key'
  return null
}

export async function openSqliteBackend(url: string): Promise<Backend> {
  const raw = openSqliteDatabase(sqlitePath(url))
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withBusyAsUnavailable(raw) }) }) // SQLITE_BUSY: 503

  // The per-request lookup, prepared once. Kysely's SQLite driver compiles the query and calls
  // prepare() on every execution; this skips both. Safe beside Kysely on the one connection:
  // better-sqlite3 runs each statement synchronously, and these statements only read, so one
  // that runs while a Kysely transaction holds the connection (refresh-token rotation) changes
  // nothing it could roll back.
  let byId: Sqlite.Statement<[string], UserRow> | undefined
  let revokedJti: Sqlite.Statement<[string], { one: number }> | undefined
  // Batches of token lookups (src/storage/token-user-lookup.ts): one statement, so one read
  // transaction (in WAL mode each takes two fcntl locks) for every request of a turn.
  const lookupStatements = new Map<number, Sqlite.Statement<string[], unknown[]>>()
  const lookupStatement = (n: number) => {
    let statement = lookupStatements.get(n)
    if (statement === undefined) {
      // Cells, not objects: better-sqlite3 builds row objects one property at a time through
      // V8's API, which costs more than the object literal userRowOf makes of the array.
      statement = raw.prepare<string[], unknown[]>(`select q.column2, ${USER_SELECT} from (values ${Array.from({ length: n }, () => '(?, ?)').join(', ')}) as q`
        + ' join users u on u.id = q.column1 where not exists (select 1 from revoked_tokens r where r.jti = q.column2)').raw(true)
      lookupStatements.set(n, statement)
    }
    return statement
  }
  const lookup = batchedTokenUserLookup(async (ids, jtis) => {
    const parameters = ids.flatMap((id, i) => [id, jtis[i] as string])
    return lookupStatement(ids.length).all(...parameters).map((cells) => ({ jti: cells[0] as string, row: userRowOf(cells, 1) }))
  }, MAX_LOOKUP_BATCH)

  return {
    db,
    identityColumn: (col) => col.primaryKey().autoIncrement(),
    constraintViolation,
    async findUserRowById(id) {
      byId ??= raw.prepare<[string], UserRow>(`select ${USER_COLUMNS.join(', ')} from users where id = ?`)
      return byId.get(id)
    },
    findUserRowUnlessRevoked: lookup,
    async isJtiRevoked(jti) {
      revokedJti ??= raw.prepare<[string], { one: number }>('select 1 as one from revoked_tokens where jti = ?')
      return revokedJti.get(jti) !== undefined
    },
    // BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
    // process's migration); SQLite's DDL is transactional, so a failed migration leaves nothing.
    async withMigrationLock(run) {
      raw.exec('begin immediate')
      try {
        const result = await run()
        raw.exec('commit')
        return result
      } catch (error) {
        if (raw.inTransaction) raw.exec('rollback')
        throw error
      }
    },
    close: () => db.destroy(),
  }
}
