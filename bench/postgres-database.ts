// TESSERA_BENCH_PG=1: a database of the bench's own on the local PostgreSQL (127.0.0.1:5432,
// user postgres, trust authentication), created for one run and dropped after it.
import pg from 'pg'

export const BENCH_PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase { url: string; drop(): Promise<void> }

export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `tessera_bench_${process.pid}_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL })
  await admin.connect()
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(BENCH_PG_ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL })
      await client.connect()
      try {
        await client.query(`drop database if exists ${name} with (force)`)
      } finally {
        await client.end()
      }
    },
  }
}
