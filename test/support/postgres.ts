import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * The PostgreSQL server the tests use (CI's machine runs one on 127.0.0.1:5432 with trust auth).
 * Each test file gets a database of its own, created here and dropped by `drop()`, so files can
 * run in parallel and nothing is left behind.
 */
export const ADMIN_URL = process.env.TESSERA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `tessera_${label.replace(/[^a-z0-9]/gi, '').toLowerCase().slice(0, 20)}_${randomBytes(5).toString('hex')}`
  await admin((client) => client.query(`create database ${name}`))
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    // WITH (FORCE) (PostgreSQL 13+): a pool a failed test left open must not keep the database.
    drop: () => admin(async (client) => { await client.query(`drop database if exists ${name} with (force)`) }),
  }
}
