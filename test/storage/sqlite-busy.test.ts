import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Sqlite from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../src/core/errors.js'
import { toErrorResponse } from '../../src/core/index.js'
import { withBusyAsUnavailable } from '../../src/storage/sqlite-busy.js'

// Another process holding SQLite's write lock past busy_timeout is "retry later" (503 +
// Retry-After), not a 500. Two real connections to one file; busy_timeout 0 so the test does
// not wait the server's 5 s.
const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-busy-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SQLITE_BUSY', () => {
  it('becomes ServiceUnavailable (503, Retry-After: 1); other errors pass through untouched', () => {
    const file = join(dir, 'busy.db')
    const holder = new Sqlite(file)
    holder.pragma('journal_mode = WAL')
    holder.exec('create table t (x integer unique)')
    const raw = new Sqlite(file)
    raw.pragma('busy_timeout = 0')
    const db = withBusyAsUnavailable(raw)
    try {
      holder.exec('begin immediate')                                  // another process holds the write lock
      const busy = (() => {
        try {
          db.prepare('insert into t (x) values (?)').run([1])
          return null
        } catch (error) {
          return error
        }
      })()
      expect(busy).toBeInstanceOf(ServiceUnavailable)
      expect(toErrorResponse(busy)).toMatchObject({ status: 503, headers: { 'retry-after': '1' } })
      expect(db.prepare('select count(*) as n from t').all([])).toEqual([{ n: 0 }]) // WAL: reads still go on
      holder.exec('commit')

      db.prepare('insert into t (x) values (?)').run([1])
      expect(() => db.prepare('insert into t (x) values (?)').run([1])).toThrow(expect.objectContaining({ code: 'SQLITE_CONSTRAINT_UNIQUE' }))
    } finally {
      db.close()
      holder.close()
    }
  })
})
