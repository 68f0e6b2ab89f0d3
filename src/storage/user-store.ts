import { randomUUID } from 'node:crypto'
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { Clock } from '../core/clock.js'
import { Conflict } from '../core/errors.js'
import type { UserChanges, UserStore } from '../core/ports.js'
import { DEFAULT_USER_SCOPES, formatScope, isScope, parseScope } from '../core/scopes.js'
import { normalizeEmail, normalizeUsername, type NewUser, type UserRecord } from '../core/user.js'
import type { Backend } from './backend.js'
import { USER_COLUMNS, type Database, type UserRow } from './schema.js'

function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.email_verified !== 0,
    fullName: row.full_name,
    passwordHash: row.password_hash,
    disabled: row.disabled !== 0,
    // A scope retired from SCOPES since it was stored is simply no longer grantable.
    scopes: parseScope(row.scopes).filter(isScope),
    // Number(): a bigint column may arrive as a string from drivers that guard 64-bit precision.
    tokensNotBefore: row.tokens_not_before === null ? null : Number(row.tokens_not_before),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  }
}

function storedScopes(scopes: readonly string[]): string {
  const unknown = scopes.filter((s) => !isScope(s))
  if (unknown.length > 0) throw new TypeError('NewUser.scopes contains an unknown scope')
  return formatScope([...new Set(scopes)])
}

/** `%text%` for LIKE, with LIKE's own wildcards in `text` taken literally (ESCAPE '\\'). */
function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, '\\$&')}%`
}

/**
 * The search condition: the username through its normalised column (so "ＪＯＨＮ" finds john),
 * email and full name through lower(), which folds ASCII case on every backend. Written as plain
 * LIKE ... ESCAPE, which SQLite and PostgreSQL read alike.
 */
function matching(query: string) {
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    const name = containing(normalizeUsername(query))
    const text = containing(query.toLowerCase())
    return eb.or([
      sql<SqlBool>`${eb.ref('username_normalized')} like ${name} escape '\\'`,
      sql<SqlBool>`lower(${eb.ref('email')}) like ${text} escape '\\'`,
      sql<SqlBool>`lower(${eb.ref('full_name')}) like ${text} escape '\\'`,
    ])
  }
}

/**
 * The verified flag and its unique key move together: a new address is unverified unless the
 * same change says otherwise; verifying needs the address (the stored one when not changed).
 */
function emailColumns(changes: UserChanges, storedEmail: string | null) {
  if (changes.email === undefined && changes.emailVerified === undefined) return {}
  const email = changes.email === undefined ? storedEmail : changes.email
  const verified = email !== null && (changes.emailVerified ?? (changes.email === undefined || changes.email === storedEmail ? null : false))
  if (verified === null) return { email }                                         // same address, flag untouched
  return { email, email_verified: verified ? 1 : 0, email_verified_key: verified && email !== null ? normalizeEmail(email) : null }
}

function changedColumns(changes: UserChanges) {
  return {
    ...(changes.fullName === undefined ? {} : { full_name: changes.fullName }),
    ...(changes.disabled === undefined ? {} : { disabled: changes.disabled ? 1 : 0 }),
    ...(changes.scopes === undefined ? {} : { scopes: storedScopes(changes.scopes) }),
  }
}

export function createUserStore(backend: Backend, clock: Clock): UserStore {
  const { db } = backend
  const now = () => new Date(clock.now()).toISOString()

  const findRowById =
    backend.findUserRowById?.bind(backend) ??
    ((id: string) => db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst())

  const findRowUnlessRevoked =
    backend.findUserRowUnlessRevoked?.bind(backend) ??
    ((id: string, jti: string) => db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('revoked_tokens').select('jti').where('jti', '=', jti))))
      .executeTakeFirst())

  /** Applies `changes` to one user; false when no such user. */
  async function update(id: string, changes: { password_hash?: string; disabled?: number; tokens_not_before?: number }) {
    const result = await db
      .updateTable('users')
      .set({ ...changes, updated_at: now() })
      .where('id', '=', id)
      .executeTakeFirst()
    return result.numUpdatedRows > 0n
  }

  return {
    async findById(id) {
      const row = await findRowById(id)
      return row === undefined ? null : toUserRecord(row)
    },

    async findByIdUnlessRevoked(id, jti) {
      const row = await findRowUnlessRevoked(id, jti)
      return row === undefined ? null : toUserRecord(row)
    },

    async findByEmail(email) {
      if (backend.representable?.(email) === false) return []
      // lower() folds ASCII case on both engines; the exact comparison below applies normalizeEmail.
      const key = normalizeEmail(email)
      const rows = await db.selectFrom('users').select(USER_COLUMNS)
        .where(sql<SqlBool>`lower(${sql.ref('email')}) = ${key.toLowerCase()}`)
        .orderBy('email_verified', 'desc').orderBy('created_at').orderBy('id').execute()
      return rows.filter((row) => row.email !== null && normalizeEmail(row.email) === key).map(toUserRecord)
    },

    async findByUsername(username) {
      if (backend.representable?.(username) === false) return null // no stored name can hold it
      const row = await db
        .selectFrom('users')
        .select(USER_COLUMNS)
        .where('username_normalized', '=', normalizeUsername(username))
        .executeTakeFirst()
      return row === undefined ? null : toUserRecord(row)
    },

    async create(user: NewUser) {
      const createdAt = now()
      try {
        const row = await db
          .insertInto('users')
          .values({
            id: randomUUID(),
            username: user.username,
            username_normalized: normalizeUsername(user.username),
            email: user.email ?? null,
            email_verified: user.emailVerified === true && user.email != null ? 1 : 0,
            email_verified_key: user.emailVerified === true && user.email != null ? normalizeEmail(user.email) : null,
            full_name: user.fullName ?? null,
            password_hash: user.passwordHash,
            disabled: user.disabled === true ? 1 : 0,
            scopes: storedScopes(user.scopes ?? DEFAULT_USER_SCOPES),
            tokens_not_before: null,
            created_at: createdAt,
            updated_at: createdAt,
          })
          .returning(USER_COLUMNS)
          .executeTakeFirstOrThrow()
        return toUserRecord(row)
      } catch (error) {
        // The unique index decides, not a prior lookup: concurrent registrations of one name
        // race to the index and exactly one wins.
        if (backend.constraintViolation(error) === 'unique') {
          const taken = await db.selectFrom('users').select('id').where('username_normalized', '=', normalizeUsername(user.username)).executeTakeFirst()
          throw new Conflict(taken === undefined ? 'Email already in use' : 'Username already registered')
        }
        throw error
      }
    },

    async list() {
      const rows = await db.selectFrom('users').select(USER_COLUMNS).orderBy('username_normalized').execute()
      return rows.map(toUserRecord)
    },

    async search({ query, limit, offset }) {
      // A NUL cannot be stored where text cannot hold it, so nothing there can contain it.
      if (query !== undefined && backend.representable?.(query) === false) return { users: [], total: 0 }
      const filtered = query === undefined || query === '' ? null : matching(query)
      let rows = db.selectFrom('users')
      if (filtered !== null) rows = rows.where(filtered)
      const [page, count] = await Promise.all([
        rows.select(USER_COLUMNS).orderBy('username_normalized').limit(limit).offset(offset).execute(),
        rows.select((eb) => eb.fn.countAll<number | string>().as('total')).executeTakeFirstOrThrow(),
      ])
      return { users: page.map(toUserRecord), total: Number(count.total) }
    },

    async update(id, changes) {
      let email: Record<string, unknown> = {}
      if (changes.email !== undefined || changes.emailVerified !== undefined) {
        const stored = await db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirst()
        if (stored === undefined) return null
        email = emailColumns(changes, stored.email)
      }
      try {
        const row = await db
          .updateTable('users')
          .set({ ...changedColumns(changes), ...email, updated_at: now() })
          .where('id', '=', id)
          .returning(USER_COLUMNS)
          .executeTakeFirst()
        return row === undefined ? null : toUserRecord(row)
      } catch (error) {
        // Only email_verified_key can collide here: another account has this address verified.
        if (backend.constraintViolation(error) === 'unique') throw new Conflict('Email already in use')
        throw error
      }
    },

    updatePasswordHash: (id, passwordHash) => update(id, { password_hash: passwordHash }),
    setDisabled: (id, disabled) => update(id, { disabled: disabled ? 1 : 0 }),
    setTokensNotBefore: (id, epochSeconds) => update(id, { tokens_not_before: epochSeconds }),

    async delete(id) {
      // Items go with the user: ON DELETE CASCADE on items.owner_id.
      const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}
