import type { ColumnDefinitionBuilder, Kysely, Transaction } from 'kysely'
import type { Database, UserRow } from './schema.js'

/** Which kind of integrity rule a failed write broke; null for any other error. */
export type ConstraintViolation = 'unique' | 'foreign_key' | null

/**
 * What one database engine supplies; everything above it (stores, migrations) is shared Kysely.
 * A backend lives in one file (sqlite.ts) and is registered by URL scheme in open-store.ts.
 */
export interface Backend {
  readonly db: Kysely<Database>
  /** Makes `col` an auto-assigned integer primary key (SQLite rowid alias; PostgreSQL identity). */
  identityColumn(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder
  /** Classifies a driver error by its engine code (never by message text). */
  constraintViolation(error: unknown): ConstraintViolation
  /**
   * `users.findById` runs on every authenticated request; a backend may answer it without the
   * query builder. Absent: the shared Kysely query.
   */
  findUserRowById?(id: string): Promise<UserRow | undefined>
  /**
   * `revokedTokens.isRevoked` also runs on every authenticated request; the same kind of fast
   * path. Absent: the shared Kysely query.
   */
  isJtiRevoked?(jti: string): Promise<boolean>
  /**
   * Both of the above in one query, as every authenticated request asks them: the user's row
   * unless `jti` is in revoked_tokens. Absent: the shared Kysely query.
   */
  findUserRowUnlessRevoked?(id: string, jti: string): Promise<UserRow | undefined>
  /**
   * Serialises, until `trx` ends, the writes to one refresh-token family (rotate, revokeFamily):
   * under PostgreSQL's READ COMMITTED a revocation's UPDATE does not see the token a concurrent
   * rotation inserts, and would leave it live. Absent: the engine has a single writer (SQLite).
   */
  lockFamily?(trx: Transaction<Database>, familyId: string): Promise<void>
  /**
   * Runs the migrator holding a database-wide write lock, committing only if it succeeds, so two
   * processes starting on one fresh database cannot both migrate. Absent: the migrator's own
   * locking (Kysely's PostgreSQL adapter takes an advisory lock and runs DDL in a transaction).
   */
  withMigrationLock?<T>(run: () => Promise<T>): Promise<T>
  /**
   * Whether `text` can be stored at all (PostgreSQL text cannot hold NUL). A search for an
   * unrepresentable value can answer "nothing" without asking; any query that sends one anyway
   * is refused with a 422 by the backend. Absent: everything can.
   */
  representable?(text: string): boolean
  close(): Promise<void>
}
