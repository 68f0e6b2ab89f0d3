import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely'

type Column = [name: string, type: 'text' | 'integer' | 'bigint', build?: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder]

/**
 * Sign-in (issue 9): the clients' OpenID Connect fields, what a refresh-token family keeps of the
 * sign-in it started from, signing keys by purpose, and three tables — browser sessions,
 * authorization codes, remembered consent. Portable as 0002–0004: text, integer and bigint only;
 * times epoch milliseconds (bigint) unless named; scopes and amr space-separated (RFC 6749 §3.3);
 * lists of URIs as JSON text, since nothing else about a URI string may be assumed.
 *
 * Every added column has a default, so the rows of a database migrated by the previous release
 * read as they meant: clients with no redirect URIs (they can use only the grants they had),
 * refresh tokens of password-grant families, and access-token keys.
 */
export function signInSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      const addColumns = async (table: string, columns: Column[]) => {
        for (const [name, type, build] of columns) await db.schema.alterTable(table).addColumn(name, type, build).execute()
      }

      await addColumns('clients', [
        ['redirect_uris', 'text', (col) => col.notNull().defaultTo('[]')],
        ['post_logout_redirect_uris', 'text', (col) => col.notNull().defaultTo('[]')],
        ['first_party', 'integer', (col) => col.notNull().defaultTo(0)],
        ['id_token_signed_response_alg', 'text', (col) => col.notNull().defaultTo('RS256')],
        ['resources', 'text', (col) => col.notNull().defaultTo('[]')],
      ])

      // No foreign key on browser_session_id: a session's row may go (sign-out, housekeeping)
      // while its families are revoked explicitly (revokeAllForBrowserSession), never by cascade.
      await addColumns('refresh_tokens', [
        ['auth_time', 'bigint'],
        ['audience', 'text', (col) => col.notNull().defaultTo('[]')],
        ['browser_session_id', 'text'],
      ])
      await db.schema.createIndex('refresh_tokens_browser_session_id').on('refresh_tokens').column('browser_session_id').execute()

      // The keys of the previous release signed access tokens, and the default says so. One
      // active access-token key at most, as before; one active id_token key per algorithm, so a
      // client registered for ES256 and another for RS256 are both served.
      await addColumns('signing_keys', [['purpose', 'text', (col) => col.notNull().defaultTo('access_token')]])
      await db.schema.dropIndex('signing_keys_one_active').execute()
      await db.schema
        .createIndex('signing_keys_one_active_access_token')
        .unique()
        .on('signing_keys')
        .column('status')
        .where(sql.ref('status'), '=', 'active')
        .where(sql.ref('purpose'), '=', 'access_token')
        .execute()
      await db.schema
        .createIndex('signing_keys_one_active_id_token')
        .unique()
        .on('signing_keys')
        .column('algorithm')
        .where(sql.ref('status'), '=', 'active')
        .where(sql.ref('purpose'), '=', 'id_token')
        .execute()

      // The cookie's value only as SHA-256 hex; the id is a separate random id, safe to show.
      await db.schema
        .createTable('browser_sessions')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('token_hash', 'text', (col) => col.notNull().unique())
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('authenticated_at', 'bigint', (col) => col.notNull())
        .addColumn('amr', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_seen_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .execute()
      // deleteAllForUser and listForUser; housekeeping's two cutoffs (absolute end, idle).
      await db.schema.createIndex('browser_sessions_user_id').on('browser_sessions').column('user_id').execute()
      await db.schema.createIndex('browser_sessions_expires_at').on('browser_sessions').column('expires_at').execute()
      await db.schema.createIndex('browser_sessions_last_seen_at').on('browser_sessions').column('last_seen_at').execute()

      // A code goes with its user or client. auth_time is epoch seconds (OIDC's auth_time).
      await db.schema
        .createTable('authorization_codes')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('code_hash', 'text', (col) => col.notNull().unique())
        .addColumn('client_id', 'text', (col) => col.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('redirect_uri', 'text', (col) => col.notNull())
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('code_challenge', 'text', (col) => col.notNull())
        .addColumn('nonce', 'text')
        .addColumn('audience', 'text', (col) => col.notNull())
        .addColumn('auth_time', 'bigint', (col) => col.notNull())
        .addColumn('amr', 'text', (col) => col.notNull())
        .addColumn('browser_session_id', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('consumed_at', 'bigint')
        .addColumn('family_id', 'text')
        .addColumn('access_token_jti', 'text')
        .addColumn('access_token_expires_at', 'bigint')
        .addColumn('replayed_at', 'bigint')
        .execute()
      // Housekeeping: every deletable code is past expires_at; the index narrows to those.
      await db.schema.createIndex('authorization_codes_expires_at').on('authorization_codes').column('expires_at').execute()
      // The cascades' lookups (a user or client deleted).
      await db.schema.createIndex('authorization_codes_user_id').on('authorization_codes').column('user_id').execute()
      await db.schema.createIndex('authorization_codes_client_id').on('authorization_codes').column('client_id').execute()

      // One row per user + client: grants add to its scopes (an upsert on the primary key).
      await db.schema
        .createTable('consents')
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('client_id', 'text', (col) => col.notNull().references('clients.id').onDelete('cascade'))
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('consents_pkey', ['user_id', 'client_id'])
        .execute()
      // The primary key serves the user's lookups; a client's deletion needs its own index.
      await db.schema.createIndex('consents_client_id').on('consents').column('client_id').execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('consents').execute()
      await db.schema.dropTable('authorization_codes').execute()
      await db.schema.dropTable('browser_sessions').execute()
      // The previous schema cannot tell an id_token key from an access-token key: it would sign
      // access tokens with one. They go; the previous release never made them.
      await sql`delete from signing_keys where purpose = 'id_token'`.execute(db)
      await db.schema.dropIndex('signing_keys_one_active_id_token').execute()
      await db.schema.dropIndex('signing_keys_one_active_access_token').execute()
      await db.schema.alterTable('signing_keys').dropColumn('purpose').execute()
      await db.schema
        .createIndex('signing_keys_one_active')
        .unique()
        .on('signing_keys')
        .column('status')
        .where(sql.ref('status'), '=', 'active')
        .execute()
      await db.schema.dropIndex('refresh_tokens_browser_session_id').execute()
      for (const column of ['browser_session_id', 'audience', 'auth_time']) {
        await db.schema.alterTable('refresh_tokens').dropColumn(column).execute()
      }
      for (const column of ['resources', 'id_token_signed_response_alg', 'first_party', 'post_logout_redirect_uris', 'redirect_uris']) {
        await db.schema.alterTable('clients').dropColumn(column).execute()
      }
    },
  }
}
