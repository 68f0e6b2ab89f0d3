import { beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { postLogoutRedirectUrl, resolveEndSession, type EndSessionParameters } from '../../src/core/end-session.js'
import { InvalidAuthorizationRequest } from '../../src/core/errors.js'
import { createIdTokens, type IdTokens } from '../../src/core/id-token.js'
import type { NewClient } from '../../src/core/ports.js'
import { fixedSigningKeys } from '../../src/core/signing-key-ring.js'
import { buildKeySet, generateSigningKey } from '../../src/core/signing-keys.js'
import { inMemoryClients } from './in-memory-sessions.js'

const NOW = Date.UTC(2026, 0, 1)
const ISSUER = 'https://auth.example.test'
const BYE = 'https://app.example.com/bye'

const APP: NewClient = {
  id: 'app', name: 'App', type: 'public', secretHash: null, grantTypes: ['authorization_code'], scopes: ['openid'],
  redirectUris: ['https://app.example.com/callback'], postLogoutRedirectUris: [BYE, 'https://app.example.com/bye?lang=en'],
  idTokenSignedResponseAlg: 'EdDSA',
}
const OTHER: NewClient = { ...APP, id: 'other', postLogoutRedirectUris: ['https://other.example.com/bye'] }

let idTokens: IdTokens
let strangerTokens: IdTokens
const clock = fixedClock(NOW)

beforeAll(() => {
  const keySet = () => buildKeySet([generateSigningKey('EdDSA', { status: 'active', createdAt: NOW, purpose: 'id_token' })])
  const options = { issuer: ISSUER, expiresInSeconds: 600, clock, provideSigner: async () => { throw new Error('unused') } }
  idTokens = createIdTokens({ ...options, keys: fixedSigningKeys(keySet()) })
  strangerTokens = createIdTokens({ ...options, keys: fixedSigningKeys(keySet()) })   // same issuer name, other keys
})

async function setup() {
  const clients = inMemoryClients()
  await clients.create(APP)
  await clients.create(OTHER)
  const hint = (clientId = 'app') =>
    idTokens.issue({ subject: 'user-1', client: { id: clientId, idTokenSignedResponseAlg: 'EdDSA' }, authTime: 1, sessionId: 's-1' })
  const resolve = (parameters: EndSessionParameters) => resolveEndSession(parameters, { idTokens, clients })
  return { clients, hint, resolve }
}

async function refused(pending: Promise<unknown>): Promise<string> {
  const error = await pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
  expect(error).toBeInstanceOf(InvalidAuthorizationRequest)
  return (error as InvalidAuthorizationRequest).detail
}

describe('resolveEndSession: who asks', () => {
  it('without parameters: sign out to Tessera\'s own page', async () => {
    const { resolve } = await setup()
    expect(await resolve({})).toEqual({ hint: null, client: null, redirectUri: null, state: null })
    expect(await resolve({ idTokenHint: '', postLogoutRedirectUri: '' })).toEqual({ hint: null, client: null, redirectUri: null, state: null })
  })

  it('learns the user, session and client from a genuine id_token_hint', async () => {
    const { resolve, hint } = await setup()
    const request = await resolve({ idTokenHint: await hint() })
    expect(request.hint).toEqual({ sub: 'user-1', aud: ['app'], sid: 's-1' })
    expect(request.client?.id).toBe('app')
  })

  it('accepts an expired id_token_hint (§2)', async () => {
    const { resolve, hint } = await setup()
    const token = await hint()
    clock.advance(7 * 86_400_000)
    try {
      expect((await resolve({ idTokenHint: token })).hint?.sub).toBe('user-1')
    } finally {
      clock.set(NOW)
    }
  })

  it('refuses an id_token_hint it did not issue', async () => {
    const { resolve } = await setup()
    const forged = await strangerTokens.issue({ subject: 'user-1', client: { id: 'app', idTokenSignedResponseAlg: 'EdDSA' }, authTime: 1 })
    expect(await refused(resolve({ idTokenHint: forged }))).toMatch(/not issued by this server/)
    expect(await refused(resolve({ idTokenHint: 'garbage' }))).toMatch(/not issued by this server/)
  })

  it('refuses a client_id that disagrees with the hint\'s audience; accepts one that agrees', async () => {
    const { resolve, hint } = await setup()
    const token = await hint()
    expect(await refused(resolve({ idTokenHint: token, clientId: 'other' }))).toMatch(/does not match the id_token_hint/)
    expect((await resolve({ idTokenHint: token, clientId: 'app' })).client?.id).toBe('app')
  })

  it('refuses an unknown client_id', async () => {
    const { resolve } = await setup()
    expect(await refused(resolve({ clientId: 'nobody' }))).toMatch(/not registered here/)
    expect(await refused(resolve({ clientId: 'x'.repeat(513) }))).toMatch(/not registered here/)
  })

  it('signs out without a client when the hint\'s client was deleted since, but then may not redirect', async () => {
    const { resolve, hint, clients } = await setup()
    const token = await hint()
    await clients.delete('app')
    expect(await resolve({ idTokenHint: token })).toMatchObject({ hint: { sub: 'user-1' }, client: null, redirectUri: null })
    expect(await refused(resolve({ idTokenHint: token, postLogoutRedirectUri: BYE }))).toMatch(/needs an id_token_hint or a client_id/)
  })

  it('refuses a state over 2048 characters', async () => {
    const { resolve } = await setup()
    expect(await refused(resolve({ state: 's'.repeat(2049) }))).toMatch(/state parameter is too long/)
    expect((await resolve({ state: 's'.repeat(2048) })).state).toHaveLength(2048)
  })
})

describe('resolveEndSession: where the browser goes (§3: never an unregistered URI)', () => {
  it('goes to a registered post_logout_redirect_uri of the client named by the hint or client_id, with state', async () => {
    const { resolve, hint } = await setup()
    expect(await resolve({ idTokenHint: await hint(), postLogoutRedirectUri: BYE, state: 'st' })).toMatchObject({ redirectUri: BYE, state: 'st' })
    expect(await resolve({ clientId: 'app', postLogoutRedirectUri: BYE })).toMatchObject({ redirectUri: BYE, state: null })
  })

  it('refuses a post_logout_redirect_uri with no client to check it against', async () => {
    const { resolve } = await setup()
    expect(await refused(resolve({ postLogoutRedirectUri: BYE }))).toMatch(/needs an id_token_hint or a client_id/)
  })

  it.each([
    ['unregistered', 'https://evil.example/bye'],
    ['with a trailing slash', `${BYE}/`],
    ['with another query', `${BYE}?lang=de`],
    ['in another case', 'https://APP.example.com/bye'],
    ['registered by another client', 'https://other.example.com/bye'],
    ['the client\'s redirect_uri, not a post-logout one', 'https://app.example.com/callback'],
  ])('refuses a post_logout_redirect_uri %s', async (_, uri) => {
    const { resolve, hint } = await setup()
    expect(await refused(resolve({ idTokenHint: await hint(), postLogoutRedirectUri: uri }))).toMatch(/not registered for this application/)
    expect(await refused(resolve({ clientId: 'app', postLogoutRedirectUri: uri }))).toMatch(/not registered for this application/)
  })
})

describe('postLogoutRedirectUrl', () => {
  it('is null without a redirect URI (Tessera\'s signed-out page)', () => {
    expect(postLogoutRedirectUrl({ redirectUri: null, state: 'st' })).toBeNull()
  })

  it('is the registered URI as it is without state, with state appended otherwise', () => {
    expect(postLogoutRedirectUrl({ redirectUri: BYE, state: null })).toBe(BYE)
    expect(postLogoutRedirectUrl({ redirectUri: BYE, state: 'st' })).toBe(`${BYE}?state=st`)
    expect(postLogoutRedirectUrl({ redirectUri: `${BYE}?lang=en`, state: 'st' })).toBe(`${BYE}?lang=en&state=st`)
  })

  it('encodes the state so it comes back unchanged and adds no parameter', () => {
    const url = postLogoutRedirectUrl({ redirectUri: BYE, state: 'a b&evil=1#x' }) as string
    expect(Object.fromEntries(new URL(url).searchParams)).toEqual({ state: 'a b&evil=1#x' })
  })
})
