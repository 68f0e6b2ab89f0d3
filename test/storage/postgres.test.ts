import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../src/core/errors.js'
import type { Store } from '../../src/core/ports.js'
import { migrateToLatest, openStore } from '../../src/storage/index.js'
import { openPostgresBackend } from '../../src/storage/postgres.js'
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { describeStoreContract } from './contract.js'
import { describeMigrationForward } from './migration-forward.js'

describeStoreContract('PostgreSQL', async () => {
  const database = await createTestDatabase('contract')
  const opened: Store[] = [await openStore(database.url)]
  return {
    store: opened[0]!,
    async reopen() {
      const store = await openStore(database.url)
      opened.push(store)
      return store
    },
    async cleanup() {
      for (const store of opened) await store.close()
      await database.drop()
    },
  }
}, { nulInText: false })

describeMigrationForward('PostgreSQL', async () => {
  const database = await createTestDatabase('upgrade')
  return { url: database.url, openBackend: () => openPostgresBackend(database.url), cleanup: () => database.drop() }
})

describe('PostgreSQL backend', () => {
  let database: TestDatabase
  beforeAll(async () => { database = await createTestDatabase('backend') })
  afterAll(async () => { await database.drop() })

  it('applies the migrations once, and none on a second run', async () => {
    const first = await migrateToLatest(database.url)
    expect(first.applied[0]).toBe('0001_initial')
    expect(await migrateToLatest(database.url)).toEqual({ applied: [] })
  })

  it('migrates once when several stores open a fresh database together', async () => {
    const fresh = await createTestDatabase('race')
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openStore(fresh.url)))
      await Promise.all(stores.map((s) => s.close()))
      expect(await migrateToLatest(fresh.url)).toEqual({ applied: [] })
    } finally {
      await fresh.drop()
    }
  })

  it('finds nothing, rather than failing, for a username PostgreSQL cannot store', async () => {
    const store = await openStore(database.url)
    try {
      expect(await store.users.findByUsername('john\u0000doe')).toBeNull()
    } finally {
      await store.close()
    }
  })

  it('names the variable, not the password, when the URL is unreachable', async () => {
    const url = 'postgres://tessera:hunter2@127.0.0.1:1/none'
    const failure = await openStore(url, { postgres: { connectTimeoutMs: 500 } }).then(() => null, (e: Error) => e)
    expect(failure).toBeInstanceOf(Error)
    expect(String(failure?.message)).not.toContain('hunter2')
  })

  it('survives a connection lost while checked out between two queries: 503, then a fresh connection', async () => {
    // Unheard, the client's 'error' event would end the process (issue 4's fault test found it).
    const backend = await openPostgresBackend(database.url)
    const admin = new pg.Client({ connectionString: ADMIN_URL })
    await admin.connect()
    try {
      const failure = await backend.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
        await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid])
        await new Promise((resolve) => setTimeout(resolve, 200))          // the socket closes: 'error' on the idle, checked-out client
        return sql`select 1`.execute(trx).then(() => null, (e: unknown) => e)
      }).catch((e: unknown) => e)
      expect(failure).toBeInstanceOf(ServiceUnavailable)
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(backend.db)
      expect(rows).toEqual([{ one: 1 }])
    } finally {
      await admin.end()
      await backend.close()
    }
  })
})
