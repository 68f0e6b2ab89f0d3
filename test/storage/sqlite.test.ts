import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import Sqlite from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import type { Store } from '../../src/core/ports.js'
import { migrateToLatest, openStore } from '../../src/storage/index.js'
import { migrationProvider } from '../../src/storage/migrations/index.js'
import { openSqliteBackend, openSqliteDatabase, SQLITE_BUSY_TIMEOUT_MS, sqlitePath } from '../../src/storage/sqlite.js'
import { describeStoreContract } from './contract.js'
import { describeMigrationForward } from './migration-forward.js'

const run = promisify(execFile)

/** Every migration, in the order they apply: a fresh database gets all of them. */
const MIGRATIONS = Object.keys(await migrationProvider({ identityColumn: (col) => col }).getMigrations()).sort()

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tessera-storage-'))
}

describeStoreContract('SQLite file', async () => {
  const dir = await tempDir()
  const url = `sqlite:${join(dir, 'tessera.db')}`
  const opened: Store[] = [await openStore(url)]
  return {
    store: opened[0]!,
    async reopen() {
      const store = await openStore(url)
      opened.push(store)
      return store
    },
    async cleanup() {
      for (const store of opened) await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

describeMigrationForward('SQLite file', async () => {
  const dir = await tempDir()
  const url = `sqlite:${join(dir, 'tessera.db')}`
  return { url, openBackend: () => openSqliteBackend(url), cleanup: () => rm(dir, { recursive: true, force: true }) }
})

describe('SQLite backend', () => {
  let dir: string
  let file: string
  let url: string
  beforeEach(async () => {
    dir = await tempDir()
    file = join(dir, 'tessera.db')
    url = `sqlite:${file}`
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  /** Reads the file with a separate plain connection, as an operator's sqlite3 shell would. */
  function inspect<T>(read: (db: Sqlite.Database) => T): T {
    const db = new Sqlite(file, { readonly: true })
    try {
      return read(db)
    } finally {
      db.close()
    }
  }

  it('configures each connection: WAL, foreign keys, busy timeout, synchronous=NORMAL', () => {
    const db = openSqliteDatabase(file)
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(db.pragma('busy_timeout', { simple: true })).toBe(SQLITE_BUSY_TIMEOUT_MS)
      expect(db.pragma('synchronous', { simple: true })).toBe(1)
    } finally {
      db.close()
    }
  })

  it('leaves a WAL-mode file that passes integrity_check after use', async () => {
    const store = await openStore(url)
    const user = await store.users.create({ username: 'johndoe', passwordHash: 'h' })
    await store.items.create(user.id, { itemId: 'Foo' })
    await store.users.delete(user.id)
    await store.close()
    expect(inspect((db) => db.pragma('journal_mode', { simple: true }))).toBe('wal')
    expect(inspect((db) => db.pragma('integrity_check'))).toEqual([{ integrity_check: 'ok' }])
    expect(inspect((db) => db.pragma('foreign_key_check'))).toEqual([])
  })

  it('migrates once: migrateToLatest names what it applied, then nothing', async () => {
    expect(await migrateToLatest(url)).toEqual({ applied: MIGRATIONS })
    expect(await migrateToLatest(url)).toEqual({ applied: [] })
    const store = await openStore(url)
    await store.close()
    const reopened = await openStore(url)
    await reopened.close()
    expect(inspect((db) => db.prepare('select name from kysely_migration order by name').all())).toEqual(MIGRATIONS.map((name) => ({ name })))
    expect(
      inspect((db) => db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").all()),
    ).toEqual(['audit_log', 'authorization_codes', 'browser_sessions', 'clients', 'consents', 'federated_identities', 'federation_states', 'identity_providers', 'items', 'kysely_migration', 'kysely_migration_lock', 'one_time_tokens', 'recovery_codes', 'refresh_tokens', 'revoked_tokens', 'settings', 'signing_keys', 'totp_factors', 'users'].map((name) => ({ name })))
  })

  it('migrates a fresh file exactly once when several processes start together', async () => {
    const child = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url))
    const startAt = String(Date.now() + 3000)
    const outputs = await Promise.all(
      Array.from({ length: 8 }, () => run(process.execPath, ['--import', 'tsx', child, url, startAt], { timeout: 30_000 })),
    )
    const applied = outputs.flatMap(({ stdout }) => JSON.parse(stdout) as string[])
    expect(applied).toEqual(MIGRATIONS)
    expect(inspect((db) => db.pragma('integrity_check'))).toEqual([{ integrity_check: 'ok' }])
  })

  it('with migrate: false, refuses an unmigrated database by name, then opens once migrated', async () => {
    await expect(openStore(url, { migrate: false })).rejects.toThrow(
      `Database schema is not up to date (pending: ${MIGRATIONS.join(', ')}): run \`tessera migrate\``,
    )
    await migrateToLatest(url)
    const store = await openStore(url, { migrate: false })
    expect(await store.users.list()).toEqual([])
    await store.close()
  })

  it('stamps created_at and updated_at from the given clock', async () => {
    const clock = fixedClock(Date.UTC(2024, 0, 2, 3, 4, 5, 678))
    const store = await openStore(url, { clock })
    const user = await store.users.create({ username: 'johndoe', passwordHash: 'h' })
    expect(user.createdAt).toEqual(new Date('2024-01-02T03:04:05.678Z'))
    expect(user.updatedAt).toEqual(new Date('2024-01-02T03:04:05.678Z'))
    clock.advance(60_000)
    await store.users.setDisabled(user.id, true)
    const updated = await store.users.findById(user.id)
    expect(updated?.createdAt).toEqual(new Date('2024-01-02T03:04:05.678Z'))
    expect(updated?.updatedAt).toEqual(new Date('2024-01-02T03:05:05.678Z'))
    await store.close()
    expect(inspect((db) => db.prepare('select created_at, updated_at, disabled, scopes from users').all())).toEqual([
      { created_at: '2024-01-02T03:04:05.678Z', updated_at: '2024-01-02T03:05:05.678Z', disabled: 1, scopes: 'me items' },
    ])
  })

  it('refuses scopes Tessera does not know as a programming error', async () => {
    const store = await openStore(url)
    await expect(store.users.create({ username: 'johndoe', passwordHash: 'h', scopes: ['admin' as 'me'] })).rejects.toThrow(TypeError)
    expect(await store.users.list()).toEqual([])
    await store.close()
  })

  it('drops a stored scope that is no longer known when reading', async () => {
    const store = await openStore(url)
    const user = await store.users.create({ username: 'johndoe', passwordHash: 'h' })
    await store.close()
    const db = new Sqlite(file)
    db.prepare("update users set scopes = 'me retired items'").run()
    db.close()
    const reopened = await openStore(url)
    expect((await reopened.users.findById(user.id))?.scopes).toEqual(['me', 'items'])
    await reopened.close()
  })

  it('gives each sqlite::memory: store its own database', async () => {
    const a = await openStore('sqlite::memory:')
    const b = await openStore('sqlite::memory:')
    await a.users.create({ username: 'johndoe', passwordHash: 'h' })
    expect(await a.users.findByUsername('johndoe')).not.toBeNull()
    expect(await b.users.findByUsername('johndoe')).toBeNull()
    await Promise.all([a.close(), b.close()])
  })

  it('fails to open a path in a missing directory, naming TESSERA_DATABASE_URL', async () => {
    await expect(openStore(`sqlite:${join(dir, 'missing', 'tessera.db')}`)).rejects.toThrow(
      `TESSERA_DATABASE_URL: cannot open SQLite database at ${join(dir, 'missing', 'tessera.db')}`,
    )
  })
})

describe('database URLs', () => {
  it.each([
    ['sqlite:tessera.db', 'tessera.db'],
    ['sqlite:/var/lib/tessera/tessera.db', '/var/lib/tessera/tessera.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the path %s', (url, path) => {
    expect(sqlitePath(url)).toBe(path)
  })

  it('refuses an empty sqlite path and the ambiguous sqlite:// form', async () => {
    await expect(openStore('sqlite:')).rejects.toThrow('TESSERA_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:tessera.db or sqlite::memory:')
    await expect(openStore('sqlite:///tmp/x.db')).rejects.toThrow(
      'TESSERA_DATABASE_URL: write sqlite:<path> (e.g. sqlite:/var/lib/tessera.db), not sqlite://',
    )
  })

  it('refuses an unknown scheme by naming TESSERA_DATABASE_URL and never echoes credentials', async () => {
    const error = await openStore('mysql://admin:hunter2@db.example/tessera').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe(
      'TESSERA_DATABASE_URL has unsupported scheme "mysql:": expected sqlite:<path>, sqlite::memory: or postgres://…',
    )
    await expect(migrateToLatest('tessera.db')).rejects.toThrow(
      'TESSERA_DATABASE_URL has unsupported no scheme: expected sqlite:<path>, sqlite::memory: or postgres://…',
    )
  })
})
