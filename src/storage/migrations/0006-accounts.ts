import type { Kysely, Migration } from 'kysely'

/**
 * Accounts (issue 10): a verified flag and a verified-email key on users, single-use tokens
 * (mailed links and the second-factor step), TOTP factors and recovery codes. Portable as
 * 0002–0005: text, integer and bigint; times epoch milliseconds.
 *
 * `email_verified_key` is normalizeEmail(email) while the address is verified and null
 * otherwise: a unique index on it makes verified addresses unique ignoring case, while
 * unverified ones (typos, imports, registration with verification off) may repeat. Both engines
 * allow many nulls under a unique index.
 */
export function accountsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('email_verified', 'integer', (col) => col.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('users').addColumn('email_verified_key', 'text').execute()
      await db.schema.createIndex('users_email_verified_key').unique().on('users').column('email_verified_key').execute()
      // findByEmail ignores case: lower(email) would be an expression index, which Kysely's
      // portable builder does not make; the table is scanned through this ordinary index instead.
      await db.schema.createIndex('users_email').on('users').column('email').execute()

      await db.schema
        .createTable('one_time_tokens')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('purpose', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('email', 'text')
        .addColumn('data', 'text', (col) => col.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute()
      await db.schema.createIndex('one_time_tokens_user_id_purpose').on('one_time_tokens').columns(['user_id', 'purpose']).execute()
      await db.schema.createIndex('one_time_tokens_expires_at').on('one_time_tokens').column('expires_at').execute()

      await db.schema
        .createTable('totp_factors')
        .addColumn('user_id', 'text', (col) => col.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('secret', 'text', (col) => col.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('last_used_step', 'bigint')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute()

      await db.schema
        .createTable('recovery_codes')
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('code_hash', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('used_at', 'bigint')
        .addPrimaryKeyConstraint('recovery_codes_pkey', ['user_id', 'code_hash'])
        .execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('recovery_codes').execute()
      await db.schema.dropTable('totp_factors').execute()
      await db.schema.dropTable('one_time_tokens').execute()
      await db.schema.dropIndex('users_email').execute()
      await db.schema.dropIndex('users_email_verified_key').execute()
      await db.schema.alterTable('users').dropColumn('email_verified_key').execute()
      await db.schema.alterTable('users').dropColumn('email_verified').execute()
    },
  }
}
