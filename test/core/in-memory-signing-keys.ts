import type { SigningKeyRecord, SigningKeyStore } from '../../src/core/ports.js'

/** Whether activating `key` takes over from `other`: same purpose, and for id_token keys the same algorithm. */
function takesOverFrom(key: SigningKeyRecord, other: SigningKeyRecord): boolean {
  const purpose = key.purpose ?? 'access_token'
  if ((other.purpose ?? 'access_token') !== purpose) return false
  return purpose === 'access_token' || other.algorithm === key.algorithm
}

/**
 * A SigningKeyStore fake for core unit tests (the SQL stores prove themselves against the
 * contract suite). `reads` counts list() calls, so reload tests can see the store being asked.
 */
export function inMemorySigningKeys(initial: SigningKeyRecord[] = []): SigningKeyStore & { records: SigningKeyRecord[]; reads: number; failNextRead?: Error } {
  const fake = {
    records: initial.map((r) => ({ ...r })),
    reads: 0,
    failNextRead: undefined as Error | undefined,
    async list() {
      fake.reads += 1
      if (fake.failNextRead !== undefined) {
        const error = fake.failNextRead
        fake.failNextRead = undefined
        throw error
      }
      return fake.records.map((r) => ({ ...r, purpose: r.purpose ?? 'access_token' })).sort((a, b) => a.createdAt - b.createdAt || a.kid.localeCompare(b.kid))
    },
    async insert(key: SigningKeyRecord) {
      if (fake.records.some((r) => r.kid === key.kid)) throw new Error('duplicate kid')
      if (key.status === 'active') for (const r of fake.records) if (r.status === 'active' && takesOverFrom(key, r)) r.status = 'verifying'
      fake.records.push({ ...key, purpose: key.purpose ?? 'access_token' })
    },
    async setStatus(kid: string, status: SigningKeyRecord['status']) {
      const record = fake.records.find((r) => r.kid === kid)
      if (record === undefined) return false
      if (status === 'active') for (const r of fake.records) if (r !== record && r.status === 'active' && takesOverFrom(record, r)) r.status = 'verifying'
      record.status = status
      return true
    },
  }
  return fake
}
