import type { Kysely, Migration } from 'kysely'
import type { Backend } from '../backend.js'

/**
 * The audit log (issue 3, part 7). No foreign key to users: the record of what happened to an
 * account must outlive the account. Times are epoch milliseconds (bigint), details are JSON text,
 * so the table reads the same on every backend.
 */
export function auditSchema(backend: Pick<Backend, 'identityColumn'>): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', (col) => backend.identityColumn(col))
        .addColumn('at', 'bigint', (col) => col.notNull())
        .addColumn('event', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('client_id', 'text')
        .addColumn('actor_id', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('details', 'text', (col) => col.notNull())
        .execute()

      // Reads are "newest first, maybe narrowed by event or user": each index ends in `at` so the
      // narrowed read is also in order without a sort.
      await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute()
      await db.schema.createIndex('audit_log_event_at').on('audit_log').columns(['event', 'at']).execute()
      await db.schema.createIndex('audit_log_user_id_at').on('audit_log').columns(['user_id', 'at']).execute()
    },

    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('audit_log').execute()
    },
  }
}
