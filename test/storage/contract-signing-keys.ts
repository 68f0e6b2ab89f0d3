import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/core/errors.js'
import type { SigningKeyRecord, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)

/**
 * Stand-in records: the store keeps what it is given (checking keys is the key set's job, in
 * core), so these need not be real keys. Real ones are what `tessera keys` stores (test/cli).
 */
function key(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    algorithm: 'EdDSA',
    purpose: 'access_token',
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${kid}\n-----END PRIVATE KEY-----\n`,
    publicJwk: { kty: 'OKP', kid, alg: 'EdDSA', use: 'sig', crv: 'Ed25519', x: `${kid}-x` },
    status: 'verifying',
    createdAt: T,
    ...overrides,
  }
}

async function statuses(store: Store): Promise<Array<[string, string]>> {
  return (await store.signingKeys.list()).map((k) => [k.kid, k.status])
}

/** An id_token key of `algorithm` (the JWK's shape does not matter to the store). */
function idKey(kid: string, algorithm: SigningKeyRecord['algorithm'], overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return key(kid, { algorithm, purpose: 'id_token', publicJwk: { kty: algorithm === 'RS256' ? 'RSA' : 'EC', kid, alg: algorithm, use: 'sig' }, ...overrides })
}

async function refused(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a refusal'), (e: unknown) => e)
}

/** Signing keys: at most one active, demotion and promotion atomic. */
export function describeSigningKeyContract(current: () => Store, reopen: () => Promise<Store>): void {
  describe('signing keys', () => {
    it('starts empty, then reads every field back, oldest first', async () => {
      const store = current()
      expect(await store.signingKeys.list()).toEqual([])
      const es = key('k-es', { algorithm: 'ES256', createdAt: T + 5, publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k-es', alg: 'ES256', use: 'sig' } })
      const ed = key('k-ed', { status: 'active', createdAt: 4_102_444_800_000 }) // 2100: epoch ms past 2^32 and 2038
      await store.signingKeys.insert(es)
      await store.signingKeys.insert(ed)
      expect(await store.signingKeys.list()).toEqual([es, ed])
    })

    it('stores a key given without a purpose (a caller from before issue 9) as an access-token key', async () => {
      const store = current()
      const { purpose: _, ...legacy } = key('old', { status: 'active' })
      await store.signingKeys.insert(legacy)
      expect(await store.signingKeys.list()).toEqual([{ ...legacy, purpose: 'access_token' }])
      await store.signingKeys.insert(key('new', { status: 'active', createdAt: T + 1 }))
      expect(await statuses(store)).toEqual([['old', 'verifying'], ['new', 'active']])
    })

    it('inserting an active key demotes the active one to verifying', async () => {
      const store = current()
      await store.signingKeys.insert(key('a', { status: 'active', createdAt: T }))
      await store.signingKeys.insert(key('b', { status: 'verifying', createdAt: T + 1 }))
      expect(await statuses(store)).toEqual([['a', 'active'], ['b', 'verifying']])
      await store.signingKeys.insert(key('c', { status: 'active', createdAt: T + 2 }))
      expect(await statuses(store)).toEqual([['a', 'verifying'], ['b', 'verifying'], ['c', 'active']])
    })

    it('refuses a kid that exists, and then demotes nothing (one transaction)', async () => {
      const store = current()
      await store.signingKeys.insert(key('a', { status: 'active' }))
      await store.signingKeys.insert(key('b', { createdAt: T + 1 }))
      const error = await refused(store.signingKeys.insert(key('b', { status: 'active', createdAt: T + 2 })))
      expect(error).toBeInstanceOf(Conflict)
      expect((error as Conflict).detail).toBe('Signing key already exists')
      expect(await statuses(store)).toEqual([['a', 'active'], ['b', 'verifying']])
    })

    it('sets a status: verifying and retired as given, false for an unknown kid', async () => {
      const store = current()
      await store.signingKeys.insert(key('a', { status: 'active' }))
      await store.signingKeys.insert(key('b', { createdAt: T + 1 }))
      expect(await store.signingKeys.setStatus('b', 'retired')).toBe(true)
      expect(await store.signingKeys.setStatus('nope', 'retired')).toBe(false)
      expect(await statuses(store)).toEqual([['a', 'active'], ['b', 'retired']])
    })

    it('promoting a key to active demotes the active one in the same transaction; an unknown kid changes nothing', async () => {
      const store = current()
      await store.signingKeys.insert(key('a', { status: 'active' }))
      await store.signingKeys.insert(key('b', { createdAt: T + 1 }))
      expect(await store.signingKeys.setStatus('nope', 'active')).toBe(false)
      expect(await statuses(store)).toEqual([['a', 'active'], ['b', 'verifying']])
      expect(await store.signingKeys.setStatus('b', 'active')).toBe(true)
      expect(await statuses(store)).toEqual([['a', 'verifying'], ['b', 'active']])
      expect(await store.signingKeys.setStatus('b', 'active')).toBe(true) // already active: stays the one
      expect(await statuses(store)).toEqual([['a', 'verifying'], ['b', 'active']])
    })

    it('never holds two active keys, whatever runs at once', async () => {
      const store = current()
      const results = await Promise.allSettled([
        store.signingKeys.insert(key('a', { status: 'active' })),
        store.signingKeys.insert(key('b', { status: 'active', createdAt: T + 1 })),
        store.signingKeys.insert(key('c', { status: 'active', createdAt: T + 2 })),
      ])
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(Conflict)
      }
      const all = await store.signingKeys.list()
      expect(all.filter((k) => k.status === 'active')).toHaveLength(1)
      expect(all).toHaveLength(results.filter((r) => r.status === 'fulfilled').length)
    })

    it('lets an active access-token key, an active RS256 and an active ES256 id_token key coexist', async () => {
      const store = current()
      const access = key('access', { status: 'active' })
      const rs = idKey('rs-1', 'RS256', { status: 'active', createdAt: T + 1 })
      const es = idKey('es-1', 'ES256', { status: 'active', createdAt: T + 2 })
      for (const k of [access, rs, es]) await store.signingKeys.insert(k)
      expect(await store.signingKeys.list()).toEqual([access, rs, es])
    })

    it('activating a second RS256 id_token key demotes only the first, by insert or by promotion', async () => {
      const store = current()
      await store.signingKeys.insert(key('access', { status: 'active' }))
      await store.signingKeys.insert(idKey('es-1', 'ES256', { status: 'active', createdAt: T + 1 }))
      await store.signingKeys.insert(idKey('rs-1', 'RS256', { status: 'active', createdAt: T + 2 }))
      await store.signingKeys.insert(idKey('rs-2', 'RS256', { status: 'active', createdAt: T + 3 }))
      expect(await statuses(store)).toEqual([['access', 'active'], ['es-1', 'active'], ['rs-1', 'verifying'], ['rs-2', 'active']])
      expect(await store.signingKeys.setStatus('rs-1', 'active')).toBe(true)
      expect(await statuses(store)).toEqual([['access', 'active'], ['es-1', 'active'], ['rs-1', 'active'], ['rs-2', 'verifying']])
      // An access-token key taking over touches no id_token key, and the other way round.
      await store.signingKeys.insert(key('access-2', { status: 'active', algorithm: 'RS256', createdAt: T + 4 }))
      expect(await statuses(store)).toEqual([['access', 'verifying'], ['es-1', 'active'], ['rs-1', 'active'], ['rs-2', 'verifying'], ['access-2', 'active']])
      expect(await store.signingKeys.setStatus('access', 'active')).toBe(true)
      expect(await store.signingKeys.setStatus('rs-2', 'active')).toBe(true)
      expect(await statuses(store)).toEqual([['access', 'active'], ['es-1', 'active'], ['rs-1', 'verifying'], ['rs-2', 'active'], ['access-2', 'verifying']])
      expect((await store.signingKeys.list()).map((k) => k.purpose)).toEqual(['access_token', 'id_token', 'id_token', 'id_token', 'access_token'])
    })

    it('never holds two active id_token keys of one algorithm, whatever runs at once', async () => {
      const store = current()
      await store.signingKeys.insert(idKey('es', 'ES256', { status: 'active' }))
      const results = await Promise.allSettled([1, 2, 3].map((i) => store.signingKeys.insert(idKey(`rs-${i}`, 'RS256', { status: 'active', createdAt: T + i }))))
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(Conflict)
          expect((result.reason as Conflict).detail).toBe('Another signing key became active at the same moment; run the command again')
        }
      }
      const all = await store.signingKeys.list()
      expect(all.filter((k) => k.status === 'active').map((k) => k.algorithm).sort()).toEqual(['ES256', 'RS256'])
      expect(all).toHaveLength(1 + results.filter((r) => r.status === 'fulfilled').length)
    })

    it('keeps the keys across close and reopen', async () => {
      const store = current()
      const a = key('a', { status: 'active' })
      await store.signingKeys.insert(a)
      await store.close()
      expect(await (await reopen()).signingKeys.list()).toEqual([a])
    })
  })
}
