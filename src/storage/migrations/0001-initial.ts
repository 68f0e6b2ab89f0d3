import type { Kysely, Migration } from 'kysely'
import type { Backend } from '../backend.js'

/** Users, their items, and server settings (the generated signing secret). */
export function initialSchema(backend: Pick<Backend, 'identityColumn'>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (col) => col.primaryKey())
        .addColumn('username', 'text', (col) => col.notNull())
        .addColumn('username_normalized', 'text', (col) => col.notNull().unique())
        .addColumn('email', 'text')
        .addColumn('full_name', 'text')
        .addColumn('password_hash', 'text', (col) => col.notNull())
        .addColumn('disabled', 'integer', (col) => col.notNull().defaultTo(0))
        .addColumn('scopes', 'text', (col) => col.notNull().defaultTo(''))
        .addColumn('tokens_not_before', 'bigint')
        .addColumn('created_at', 'text', (col) => col.notNull())
        .addColumn('updated_at', 'text', (col) => col.notNull())
        .execute()

      // The (owner_id, item_id) unique index also serves listByOwner: owner_id leads it.
      await db.schema
        .createTable('items')
        .addColumn('id', 'integer', (col) => backend.identityColumn(col))
        .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
        .addColumn('item_id', 'text', (col) => col.notNull())
        .addColumn('title', 'text')
        .addColumn('description', 'text')
        .addUniqueConstraint('items_owner_id_item_id_unique', ['owner_id', 'item_id'])
        .execute()

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (col) => col.primaryKey())
        .addColumn('value', 'text', (col) => col.notNull())
        .execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('settings').execute()
      await db.schema.dropTable('items').execute()
      await db.schema.dropTable('users').execute()
    },
  }
}
