import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from '../../src/core/ports.js'
import { migrateToLatest, openStore } from '../../src/storage/index.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { describeStoreContract } from './contract.js'

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
})
