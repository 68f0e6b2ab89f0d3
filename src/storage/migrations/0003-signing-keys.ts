import { sql, type Kysely, type Migration } from 'kysely'

/**
 * Asymmetric signing keys (issue 3, part 3). The kid (an RFC 7638 thumbprint) is the key; the
 * public JWK is JSON text and created_at epoch milliseconds (bigint), so the table reads the
 * same on every backend. A partial unique index lets at most one key be active, whatever the
 * callers do.
 */
export function signingKeysSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (col) => col.primaryKey())
        .addColumn('algorithm', 'text', (col) => col.notNull())
        .addColumn('private_key_pem', 'text', (col) => col.notNull())
        .addColumn('public_jwk', 'text', (col) => col.notNull())
        .addColumn('status', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute()

      await db.schema
        .createIndex('signing_keys_one_active')
        .unique()
        .on('signing_keys')
        .column('status')
        .where(sql.ref('status'), '=', 'active')
        .execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('signing_keys').execute()
    },
  }
}
