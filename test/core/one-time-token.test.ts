import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ONE_TIME_TOKEN_SECONDS, consumeOneTimeToken, findLiveOneTimeToken, hasOneTimeTokenShape, hashOneTimeToken, issueOneTimeToken,
} from '../../src/core/one-time-token.js'
import type { OneTimeTokenStore } from '../../src/core/ports.js'
import { NOW, openFixture, type Fixture } from './mail-link-fixtures.js'

// Single-use tokens (issue 10): 256 random bits, handed out once, stored as SHA-256 hex; a new
// one of a purpose voids the user's older ones; findLive reads without spending, consume spends once.

let fx: Fixture
beforeEach(async () => { fx = await openFixture() })
afterEach(async () => { await fx.close() })

const deps = () => ({ oneTimeTokens: fx.store.oneTimeTokens, clock: fx.clock })

describe('issueOneTimeToken', () => {
  it('hands out 256 random bits as base64url and stores only their SHA-256, with the purpose\'s lifetime', async () => {
    const user = await fx.account('ada', { email: 'ada@example.com' })
    const { token, record } = await issueOneTimeToken({ purpose: 'reset_password', userId: user.id, email: 'ada@example.com' }, deps())
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(token, 'base64url')).toHaveLength(32)
    expect(record.tokenHash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(record).toMatchObject({ purpose: 'reset_password', userId: user.id, email: 'ada@example.com', createdAt: NOW, expiresAt: NOW + 30 * 60 * 1000, consumedAt: null })
    expect(JSON.stringify(record)).not.toContain(token)
  })

  it('gives each purpose its lifetime: 24 h to verify or change an address, 30 min to reset, 5 min for mfa, 10 min to link a provider', () => {
    expect(ONE_TIME_TOKEN_SECONDS).toEqual({ verify_email: 86400, reset_password: 1800, change_email: 86400, mfa: 300, link_provider: 600 })
  })

  it('makes the user\'s older unspent tokens of the same purpose void, and leaves other purposes and users alone', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const bob = await fx.account('bob', { email: 'bob@example.com' })
    const first = await issueOneTimeToken({ purpose: 'reset_password', userId: ada.id, email: ada.email }, deps())
    const verify = await issueOneTimeToken({ purpose: 'verify_email', userId: ada.id, email: ada.email }, deps())
    const bobs = await issueOneTimeToken({ purpose: 'reset_password', userId: bob.id, email: bob.email }, deps())
    const second = await issueOneTimeToken({ purpose: 'reset_password', userId: ada.id, email: ada.email }, deps())
    expect(await findLiveOneTimeToken(first.token, 'reset_password', deps())).toBeNull()
    expect(await findLiveOneTimeToken(second.token, 'reset_password', deps())).not.toBeNull()
    expect(await findLiveOneTimeToken(verify.token, 'verify_email', deps())).not.toBeNull()
    expect(await findLiveOneTimeToken(bobs.token, 'reset_password', deps())).not.toBeNull()
  })

  it('never hands out the same token twice', async () => {
    const user = await fx.account('ada')
    const tokens = new Set<string>()
    for (let i = 0; i < 20; i += 1) tokens.add((await issueOneTimeToken({ purpose: 'mfa', userId: user.id, data: { client_id: null } }, deps())).token)
    expect(tokens.size).toBe(20)
  })
})

describe('findLiveOneTimeToken and consumeOneTimeToken', () => {
  it('reads a token without spending it, then spends it exactly once', async () => {
    const user = await fx.account('ada', { email: 'ada@example.com' })
    const { token } = await issueOneTimeToken({ purpose: 'verify_email', userId: user.id, email: user.email }, deps())
    expect((await findLiveOneTimeToken(token, 'verify_email', deps()))?.userId).toBe(user.id)
    expect((await findLiveOneTimeToken(token, 'verify_email', deps()))?.userId).toBe(user.id)
    const used = await consumeOneTimeToken(token, 'verify_email', deps())
    expect(used).toMatchObject({ userId: user.id, consumedAt: NOW })
    expect(await consumeOneTimeToken(token, 'verify_email', deps())).toBeNull()
    expect(await findLiveOneTimeToken(token, 'verify_email', deps())).toBeNull()
  })

  it('lets exactly one of two concurrent uses win', async () => {
    const user = await fx.account('ada', { email: 'ada@example.com' })
    const { token } = await issueOneTimeToken({ purpose: 'reset_password', userId: user.id, email: user.email }, deps())
    const results = await Promise.all([consumeOneTimeToken(token, 'reset_password', deps()), consumeOneTimeToken(token, 'reset_password', deps())])
    expect(results.filter((r) => r !== null)).toHaveLength(1)
  })

  it('refuses a token of another purpose: a verification link is no reset link', async () => {
    const user = await fx.account('ada', { email: 'ada@example.com' })
    const { token } = await issueOneTimeToken({ purpose: 'verify_email', userId: user.id, email: user.email }, deps())
    expect(await findLiveOneTimeToken(token, 'reset_password', deps())).toBeNull()
    expect(await consumeOneTimeToken(token, 'reset_password', deps())).toBeNull()
    expect(await consumeOneTimeToken(token, 'verify_email', deps())).not.toBeNull()
  })

  it('refuses a token at its expiry, and works up to the millisecond before', async () => {
    const user = await fx.account('ada', { email: 'ada@example.com' })
    const early = await issueOneTimeToken({ purpose: 'reset_password', userId: user.id, email: user.email }, deps())
    fx.clock.advance(30 * 60 * 1000 - 1)
    expect(await findLiveOneTimeToken(early.token, 'reset_password', deps())).not.toBeNull()
    fx.clock.advance(1)
    expect(await findLiveOneTimeToken(early.token, 'reset_password', deps())).toBeNull()
    expect(await consumeOneTimeToken(early.token, 'reset_password', deps())).toBeNull()
  })

  it('refuses anything not shaped like a token without asking the store', async () => {
    const asked: string[] = []
    const spy = new Proxy({} as OneTimeTokenStore, { get: (_t, name) => async () => { asked.push(String(name)); return null } })
    for (const token of [undefined, null, '', 'short', 'x'.repeat(44), `${'a'.repeat(42)}=`, 42, ['a'.repeat(43)]]) {
      expect(hasOneTimeTokenShape(token)).toBe(false)
      expect(await findLiveOneTimeToken(token, 'verify_email', { oneTimeTokens: spy, clock: fx.clock })).toBeNull()
      expect(await consumeOneTimeToken(token, 'verify_email', { oneTimeTokens: spy, clock: fx.clock })).toBeNull()
    }
    expect(asked).toEqual([])
    expect(hashOneTimeToken('a'.repeat(43))).toMatch(/^[0-9a-f]{64}$/)
  })
})
