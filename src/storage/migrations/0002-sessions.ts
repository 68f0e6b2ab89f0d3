import type { Kysely, Migration } from 'kysely'

/**
 * Registered clients, refresh tokens and revoked access tokens (issue 3, parts 1, 2 and 5).
 * Times are epoch milliseconds (bigint); lists (grant types, scopes) are space-separated text,
 * as RFC 6749 §3.3 writes scopes. Secrets and tokens are stored only as SHA-256 hex.
 */
export function sessionsSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('secret_hash', 'text')
        .addColumn('grant_types', 'text', (col) => col.notNull())
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute()

      // A user's or a client's deletion takes its refresh tokens with it: no session outlives
      // the account or the client it was issued to.
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('family_id', 'text', (col) => col.notNull())
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (col) => col.references('clients.id').onDelete('cascade'))
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('idle_expires_at', 'bigint', (col) => col.notNull())
        .addColumn('rotated_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute()
      // revokeFamily and revokeAllForUser, and housekeeping by expiry.
      await db.schema.createIndex('refresh_tokens_family_id').on('refresh_tokens').column('family_id').execute()
      await db.schema.createIndex('refresh_tokens_user_id').on('refresh_tokens').column('user_id').execute()
      await db.schema.createIndex('refresh_tokens_client_id').on('refresh_tokens').column('client_id').execute()
      await db.schema.createIndex('refresh_tokens_expires_at').on('refresh_tokens').column('expires_at').execute()

      await db.schema
        .createTable('revoked_tokens')
        .addColumn('jti', 'text', (col) => col.primaryKey())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .execute()
      await db.schema.createIndex('revoked_tokens_expires_at').on('revoked_tokens').column('expires_at').execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('revoked_tokens').execute()
      await db.schema.dropTable('refresh_tokens').execute()
      await db.schema.dropTable('clients').execute()
    },
  }
}
