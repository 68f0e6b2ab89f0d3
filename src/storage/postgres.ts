import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely'
import pg from 'pg'
import { ServiceUnavailable, ValidationFailed } from '../core/errors.js'
import type { Backend, ConstraintViolation } from './backend.js'
import { USER_SELECT, batchedTokenUserLookup, userRowOf } from './token-user-lookup.js'
import type { Database } from './schema.js'

export interface PostgresOptions {
  /** Connections in the pool (TESSERA_DATABASE_POOL_SIZE). */
  poolSize?: number
  /** Server-side limit per statement, so a slow or stuck query frees its connection (ms). */
  statementTimeoutMs?: number
  /** How long to wait for a new connection before failing the request (ms). */
  connectTimeoutMs?: number
}

// bigint columns (epoch times, tokens_not_before) come back as numbers: every value we store
// fits well inside 2^53, and the stores expect numbers from every backend.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/** PostgreSQL's SQLSTATEs (Appendix A): 23505 unique_violation, 23503 foreign_key_violation. */
function constraintViolation(error: unknown): ConstraintViolation {
  const code = (error as { code?: unknown } | null)?.code
  if (code === '23505') return 'unique'
  if (code === '23503') return 'foreign_key'
  return null
}

/**
 * PostgreSQL text cannot hold NUL (SQLSTATE 22021), where SQLite can. Refusing such a value
 * here, before it is sent, makes it a client error (422) on every query — lookups included —
 * instead of a driver error and a 500.
 */
function assertStorable(parameters: readonly unknown[] | undefined): void {
  if (parameters?.some((p) => typeof p === 'string' && p.includes('\u0000'))) {
    throw new ValidationFailed([{ type: 'string_pattern_mismatch', loc: ['body'], msg: 'Text must not contain NUL characters' }])
  }
}

/** How long a client is told to wait when the database is unreachable (Retry-After, seconds). */
export const DATABASE_RETRY_AFTER_SECONDS = 2

/**
 * Errors that say "the database is not there right now", not "this request is wrong": refused
 * or dropped connections, a server shutting down or starting (SQLSTATE class 08, 57P01–57P03),
 * a statement cut off by statement_timeout (57014), or no connection within connectTimeout.
 * Clients get 503 + Retry-After for these, and the pool reconnects by itself once it is back.
 */
function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (code.startsWith('08') || ['57P01', '57P02', '57P03', '57014', '53300'].includes(code))) return true
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true
  const message = error instanceof Error ? error.message : ''
  // node-postgres reports these without a code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
}

function unavailable(error: unknown): never {
  if (isUnavailable(error)) throw new ServiceUnavailable(DATABASE_RETRY_AFTER_SECONDS, 'Database unavailable, retry later')
  throw error
}

function guardedPool(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect().catch(unavailable)
      // While checked out, a client has no 'error' listener of the pool's: a connection lost
      // between two of its queries (inside a transaction, while a password hashes) would emit
      // 'error' unheard and end the process. Heard here, the next query on it fails (503) and
      // release hands the error back, so the pool discards the client instead of reusing it.
      let lost: Error | undefined
      const onError = (error: Error) => { lost = error }
      client.on('error', onError)
      return {
        query: ((sql: string, parameters: readonly unknown[]) => {
          assertStorable(parameters)
          return client.query(sql, parameters as unknown[]).catch(unavailable)
        }) as unknown as PostgresPoolClient['query'],
        release: () => {
          client.off('error', onError)
          client.release(lost)
        },
      }
    },
    end: () => pool.end(),
  }
}

/** Token lookups sent in one query at most (src/storage/token-user-lookup.ts). */
const MAX_LOOKUP_BATCH = 256

const USERS_UNLESS_REVOKED = {
  name: 'tessera_users_unless_revoked',
  text: `select q.jti, ${USER_SELECT} from unnest($1::text[], $2::text[]) as q(id, jti) join users u on u.id = q.id`
    + ' where not exists (select 1 from revoked_tokens r where r.jti = q.jti)',
  rowMode: 'array' as const,
}

/**
 * `postgres://user@host:port/db` (or `postgresql://`). The pool is sized by configuration and
 * every connection carries a statement timeout, so a stuck query cannot hold a connection.
 */
export async function openPostgresBackend(url: string, options: PostgresOptions = {}): Promise<Backend> {
  const { poolSize = 10, statementTimeoutMs = 5000, connectTimeoutMs = 5000 } = options
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    statement_timeout: statementTimeoutMs,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
  })
  // An idle client whose server went away emits 'error' on the pool; unheard, that would crash
  // the process. The next query simply gets a fresh connection.
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardedPool(pool) }) })
  // Every authenticated request's lookup: one round trip for all the requests of a turn, as a
  // named statement (parsed and planned once per connection).
  const lookup = batchedTokenUserLookup(async (ids, jtis) => {
    const result = await pool.query({ ...USERS_UNLESS_REVOKED, values: [ids, jtis] }).catch(unavailable)
    return result.rows.map((cells) => ({ jti: cells[0] as string, row: userRowOf(cells, 1) }))
  }, MAX_LOOKUP_BATCH)
  return {
    db,
    // Text PostgreSQL cannot hold matches no row (and sent, would fail the whole batch).
    findUserRowUnlessRevoked: (id, jti) => (id.includes('\u0000') || jti.includes('\u0000') ? Promise.resolve(undefined) : lookup(id, jti)),
    identityColumn: (col) => col.primaryKey().generatedByDefaultAsIdentity(),
    constraintViolation,
    // A transaction-scoped advisory lock per family: released at commit or rollback, never leaked.
    lockFamily: async (trx, familyId) => { await sql`select pg_advisory_xact_lock(hashtext(${familyId}))`.execute(trx) },
    representable: (text) => !text.includes('\u0000'),
    close: () => db.destroy(),
  }
}
