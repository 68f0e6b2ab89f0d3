import { randomUUID } from 'node:crypto'
import { Conflict } from '../../src/core/errors.js'
import type { ItemStore, SettingsStore, UserStore } from '../../src/core/ports.js'
import { DEFAULT_USER_SCOPES } from '../../src/core/scopes.js'
import { normalizeUsername, type ItemRecord, type NewItem, type NewUser, type UserRecord } from '../../src/core/user.js'

// Fakes for core unit tests only: storage proves the real stores against its own contract suite.

export const FIXED_DATE = new Date('2024-01-01T00:00:00Z')

export function inMemoryUsers(): UserStore & { records: Map<string, UserRecord> } {
  const records = new Map<string, UserRecord>()
  const byName = (username: string) => [...records.values()].find((u) => normalizeUsername(u.username) === normalizeUsername(username)) ?? null
  const update = (id: string, change: Partial<UserRecord>) => {
    const user = records.get(id)
    if (user === undefined) return false
    records.set(id, { ...user, ...change })
    return true
  }
  return {
    records,
    async findById(id) { return records.get(id) ?? null },
    async findByUsername(username) { return byName(username) },
    async findByEmail(email) { return [...records.values()].filter((u) => u.email?.toLowerCase() === email.toLowerCase()) },
    async create(user: NewUser) {
      if (byName(user.username) !== null) throw new Conflict('Username already registered')
      const record: UserRecord = {
        id: randomUUID(), username: user.username, email: user.email ?? null, emailVerified: user.emailVerified ?? false, fullName: user.fullName ?? null,
        passwordHash: user.passwordHash, disabled: user.disabled ?? false, scopes: user.scopes ?? [...DEFAULT_USER_SCOPES],
        tokensNotBefore: null, createdAt: FIXED_DATE, updatedAt: FIXED_DATE,
      }
      records.set(record.id, record)
      return record
    },
    async list() { return [...records.values()] },
    async search({ query = '', limit, offset }) {
      const q = query.toLowerCase()
      const found = [...records.values()]
        .filter((u) => [normalizeUsername(u.username), u.email?.toLowerCase(), u.fullName?.toLowerCase()].some((v) => v?.includes(q)))
        .sort((a, b) => normalizeUsername(a.username).localeCompare(normalizeUsername(b.username)))
      return { users: found.slice(offset, offset + limit), total: found.length }
    },
    async update(id, changes) {
      const { scopes, ...rest } = changes
      if (!update(id, { ...rest, ...(scopes === undefined ? {} : { scopes: [...scopes] }) })) return null
      return records.get(id) ?? null
    },
    async updatePasswordHash(id, passwordHash) { return update(id, { passwordHash }) },
    async setDisabled(id, disabled) { return update(id, { disabled }) },
    async setTokensNotBefore(id, epochSeconds) { return update(id, { tokensNotBefore: epochSeconds }) },
    async delete(id) { return records.delete(id) },
  }
}

export function inMemoryItems(): ItemStore & { records: ItemRecord[] } {
  const records: ItemRecord[] = []
  return {
    records,
    async listByOwner(ownerId) { return records.filter((i) => i.ownerId === ownerId) },
    async create(ownerId, item: NewItem) {
      if (records.some((i) => i.ownerId === ownerId && i.itemId === item.itemId)) throw new Conflict('Item already exists')
      const record: ItemRecord = {
        id: records.length + 1, ownerId, itemId: item.itemId, title: item.title ?? null, description: item.description ?? null,
      }
      records.push(record)
      return record
    },
  }
}

export function inMemorySettings(): SettingsStore & { values: Map<string, string> } {
  const values = new Map<string, string>()
  return {
    values,
    async get(key) { return values.get(key) ?? null },
    async getOrInsert(key, value) {
      if (!values.has(key)) values.set(key, value)
      return values.get(key) as string
    },
  }
}
