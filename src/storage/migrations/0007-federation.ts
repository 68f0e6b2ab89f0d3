import type { Kysely, Migration } from 'kysely'

/**
 * Upstream sign-in (issue 11): the identity providers an operator configured, the links from a
 * provider's subject to a Tessera account, and the short-lived state of one upstream sign-in
 * (state, nonce and PKCE verifier, bound to the browser that started it). Portable as 0002–0006.
 *
 * `client_secret` is kept as given: Tessera must present it to the provider, so it cannot be
 * hashed as client secrets issued by Tessera are. It is never printed again after `providers add`.
 */
export function federationSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('identity_providers')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('label', 'text', (col) => col.notNull())
        .addColumn('issuer', 'text', (col) => col.notNull())
        .addColumn('client_id', 'text', (col) => col.notNull())
        .addColumn('client_secret', 'text', (col) => col.notNull())
        .addColumn('scopes', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .execute()

      await db.schema
        .createTable('federated_identities')
        .addColumn('provider_id', 'text', (col) => col.notNull().references('identity_providers.id').onDelete('cascade'))
        .addColumn('subject', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('email', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint', (col) => col.notNull())
        .addPrimaryKeyConstraint('federated_identities_pkey', ['provider_id', 'subject'])
        .execute()
      // One link per provider and account: a second GitHub account cannot be attached beside the first.
      await db.schema.createIndex('federated_identities_user_provider').unique().on('federated_identities').columns(['user_id', 'provider_id']).execute()

      await db.schema
        .createTable('federation_states')
        .addColumn('state_hash', 'text', (col) => col.primaryKey())
        .addColumn('provider_id', 'text', (col) => col.notNull().references('identity_providers.id').onDelete('cascade'))
        .addColumn('binding_hash', 'text', (col) => col.notNull())
        .addColumn('nonce', 'text')
        .addColumn('code_verifier', 'text', (col) => col.notNull())
        .addColumn('carried', 'text', (col) => col.notNull())
        .addColumn('link_user_id', 'text', (col) => col.references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('expires_at', 'bigint', (col) => col.notNull())
        .addColumn('consumed_at', 'bigint')
        .execute()
      await db.schema.createIndex('federation_states_expires_at').on('federation_states').column('expires_at').execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('federation_states').execute()
      await db.schema.dropTable('federated_identities').execute()
      await db.schema.dropTable('identity_providers').execute()
    },
  }
}
