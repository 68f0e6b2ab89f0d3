import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { NotFound } from '../../src/core/errors.js'
import type { CodeExchange, NewAuthorizationCode, Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const MINUTE = 60_000
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

function code(userId: string, clientId: string, overrides: Partial<NewAuthorizationCode> = {}): NewAuthorizationCode {
  return {
    id: randomUUID(), codeHash: randomBytes(32).toString('hex'), clientId, userId, redirectUri: 'https://app.example/cb',
    scopes: ['openid', 'profile', 'me'], codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', nonce: 'n-0S6_WzA2Mj',
    audience: ['https://api.example/'], authTime: Math.floor(T / 1000), amr: ['pwd'], browserSessionId: randomUUID(),
    createdAt: T, expiresAt: T + MINUTE, ...overrides,
  }
}

function exchange(overrides: Partial<CodeExchange> = {}): CodeExchange {
  return { familyId: randomUUID(), accessTokenJti: randomUUID(), accessTokenExpiresAt: T + 30 * MINUTE, ...overrides }
}

const UNUSED = { consumedAt: null, familyId: null, accessTokenJti: null, accessTokenExpiresAt: null, replayedAt: null }

/** Authorization codes: single use by one conditional update, replay marking, housekeeping. */
export function describeAuthorizationCodeContract(current: () => Store): void {
  async function parties() {
    const store = current()
    const user = await store.users.create({ username: 'johndoe', passwordHash: HASH })
    const client = await store.clients.create({
      id: 'web', name: 'Web', type: 'public', secretHash: null, grantTypes: ['authorization_code'], scopes: ['me'], redirectUris: ['https://app.example/cb'],
    })
    return { store, userId: user.id, clientId: client.id }
  }

  describe('authorization codes', () => {
    it('creates and finds by hash, every field round-tripping, not yet consumed', async () => {
      const { store, userId, clientId } = await parties()
      const given = code(userId, clientId, { authTime: 4_102_444_800, expiresAt: 4_102_444_800_060 })
      const created = await store.authorizationCodes.create(given)
      expect(created).toEqual({ ...given, ...UNUSED })
      expect(await store.authorizationCodes.findByHash(given.codeHash)).toEqual(created)
      expect(await store.authorizationCodes.findByHash('0'.repeat(64))).toBeNull()
      expect(await store.authorizationCodes.findByHash('a\u0000b')).toBeNull()
    })

    it('stores a code without nonce, audience or browser session, and hostile strings verbatim', async () => {
      const { store, userId, clientId } = await parties()
      const given = code(userId, clientId, {
        nonce: null, audience: [], browserSessionId: null, scopes: [],
        redirectUri: `https://app.example/cb?next='); DROP TABLE authorization_codes;--&q="💥"`,
      })
      const bare = code(userId, clientId, { nonce: `'" OR 1=1 --`, amr: ['pwd', 'hwk'] })
      expect(await store.authorizationCodes.create(given)).toEqual({ ...given, ...UNUSED })
      expect(await store.authorizationCodes.create(bare)).toEqual({ ...bare, ...UNUSED })
      expect(await store.authorizationCodes.findByHash(given.codeHash)).toEqual({ ...given, ...UNUSED })
      expect(await store.authorizationCodes.findByHash(bare.codeHash)).toEqual({ ...bare, ...UNUSED })
    })

    it('refuses a code for a client or user that is gone with NotFound', async () => {
      const { store, userId, clientId } = await parties()
      for (const given of [code(userId, 'ghost'), code(randomUUID(), clientId)]) {
        const error = await store.authorizationCodes.create(given).then(() => expect.unreachable('expected NotFound'), (e: unknown) => e)
        expect(error).toBeInstanceOf(NotFound)
        expect(await store.authorizationCodes.findByHash(given.codeHash)).toBeNull()
      }
    })

    it('consumes once, recording what the exchange issues in the same write', async () => {
      const { store, userId, clientId } = await parties()
      const created = await store.authorizationCodes.create(code(userId, clientId))
      const issued = exchange()
      expect(await store.authorizationCodes.consume(created.id, T + 1000, issued)).toBe(true)
      const consumed = { ...created, consumedAt: T + 1000, ...issued }
      expect(await store.authorizationCodes.findByHash(created.codeHash)).toEqual(consumed)
      expect(await store.authorizationCodes.consume(created.id, T + 2000, exchange())).toBe(false)
      expect(await store.authorizationCodes.findByHash(created.codeHash)).toEqual(consumed) // the loser wrote nothing
      expect(await store.authorizationCodes.consume(randomUUID(), T, exchange())).toBe(false)
    })

    it('records an exchange that issues no refresh token', async () => {
      const { store, userId, clientId } = await parties()
      const created = await store.authorizationCodes.create(code(userId, clientId))
      const issued = exchange({ familyId: null })
      expect(await store.authorizationCodes.consume(created.id, T + 1, issued)).toBe(true)
      expect(await store.authorizationCodes.findByHash(created.codeHash)).toMatchObject({ consumedAt: T + 1, ...issued })
    })

    it('of concurrent exchanges of one code exactly one wins, and the stored exchange is the winner\'s', async () => {
      const { store, userId, clientId } = await parties()
      for (let round = 0; round < 10; round += 1) {
        const created = await store.authorizationCodes.create(code(userId, clientId))
        const attempts = Array.from({ length: 2 + (round % 4) }, () => exchange())
        const results = await Promise.all(attempts.map((issued) => store.authorizationCodes.consume(created.id, T + 1, issued)))
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = attempts[results.indexOf(true)]!
        expect(await store.authorizationCodes.findByHash(created.codeHash)).toEqual({ ...created, consumedAt: T + 1, ...winner })
      }
    })

    it('marks a replay once and returns the code as stored; null for a code that is gone', async () => {
      const { store, userId, clientId } = await parties()
      const created = await store.authorizationCodes.create(code(userId, clientId))
      const issued = exchange()
      await store.authorizationCodes.consume(created.id, T + 1, issued)
      const replayed = { ...created, consumedAt: T + 1, ...issued, replayedAt: T + 2 }
      expect(await store.authorizationCodes.markReplayed(created.id, T + 2)).toEqual(replayed)
      expect(await store.authorizationCodes.markReplayed(created.id, T + 3)).toEqual(replayed) // the first replay's time stands
      expect(await store.authorizationCodes.findByHash(created.codeHash)).toEqual(replayed)
      expect(await store.authorizationCodes.markReplayed(randomUUID(), T + 3)).toBeNull()
    })

    it('housekeeping keeps an exchanged code until its access token has expired, an unexchanged one until it has', async () => {
      const { store, userId, clientId } = await parties()
      const now = T + 60 * MINUTE
      const make = (expiresAt: number) => store.authorizationCodes.create(code(userId, clientId, { expiresAt }))
      const unusedExpired = await make(now - 1)
      const unusedAtEdge = await make(now)
      const unusedLive = await make(now + MINUTE)
      const exchangedTokenLive = await make(now - 1)
      const exchangedTokenAtEdge = await make(now - 1)
      const exchangedTokenExpired = await make(now - 1)
      await store.authorizationCodes.consume(exchangedTokenLive.id, T, exchange({ accessTokenExpiresAt: now + MINUTE }))
      await store.authorizationCodes.consume(exchangedTokenAtEdge.id, T, exchange({ accessTokenExpiresAt: now }))
      await store.authorizationCodes.consume(exchangedTokenExpired.id, T, exchange({ accessTokenExpiresAt: now - 1 }))
      expect(await store.authorizationCodes.deleteExpired(now)).toBe(2)
      for (const gone of [unusedExpired, exchangedTokenExpired]) expect(await store.authorizationCodes.findByHash(gone.codeHash)).toBeNull()
      for (const kept of [unusedAtEdge, unusedLive, exchangedTokenLive, exchangedTokenAtEdge]) {
        expect(await store.authorizationCodes.findByHash(kept.codeHash)).not.toBeNull()
      }
      expect(await store.authorizationCodes.deleteExpired(now)).toBe(0)
    })
  })
}
