import { USER_COLUMNS, type UserRow } from './schema.js'

/**
 * Every authenticated request asks the same question: the token's user, unless its jti is
 * revoked. Asked one request at a time, each pays for a query of its own: on PostgreSQL a pool
 * checkout, a write and a read on the socket and the server's own work; on SQLite a read
 * transaction (two file locks) and a statement. Together that was several times the rest of a
 * request's CPU (issue 5). So the questions asked in one turn of the event loop go out as one
 * query, and each asker gets its own answer.
 *
 * Nothing is cached: a question is sent after the request that asked it arrived (in the same
 * turn or the next), so a user disabled or a token revoked before a request is seen by it.
 */
export type TokenUserLookup = (id: string, jti: string) => Promise<UserRow | undefined>

/** The user rows found for `ids[i]` unless `jtis[i]` is revoked, each with the jti it was asked with. */
export type LookupBatch = (ids: readonly string[], jtis: readonly string[]) => Promise<Array<{ jti: string; row: UserRow }>>

interface Waiting { resolve(row: UserRow | undefined): void; reject(error: unknown): void }

export function batchedTokenUserLookup(run: LookupBatch, maxBatch: number): TokenUserLookup {
  // id → jti → who asked; the same token in flight on many connections is asked once.
  let pending = new Map<string, Map<string, Waiting[]>>()
  let scheduled = false

  function flush(): void {
    scheduled = false
    const batch = pending
    pending = new Map()
    let ids: string[] = []
    let jtis: string[] = []
    for (const [id, byJti] of batch) {
      for (const jti of byJti.keys()) {
        ids.push(id)
        jtis.push(jti)
        if (ids.length === maxBatch) {
          send(ids, jtis, batch)
          ids = []
          jtis = []
        }
      }
    }
    if (ids.length > 0) send(ids, jtis, batch)
  }

  function send(ids: string[], jtis: string[], batch: Map<string, Map<string, Waiting[]>>): void {
    const each = (visit: (waiting: Waiting, row: UserRow | undefined) => void, found?: Map<string, Map<string, UserRow>>) => {
      ids.forEach((id, i) => {
        const jti = jtis[i] as string
        const row = found?.get(id)?.get(jti)
        for (const waiting of batch.get(id)?.get(jti) ?? []) visit(waiting, row)
      })
    }
    run(ids, jtis).then((rows) => {
      const found = new Map<string, Map<string, UserRow>>()
      for (const { jti, row } of rows) {
        const byJti = found.get(row.id) ?? new Map<string, UserRow>()
        byJti.set(jti, row)
        found.set(row.id, byJti)
      }
      each((waiting, row) => waiting.resolve(row), found)
    }, (error: unknown) => each((waiting) => waiting.reject(error)))
  }

  return (id, jti) => new Promise<UserRow | undefined>((resolve, reject) => {
    const byJti = pending.get(id) ?? new Map<string, Waiting[]>()
    pending.set(id, byJti)
    const waiting = byJti.get(jti)
    if (waiting === undefined) byJti.set(jti, [{ resolve, reject }])
    else waiting.push({ resolve, reject })
    if (!scheduled) {
      scheduled = true
      // After this turn's I/O callbacks: every request read in it has asked by then.
      setImmediate(flush)
    }
  })
}

/** `users u` columns in USER_COLUMNS order, for a batch statement's select list. */
export const USER_SELECT = USER_COLUMNS.map((c) => `u.${c}`).join(', ')

/** A users row from a statement's cells, its USER_COLUMNS starting at `offset`. */
export function userRowOf(c: readonly unknown[], offset: number): UserRow {
  const at = (i: number) => c[offset + i]
  return {
    id: at(0), username: at(1), username_normalized: at(2), email: at(3), email_verified: at(4), email_verified_key: at(5),
    full_name: at(6), password_hash: at(7), disabled: at(8), scopes: at(9), tokens_not_before: at(10), created_at: at(11), updated_at: at(12),
  } as UserRow
}
