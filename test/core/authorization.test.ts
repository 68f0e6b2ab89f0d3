import { describe, expect, it } from 'vitest'
import { hashAuthorizationCode } from '../../src/core/authorization-code.js'
import { resolveAuthorizationTarget, validateAuthorizationRequest, type AuthorizationRequest } from '../../src/core/authorization-request.js'
import { authorizationErrorUrl, authorize, nextStep } from '../../src/core/authorization.js'
import { startBrowserSession, type SignedIn } from '../../src/core/browser-session.js'
import { fixedClock } from '../../src/core/clock.js'
import { AuthorizationRedirectError } from '../../src/core/errors.js'
import { s256Challenge } from '../../src/core/pkce.js'
import type { NewClient } from '../../src/core/ports.js'
import { inMemoryClients } from './in-memory-sessions.js'
import { inMemoryAuthorizationCodes, inMemoryBrowserSessions, inMemoryConsents } from './in-memory-sign-in.js'
import { inMemoryUsers } from './in-memory-stores.js'

const NOW = Date.UTC(2026, 0, 1)
const ISSUER = 'https://auth.example.test'
const REDIRECT_URI = 'https://app.example.com/callback'
const CHALLENGE = s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
const POLICY = { idleSeconds: 3600, absoluteSeconds: 86400 }

const APP: NewClient = {
  id: 'third-party', name: 'Third-party app', type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
  redirectUris: [REDIRECT_URI, 'https://app.example.com/cb?tenant=a'], resources: ['https://api.example.com'],
}
const OWN: NewClient = { ...APP, id: 'first-party', name: 'Our app', firstParty: true }

async function setup() {
  const clock = fixedClock(NOW)
  const users = inMemoryUsers()
  const clients = inMemoryClients()
  const browserSessions = inMemoryBrowserSessions()
  const consents = inMemoryConsents()
  const authorizationCodes = inMemoryAuthorizationCodes()
  await clients.create(APP)
  await clients.create(OWN)
  const user = await users.create({ username: 'johndoe', passwordHash: 'x', scopes: ['me', 'items'] })
  const signIn = { userId: user.id, amr: ['pwd'], ip: null, userAgent: null }
  const { session } = await startBrowserSession(signIn, { browserSessions, policy: POLICY, clock })
  const signedIn: SignedIn = { session, user }

  async function request(overrides: Record<string, string | undefined> = {}): Promise<AuthorizationRequest> {
    const all = {
      client_id: APP.id, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid profile', state: 'xyz',
      code_challenge: CHALLENGE, code_challenge_method: 'S256', ...overrides,
    }
    const params = new URLSearchParams(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined))
    return validateAuthorizationRequest(params, await resolveAuthorizationTarget(params, clients))
  }

  return { clock, user, consents, browserSessions, authorizationCodes, signedIn, request, deps: { consents, clock } }
}

async function refusal(pending: Promise<unknown>): Promise<AuthorizationRedirectError> {
  const error = await pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
  expect(error).toBeInstanceOf(AuthorizationRedirectError)
  return error as AuthorizationRedirectError
}

describe('nextStep: signed in?', () => {
  it('asks a browser without a session to sign in', async () => {
    const { request, deps } = await setup()
    expect(await nextStep(await request(), null, deps)).toEqual({ kind: 'sign_in' })
  })

  it('prompt=none without a session: login_required, never a page (OIDC Core §3.1.2.6)', async () => {
    const { request, deps } = await setup()
    const error = await refusal(nextStep(await request({ prompt: 'none' }), null, deps))
    expect(error.code).toBe('login_required')
  })

  it('prompt=login asks a signed-in user to sign in again, until they just did (OIDC Core §3.1.2.1)', async () => {
    const { request, deps, signedIn } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid', 'profile'], NOW)
    const r = await request({ prompt: 'login' })
    expect(await nextStep(r, signedIn, deps)).toEqual({ kind: 'sign_in' })
    expect(await nextStep(r, signedIn, deps, { justSignedIn: true })).toEqual({ kind: 'issue', signedIn })
  })

  it('max_age: a sign-in exactly max_age old still counts, one a millisecond older does not', async () => {
    const { request, deps, signedIn, clock } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid', 'profile'], NOW)
    const r = await request({ max_age: '300' })
    clock.advance(300_000)
    expect(await nextStep(r, signedIn, deps)).toMatchObject({ kind: 'issue' })
    clock.advance(1)
    expect(await nextStep(r, signedIn, deps)).toEqual({ kind: 'sign_in' })
    expect(await nextStep(r, signedIn, deps, { justSignedIn: true })).toMatchObject({ kind: 'issue' })
  })

  it('max_age=0 asks for a sign-in as soon as any time has passed', async () => {
    const { request, deps, signedIn, clock } = await setup()
    clock.advance(1000)
    expect(await nextStep(await request({ max_age: '0' }), signedIn, deps)).toEqual({ kind: 'sign_in' })
  })

  it('prompt=none with a sign-in older than max_age: login_required', async () => {
    const { request, deps, signedIn, clock } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid', 'profile'], NOW)
    clock.advance(61_000)
    expect((await refusal(nextStep(await request({ prompt: 'none', max_age: '60' }), signedIn, deps))).code).toBe('login_required')
    // The positive control: the same request within max_age is answered without a page.
    expect(await nextStep(await request({ prompt: 'none', max_age: '120' }), signedIn, deps)).toMatchObject({ kind: 'issue' })
  })
})

describe('nextStep: consent?', () => {
  it('asks for consent the first time a third-party app asks', async () => {
    const { request, deps, signedIn } = await setup()
    expect(await nextStep(await request(), signedIn, deps)).toEqual({ kind: 'consent', signedIn })
  })

  it('prompt=none without consent: consent_required', async () => {
    const { request, deps, signedIn } = await setup()
    expect((await refusal(nextStep(await request({ prompt: 'none' }), signedIn, deps))).code).toBe('consent_required')
  })

  it('issues without asking when remembered consent covers the scopes', async () => {
    const { request, deps, signedIn } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid', 'profile', 'email'], NOW)
    expect(await nextStep(await request({ scope: 'openid profile' }), signedIn, deps)).toEqual({ kind: 'issue', signedIn })
    expect(await nextStep(await request({ scope: 'openid profile', prompt: 'none' }), signedIn, deps)).toEqual({ kind: 'issue', signedIn })
  })

  it('asks again when the app asks for a scope beyond what was allowed', async () => {
    const { request, deps, signedIn } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid'], NOW)
    expect(await nextStep(await request({ scope: 'openid' }), signedIn, deps)).toMatchObject({ kind: 'issue' })
    expect(await nextStep(await request({ scope: 'openid email' }), signedIn, deps)).toMatchObject({ kind: 'consent' })
  })

  it('counts consent per client: allowing one app does not allow another', async () => {
    const { request, deps, signedIn } = await setup()
    await deps.consents.grant(signedIn.user.id, 'some-other-client', ['openid', 'profile'], NOW)
    expect(await nextStep(await request(), signedIn, deps)).toMatchObject({ kind: 'consent' })
  })

  it('prompt=consent asks even with remembered consent', async () => {
    const { request, deps, signedIn } = await setup()
    await deps.consents.grant(signedIn.user.id, APP.id, ['openid', 'profile'], NOW)
    expect(await nextStep(await request({ prompt: 'consent' }), signedIn, deps)).toMatchObject({ kind: 'consent' })
  })

  it('skips consent for a first-party client, unless prompt=consent', async () => {
    const { request, deps, signedIn } = await setup()
    expect(await nextStep(await request({ client_id: OWN.id }), signedIn, deps)).toEqual({ kind: 'issue', signedIn })
    expect(await nextStep(await request({ client_id: OWN.id, prompt: 'consent' }), signedIn, deps)).toMatchObject({ kind: 'consent' })
  })

  it('prompt=login consent: signs in first, then asks', async () => {
    const { request, deps, signedIn } = await setup()
    const r = await request({ client_id: OWN.id, prompt: 'login consent' })
    expect(await nextStep(r, signedIn, deps)).toEqual({ kind: 'sign_in' })
    expect(await nextStep(r, signedIn, deps, { justSignedIn: true })).toMatchObject({ kind: 'consent' })
  })
})

describe('authorize: the code and its redirect', () => {
  it('redirects to the redirect URI with code, state and iss (RFC 9207)', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const url = await authorize(await request(), signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(url.startsWith(`${REDIRECT_URI}?`)).toBe(true)
    const params = new URL(url).searchParams
    expect([...params.keys()]).toEqual(['code', 'state', 'iss'])
    expect(params.get('state')).toBe('xyz')
    expect(params.get('iss')).toBe(ISSUER)
    expect(params.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('stores only the hash of the code, bound to client, redirect URI, challenge and the sign-in, for 60 s', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const r = await request({ nonce: 'n-0S6', scope: 'openid email', resource: 'https://api.example.com' })
    const code = new URL(await authorize(r, signedIn, ISSUER, { authorizationCodes, browserSessions, clock })).searchParams.get('code') as string
    const [stored] = [...authorizationCodes.records.values()]
    expect(stored).toMatchObject({
      codeHash: hashAuthorizationCode(code), clientId: APP.id, userId: signedIn.user.id, redirectUri: REDIRECT_URI, scopes: ['openid', 'email'],
      codeChallenge: CHALLENGE, nonce: 'n-0S6', audience: ['https://api.example.com'], authTime: NOW / 1000, amr: ['pwd'],
      browserSessionId: signedIn.session.id, createdAt: NOW, expiresAt: NOW + 60_000, consumedAt: null,
    })
    expect(JSON.stringify(stored)).not.toContain(code)
  })

  it('issues a different code each time', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const r = await request()
    const a = await authorize(r, signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    const b = await authorize(r, signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(new URL(a).searchParams.get('code')).not.toBe(new URL(b).searchParams.get('code'))
    expect(authorizationCodes.records.size).toBe(2)
  })

  it('counts as use of the browser session: its idle lifetime starts again', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    clock.advance(600_000)
    await authorize(await request(), signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(browserSessions.records.get(signedIn.session.id)?.lastSeenAt).toBe(NOW + 600_000)
  })

  it('keeps a registered query and appends the response to it (RFC 6749 §3.1.2)', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const r = await request({ redirect_uri: 'https://app.example.com/cb?tenant=a' })
    const url = await authorize(r, signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(url).toMatch(/^https:\/\/app\.example\.com\/cb\?tenant=a&code=[A-Za-z0-9_-]{43}&state=xyz&iss=/)
  })

  it('sends no state when the request had none', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const url = await authorize(await request({ state: undefined }), signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(new URL(url).searchParams.has('state')).toBe(false)
    expect(new URL(url).searchParams.get('iss')).toBe(ISSUER)
  })

  it('echoes a state with characters that need encoding unchanged', async () => {
    const { request, signedIn, authorizationCodes, browserSessions, clock } = await setup()
    const state = 'a b&c=d/é+%'
    const url = await authorize(await request({ state }), signedIn, ISSUER, { authorizationCodes, browserSessions, clock })
    expect(new URL(url).searchParams.get('state')).toBe(state)
  })
})

describe('authorizationErrorUrl (RFC 6749 §4.1.2.1)', () => {
  it('sends error, error_description, state and iss to the redirect URI', async () => {
    const { request } = await setup()
    const url = authorizationErrorUrl(await request(), ISSUER, new AuthorizationRedirectError('access_denied', 'The user denied the request'))
    expect(url.startsWith(`${REDIRECT_URI}?`)).toBe(true)
    expect(Object.fromEntries(new URL(url).searchParams)).toEqual({
      error: 'access_denied', error_description: 'The user denied the request', state: 'xyz', iss: ISSUER,
    })
  })

  it('adds no second separator to a registered URI ending in ? or &', () => {
    const error = new AuthorizationRedirectError('login_required', 'The user must sign in')
    const target = (redirectUri: string) => ({ client: {} as never, redirectUri, state: null })
    expect(authorizationErrorUrl(target('https://app.example.com/cb?'), ISSUER, error))
      .toMatch(/^https:\/\/app\.example\.com\/cb\?error=login_required&/)
    expect(authorizationErrorUrl(target('https://app.example.com/cb?a=1&'), ISSUER, error))
      .toMatch(/^https:\/\/app\.example\.com\/cb\?a=1&error=login_required&/)
  })
})
