import type {
  AuthorizationCodeRecord, AuthorizationCodeStore, BrowserSessionRecord, BrowserSessionStore, ConsentRecord, ConsentStore,
} from '../../src/core/ports.js'

// Fakes for core unit tests only: the real stores prove themselves in test/storage/contract-sign-in*.ts.
// They keep the SQL stores' rules: conditional updates, unions, orders, housekeeping cutoffs.

export function inMemoryBrowserSessions(): BrowserSessionStore & { records: Map<string, BrowserSessionRecord> } {
  const records = new Map<string, BrowserSessionRecord>()
  const deleteWhere = (match: (s: BrowserSessionRecord) => boolean) => {
    let count = 0
    for (const [id, s] of records) if (match(s)) { records.delete(id); count += 1 }
    return count
  }
  return {
    records,
    async create(session) {
      const record = { ...session, amr: [...new Set(session.amr)] }
      records.set(record.id, record)
      return { ...record }
    },
    async findByTokenHash(tokenHash) {
      const found = [...records.values()].find((s) => s.tokenHash === tokenHash)
      return found === undefined ? null : { ...found }
    },
    async findById(id) {
      const found = records.get(id)
      return found === undefined ? null : { ...found }
    },
    async touch(id, now) {
      const session = records.get(id)
      if (session !== undefined && session.lastSeenAt < now) records.set(id, { ...session, lastSeenAt: now })
    },
    async delete(id) { return records.delete(id) },
    async deleteAllForUser(userId) { return deleteWhere((s) => s.userId === userId) },
    async listForUser(userId) {
      return [...records.values()].filter((s) => s.userId === userId)
        .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id)).map((s) => ({ ...s }))
    },
    async deleteExpired(now, idleCutoff) { return deleteWhere((s) => s.expiresAt < now || s.lastSeenAt < idleCutoff) },
  }
}

export function inMemoryAuthorizationCodes(): AuthorizationCodeStore & { records: Map<string, AuthorizationCodeRecord> } {
  const records = new Map<string, AuthorizationCodeRecord>()
  return {
    records,
    async create(code) {
      const record: AuthorizationCodeRecord = {
        ...code, scopes: [...code.scopes], audience: [...code.audience], amr: [...code.amr],
        consumedAt: null, familyId: null, accessTokenJti: null, accessTokenExpiresAt: null, replayedAt: null,
      }
      records.set(record.id, record)
      return { ...record }
    },
    async findByHash(codeHash) {
      const found = [...records.values()].find((c) => c.codeHash === codeHash)
      return found === undefined ? null : { ...found }
    },
    async consume(id, now, exchange) {
      const code = records.get(id)
      if (code === undefined || code.consumedAt !== null) return false
      records.set(id, { ...code, consumedAt: now, ...exchange })
      return true
    },
    async markReplayed(id, now) {
      const code = records.get(id)
      if (code === undefined) return null
      const marked = { ...code, replayedAt: code.replayedAt ?? now }
      records.set(id, marked)
      return { ...marked }
    },
    async deleteExpired(now) {
      let count = 0
      for (const [id, c] of records) {
        if (c.expiresAt < now && (c.accessTokenExpiresAt === null || c.accessTokenExpiresAt < now)) { records.delete(id); count += 1 }
      }
      return count
    },
  }
}

export function inMemoryConsents(): ConsentStore & { records: Map<string, ConsentRecord> } {
  const records = new Map<string, ConsentRecord>()
  const key = (userId: string, clientId: string) => JSON.stringify([userId, clientId])
  return {
    records,
    async find(userId, clientId) {
      const found = records.get(key(userId, clientId))
      return found === undefined ? null : { ...found, scopes: [...found.scopes] }
    },
    async grant(userId, clientId, scopes, now) {
      const before = records.get(key(userId, clientId))
      const record: ConsentRecord = {
        userId, clientId, scopes: [...new Set([...(before?.scopes ?? []), ...scopes])], createdAt: before?.createdAt ?? now, updatedAt: now,
      }
      records.set(key(userId, clientId), record)
      return { ...record, scopes: [...record.scopes] }
    },
    async revoke(userId, clientId) { return records.delete(key(userId, clientId)) },
    async listForUser(userId) {
      return [...records.values()].filter((c) => c.userId === userId)
        .sort((a, b) => b.updatedAt - a.updatedAt || a.clientId.localeCompare(b.clientId)).map((c) => ({ ...c, scopes: [...c.scopes] }))
    },
  }
}
