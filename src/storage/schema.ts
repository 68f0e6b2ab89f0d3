import type { Generated, Selectable } from 'kysely'

/**
 * The tables as Kysely sees them: column names are the SQL names, values are what every backend
 * accepts and returns. Portable types only (text, integer, bigint), so the one set of
 * migrations in migrations/ serves SQLite and a PostgreSQL backend alike.
 */
export interface Database {
  users: UsersTable
  items: ItemsTable
  settings: SettingsTable
}

export interface UsersTable {
  id: string
  username: string
  /** normalizeUsername(username): the UNIQUE key, so case and NFKC variants collide. */
  username_normalized: string
  email: string | null
  full_name: string | null
  password_hash: string
  /** 0 or 1: better-sqlite3 cannot bind booleans, and an integer reads the same everywhere. */
  disabled: number
  /** Space-separated scope names (RFC 6749 §3.3 form); '' is no scopes. */
  scopes: string
  /** Epoch seconds (bigint column: no 2038 limit). */
  tokens_not_before: number | null
  /** ISO-8601 UTC with milliseconds: sorts as text and round-trips a Date exactly. */
  created_at: string
  updated_at: string
}

export interface ItemsTable {
  id: Generated<number>
  owner_id: string
  item_id: string
  title: string | null
  description: string | null
}

export interface SettingsTable {
  key: string
  value: string
}

export type UserRow = Selectable<UsersTable>
export type ItemRow = Selectable<ItemsTable>

/** Every users column, in one order: shared by the query builder and a backend's fast path. */
export const USER_COLUMNS = [
  'id',
  'username',
  'username_normalized',
  'email',
  'full_name',
  'password_hash',
  'disabled',
  'scopes',
  'tokens_not_before',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[]
