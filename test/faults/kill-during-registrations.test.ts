import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { login, register } from '../support/tessera-client.js'
import { killAllTessera, spawnTessera, type TesseraProcess } from '../support/tessera-process.js'
import { sleep } from './load-loop.js'

// Issue 4, part 5: `kill -9` in the middle of a registration storm. Every user whose
// registration was answered 201 must exist after a restart and log in (a 201 promises a
// committed row), and the database must pass its own integrity check. SIGKILL ends only Tessera;
// the storm's requests still in flight get no answer and promise nothing.

const PASSWORD = 'correct horse battery'
const WORKERS = 8
const STORM_MS = 1500
const MIN_CREATED = 8

const cleanups: Array<() => Promise<void> | void> = []
afterAll(async () => {
  killAllTessera()
  for (const cleanup of cleanups.reverse()) await cleanup()
}, 60_000)

const NO_LIMITS = {
  TESSERA_LOGIN_MAX_FAILURES: '0', TESSERA_LOGIN_IP_MAX_FAILURES: '0', TESSERA_REGISTRATIONS_PER_IP_PER_HOUR: '0',
  TESSERA_SECRET_KEY: 'kill-storm-secret-0123456789abcdef0123456789abcdef', TESSERA_LOG_LEVEL: 'warn',
}

interface StormResult { created: string[]; inDoubt: string[]; otherStatuses: number[]; killedAfterMs: number }

/** Registers as fast as WORKERS clients can until STORM_MS (and MIN_CREATED 201s), then SIGKILLs the server mid-flight. */
async function stormThenKill(server: TesseraProcess, label: string): Promise<StormResult> {
  const created: string[] = []
  const inDoubt: string[] = []
  const otherStatuses: number[] = []
  let storming = true
  const started = performance.now()
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let i = 0; storming; i++) {
      const username = `${label}${w}x${i}`
      try {
        const res = await register(server.url, username, PASSWORD)
        if (res.status === 201) created.push(username)
        else otherStatuses.push(res.status)
      } catch {
        inDoubt.push(username)                      // no answer: the kill came first
      }
    }
  })
  while (performance.now() - started < STORM_MS || created.length < MIN_CREATED) {
    if (performance.now() - started > 20_000) break
    await sleep(20)
  }
  process.kill(server.pid, 'SIGKILL')
  const killedAfterMs = Math.round(performance.now() - started)
  storming = false
  await Promise.all(workers)
  expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' })
  return { created, inDoubt, otherStatuses, killedAfterMs }
}

/** After the restart: every 201 logs in; a registration that got no answer may or may not exist, but never breaks a login. */
async function loginsAfterRestart(server: TesseraProcess, storm: StormResult) {
  const statuses = async (users: string[]) => {
    const out: number[] = []
    for (let i = 0; i < users.length; i += 4) {
      out.push(...await Promise.all(users.slice(i, i + 4).map(async (u) => (await login(server.url, u, PASSWORD)).status)))
    }
    return out
  }
  const created = await statuses(storm.created)
  const doubtful = await statuses(storm.inDoubt)
  return {
    usersLost: created.filter((s) => s !== 200).length,
    inDoubtThatExist: doubtful.filter((s) => s === 200).length,
    inDoubtStatuses: [...new Set(doubtful)],
  }
}

function report(backend: string, storm: StormResult, after: Awaited<ReturnType<typeof loginsAfterRestart>>, integrity: string) {
  const figures = {
    killedAfterMs: storm.killedAfterMs, answered201: storm.created.length, otherAnswers: storm.otherStatuses.length,
    noAnswer: storm.inDoubt.length, ...after, integrity,
  }
  console.log(`[faults] kill -9 during a registration storm on ${backend}: ${JSON.stringify(figures)}`)
  return figures
}

describe('kill -9 in the middle of a registration storm', { timeout: 90_000 }, () => {
  it('SQLite: every 201 logs in after the restart; PRAGMA integrity_check is ok', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-kill-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'tessera.db')
    const env = { ...NO_LIMITS, TESSERA_DATABASE_URL: `sqlite:${file}` }

    const storm = await stormThenKill(await spawnTessera(env), 'sq')
    const restarted = await spawnTessera(env)
    const after = await loginsAfterRestart(restarted, storm)
    expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null })

    const db = new Sqlite(file, { readonly: true })
    let integrity: string
    let foreignKeys: unknown[]
    try {
      integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
      foreignKeys = db.pragma('foreign_key_check') as unknown[]
    } finally {
      db.close()
    }
    const figures = report('SQLite', storm, after, integrity)

    expect(storm.otherStatuses).toEqual([])
    expect(storm.created.length).toBeGreaterThanOrEqual(MIN_CREATED)
    expect(figures.usersLost).toBe(0)
    expect(after.inDoubtStatuses.every((s) => s === 200 || s === 401)).toBe(true)
    expect(integrity).toBe('ok')
    expect(foreignKeys).toEqual([])
  })

  it('PostgreSQL: every 201 logs in after the restart; amcheck finds every B-tree index and table sound', async () => {
    const database: TestDatabase = await createTestDatabase('killstorm')
    cleanups.push(() => database.drop())
    const env = { ...NO_LIMITS, TESSERA_DATABASE_URL: database.url }

    const storm = await stormThenKill(await spawnTessera(env), 'pg')
    const restarted = await spawnTessera(env)
    const after = await loginsAfterRestart(restarted, storm)
    expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null })

    const integrity = await amcheck(database.url)
    const figures = report('PostgreSQL', storm, after, integrity)

    expect(storm.otherStatuses).toEqual([])
    expect(storm.created.length).toBeGreaterThanOrEqual(MIN_CREATED)
    expect(figures.usersLost).toBe(0)
    expect(after.inDoubtStatuses.every((s) => s === 200 || s === 401)).toBe(true)
    expect(integrity).toMatch(/^ok: \d+ B-tree indexes, \d+ tables$/)
  })
})

/**
 * PostgreSQL's own checker (contrib amcheck, shipped with Debian's server package):
 * bt_index_check with heapallindexed (every heap tuple is in each index) over every B-tree
 * index of the schema, and verify_heapam over every table. Any corruption throws or returns rows.
 */
async function amcheck(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('create extension if not exists amcheck')
    const indexes = await client.query<{ name: string }>(`
      select c.relname as name from pg_index i
      join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam join pg_namespace n on n.oid = c.relnamespace
      where am.amname = 'btree' and n.nspname = 'public'`)
    for (const { name } of indexes.rows) await client.query('select bt_index_check($1::regclass, true)', [`public.${name}`])
    const tables = await client.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public'`)
    const problems: string[] = []
    for (const { name } of tables.rows) {
      const found = await client.query('select * from verify_heapam($1::regclass)', [`public.${name}`])
      problems.push(...found.rows.map((r) => `${name}: ${JSON.stringify(r)}`))
    }
    if (problems.length > 0) return `corrupt: ${problems.join('; ')}`
    return `ok: ${indexes.rows.length} B-tree indexes, ${tables.rows.length} tables`
  } finally {
    await client.end()
  }
}
