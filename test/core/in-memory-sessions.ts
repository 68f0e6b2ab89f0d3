import { Conflict } from '../../src/core/errors.js'
import type { ClientRecord, ClientStore, NewClient, NewRefreshToken, RefreshTokenRecord, RefreshTokenStore } from '../../src/core/ports.js'

// Fakes for core unit tests only: the real stores prove themselves in test/storage/contract-sessions.ts.

/** A new token as the SQL stores keep it: OIDC fields defaulted, lists copied. */
function stored(token: NewRefreshToken): RefreshTokenRecord {
  return {
    ...token, scopes: [...token.scopes], rotatedAt: null, revokedAt: null,
    authTime: token.authTime ?? null, audience: [...(token.audience ?? [])], browserSessionId: token.browserSessionId ?? null,
  }
}

export function inMemoryRefreshTokens(): RefreshTokenStore & { records: Map<string, RefreshTokenRecord> } {
  const records = new Map<string, RefreshTokenRecord>()
  const revokeWhere = (match: (r: RefreshTokenRecord) => boolean, now: number) => {
    let count = 0
    for (const [id, r] of records) {
      if (match(r) && r.revokedAt === null) { records.set(id, { ...r, revokedAt: now }); count += 1 }
    }
    return count
  }
  return {
    records,
    async create(token) {
      const record = stored(token)
      records.set(record.id, record)
      return record
    },
    async findByHash(tokenHash) { return [...records.values()].find((r) => r.tokenHash === tokenHash) ?? null },
    async rotate(oldId, now, next) {
      const old = records.get(oldId)
      if (old === undefined || old.rotatedAt !== null || old.revokedAt !== null) return null
      records.set(oldId, { ...old, rotatedAt: now })
      const record = stored(next)
      records.set(record.id, record)
      return record
    },
    async revokeFamily(familyId, now) { return revokeWhere((r) => r.familyId === familyId, now) },
    async revokeAllForUser(userId, now) { return revokeWhere((r) => r.userId === userId, now) },
    async revokeAllForBrowserSession(browserSessionId, now) {
      // Whole families started from the session, as the SQL store revokes them.
      const families = new Set([...records.values()].filter((r) => r.browserSessionId === browserSessionId).map((r) => r.familyId))
      return revokeWhere((r) => families.has(r.familyId), now)
    },
    async revokeAllForUserAndClient(userId, clientId, now) {
      const families = new Set([...records.values()].filter((r) => r.userId === userId && r.clientId === clientId).map((r) => r.familyId))
      return revokeWhere((r) => families.has(r.familyId), now)
    },
    async deleteExpired(now) {
      let count = 0
      for (const [id, r] of records) if (r.expiresAt < now) { records.delete(id); count += 1 }
      return count
    },
  }
}

/** A new client with create()'s defaults for the sign-in fields, as the SQL store stores it. */
function registered(client: NewClient): ClientRecord {
  return {
    ...client,
    createdAt: 0,
    redirectUris: [...(client.redirectUris ?? [])],
    postLogoutRedirectUris: [...(client.postLogoutRedirectUris ?? [])],
    firstParty: client.firstParty ?? false,
    idTokenSignedResponseAlg: client.idTokenSignedResponseAlg ?? 'RS256',
    resources: [...(client.resources ?? [])],
  }
}

export function inMemoryClients(initial: ClientRecord[] = []): ClientStore & { records: Map<string, ClientRecord> } {
  const records = new Map(initial.map((c) => [c.id, c]))
  return {
    records,
    async findById(id) { return records.get(id) ?? null },
    async create(client) {
      if (records.has(client.id)) throw new Conflict('Client already exists')
      const record = registered(client)
      records.set(client.id, record)
      return record
    },
    async list() { return [...records.values()] },
    async update(id, changes) {
      const client = records.get(id)
      if (client === undefined) return null
      const updated = { ...client, ...changes }
      records.set(id, updated)
      return updated
    },
    async delete(id) { return records.delete(id) },
  }
}
