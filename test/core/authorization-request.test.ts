import { describe, expect, it } from 'vitest'
import { resolveAuthorizationTarget, validateAuthorizationRequest } from '../../src/core/authorization-request.js'
import { AuthorizationRedirectError, InvalidAuthorizationRequest } from '../../src/core/errors.js'
import { s256Challenge } from '../../src/core/pkce.js'
import type { NewClient } from '../../src/core/ports.js'
import { inMemoryClients } from './in-memory-sessions.js'

const REDIRECT_URI = 'https://app.example.com/callback'
const CHALLENGE = s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')

const WEB: NewClient = {
  id: 'web-app', name: 'Web app', type: 'confidential', secretHash: null,
  grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
  redirectUris: [REDIRECT_URI], resources: ['https://api.example.com', 'https://other.example.com'],
}

async function clientsWith(...extra: NewClient[]) {
  const clients = inMemoryClients()
  for (const c of [WEB, ...extra]) await clients.create(c)
  return clients
}

/** What /authorize sees: the minimum a valid request carries, with `overrides` (undefined drops a parameter). */
function params(overrides: Record<string, string | string[] | undefined> = {}): URLSearchParams {
  const all: Record<string, string | string[] | undefined> = {
    client_id: 'web-app', redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid profile', state: 'xyz',
    code_challenge: CHALLENGE, code_challenge_method: 'S256', ...overrides,
  }
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(all)) {
    for (const v of value === undefined ? [] : Array.isArray(value) ? value : [value]) search.append(name, v)
  }
  return search
}

async function failure(pending: Promise<unknown>): Promise<unknown> {
  return pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)
}

function refusal(run: () => unknown): AuthorizationRedirectError {
  try {
    run()
  } catch (e) {
    if (e instanceof AuthorizationRedirectError) return e
    throw e
  }
  throw new Error('expected an AuthorizationRedirectError')
}

describe('resolveAuthorizationTarget: errors shown on a page, never redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.11.2)', () => {
  it('returns the client, the redirect URI as sent and the state', async () => {
    const target = await resolveAuthorizationTarget(params(), await clientsWith())
    expect(target.client.id).toBe('web-app')
    expect(target.redirectUri).toBe(REDIRECT_URI)
    expect(target.state).toBe('xyz')
  })

  it.each([
    ['no client_id', { client_id: undefined }, /names no client/],
    ['an empty client_id', { client_id: '' }, /names no client/],
    ['a repeated client_id', { client_id: ['web-app', 'web-app'] }, /client_id parameter is invalid/],
    ['an oversized client_id', { client_id: 'a'.repeat(513) }, /client_id parameter is invalid/],
    ['an unknown client_id', { client_id: 'nobody' }, /not registered here/],
    ['no redirect_uri', { redirect_uri: undefined }, /has no redirect_uri/],
    ['an empty redirect_uri', { redirect_uri: '' }, /has no redirect_uri/],
    ['a repeated redirect_uri', { redirect_uri: [REDIRECT_URI, REDIRECT_URI] }, /redirect_uri is not registered/],
    ['an unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }, /redirect_uri is not registered/],
    ['a near miss of the registered URI', { redirect_uri: `${REDIRECT_URI}/` }, /redirect_uri is not registered/],
  ])('refuses %s with InvalidAuthorizationRequest', async (_, overrides, message) => {
    const error = await failure(resolveAuthorizationTarget(params(overrides), await clientsWith()))
    expect(error).toBeInstanceOf(InvalidAuthorizationRequest)
    expect(error).not.toBeInstanceOf(AuthorizationRedirectError)
    expect((error as InvalidAuthorizationRequest).detail).toMatch(message)
  })

  it('never looks up an oversized client_id', async () => {
    const clients = await clientsWith()
    let lookups = 0
    const counting = { findById: async (id: string) => { lookups += 1; return clients.findById(id) } }
    await failure(resolveAuthorizationTarget(params({ client_id: 'a'.repeat(513) }), counting))
    expect(lookups).toBe(0)
    await resolveAuthorizationTarget(params({ client_id: 'web-app' }), counting)
    expect(lookups).toBe(1)
  })

  it('keeps the redirect URI as the native app sent it (its loopback port), which the code is bound to', async () => {
    const clients = await clientsWith({ ...WEB, id: 'native', type: 'public', redirectUris: ['http://127.0.0.1/callback'] })
    const target = await resolveAuthorizationTarget(params({ client_id: 'native', redirect_uri: 'http://127.0.0.1:51000/callback' }), clients)
    expect(target.redirectUri).toBe('http://127.0.0.1:51000/callback')
  })

  it('has no state to echo when it is absent, repeated or oversized', async () => {
    const clients = await clientsWith()
    expect((await resolveAuthorizationTarget(params({ state: undefined }), clients)).state).toBeNull()
    expect((await resolveAuthorizationTarget(params({ state: ['a', 'b'] }), clients)).state).toBeNull()
    expect((await resolveAuthorizationTarget(params({ state: 'a'.repeat(2049) }), clients)).state).toBeNull()
    expect((await resolveAuthorizationTarget(params({ state: 'a'.repeat(2048) }), clients)).state).toBe('a'.repeat(2048))
  })
})

describe('validateAuthorizationRequest: a valid request', () => {
  const validate = async (overrides: Record<string, string | string[] | undefined> = {}) => {
    const p = params(overrides)
    return validateAuthorizationRequest(p, await resolveAuthorizationTarget(p, await clientsWith()))
  }

  it('carries everything the later steps need, and the query as received', async () => {
    const extra = { nonce: 'n-0S6', prompt: 'login consent', max_age: '300', login_hint: 'johndoe', resource: 'https://api.example.com' }
    const request = await validate(extra)
    expect(request).toMatchObject({
      redirectUri: REDIRECT_URI, state: 'xyz', scopes: ['openid', 'profile'], nonce: 'n-0S6', codeChallenge: CHALLENGE,
      prompt: ['login', 'consent'], maxAge: 300, loginHint: 'johndoe', resources: ['https://api.example.com'],
    })
    expect(request.client.id).toBe('web-app')
    expect(new URLSearchParams(request.query).get('nonce')).toBe('n-0S6')
    expect(request.query).toBe(params(extra).toString())
  })

  it('leaves out absent or empty optional parameters', async () => {
    const request = await validate({ nonce: '', login_hint: '', max_age: '', prompt: '' })
    expect(request).toMatchObject({ nonce: null, loginHint: null, maxAge: null, prompt: [], resources: [] })
  })

  it('asks for the everyday scopes when none are named, as the password grant does', async () => {
    expect((await validate({ scope: undefined })).scopes).toEqual(['me', 'items'])
  })

  it('drops known scopes the client is not registered for, as /token does', async () => {
    expect((await validate({ scope: 'openid users:read items' })).scopes).toEqual(['openid', 'items'])
  })

  it('accepts max_age=0 (sign in again every time) and response_mode=query', async () => {
    expect((await validate({ max_age: '0', response_mode: 'query' })).maxAge).toBe(0)
  })

  it('accepts a repeated resource (RFC 8707 §2), once each', async () => {
    const request = await validate({ resource: ['https://api.example.com', 'https://other.example.com', 'https://api.example.com'] })
    expect(request.resources).toEqual(['https://api.example.com', 'https://other.example.com'])
  })

  it('accepts a nonce of 512 and a login_hint of 256 characters', async () => {
    const request = await validate({ nonce: 'n'.repeat(512), login_hint: 'h'.repeat(256) })
    expect(request.nonce).toHaveLength(512)
    expect(request.loginHint).toHaveLength(256)
  })
})

describe('validateAuthorizationRequest: refusals, redirected with their code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6)', () => {
  const refused = async (overrides: Record<string, string | string[] | undefined>, client: NewClient = WEB) => {
    const clients = await clientsWith(...(client === WEB ? [] : [client]))
    const p = params({ client_id: client.id, ...overrides })
    const target = await resolveAuthorizationTarget(p, clients)
    return refusal(() => validateAuthorizationRequest(p, target))
  }

  it.each([
    ['a repeated scope', { scope: ['openid', 'openid'] }, 'invalid_request', /scope parameter must not be repeated/],
    ['a repeated state', { state: ['a', 'b'] }, 'invalid_request', /state parameter must not be repeated/],
    ['a repeated code_challenge', { code_challenge: [CHALLENGE, CHALLENGE] }, 'invalid_request', /must not be repeated/],
    ['a request object', { request: 'eyJ...' }, 'request_not_supported', /Request objects/],
    ['a NUL in the nonce (stored with the code)', { nonce: 'a\u0000b' }, 'invalid_request', /nonce parameter must not contain control characters/],
    ['a newline in the login_hint', { login_hint: 'john\ndoe' }, 'invalid_request', /login_hint parameter must not contain control/],
    ['a request_uri', { request_uri: 'urn:example:1' }, 'request_uri_not_supported', /request_uri/],
    ['an oversized state', { state: 's'.repeat(2049) }, 'invalid_request', /state parameter is too long/],
    ['no response_type', { response_type: undefined }, 'invalid_request', /response_type parameter is missing/],
    ['an empty response_type', { response_type: '' }, 'invalid_request', /response_type parameter is missing/],
    ['response_type=token (implicit, RFC 9700 §2.1.2)', { response_type: 'token' }, 'unsupported_response_type', /Only response_type=code/],
    ['response_type=code id_token (hybrid)', { response_type: 'code id_token' }, 'unsupported_response_type', /Only response_type=code/],
    ['response_mode=fragment', { response_mode: 'fragment' }, 'invalid_request', /response_mode=query/],
    ['response_mode=form_post', { response_mode: 'form_post' }, 'invalid_request', /response_mode=query/],
    ['an unknown scope', { scope: 'openid admin' }, 'invalid_scope', /Unknown scope/],
    ['no code_challenge (PKCE is required of every client)', { code_challenge: undefined }, 'invalid_request', /code_challenge is required/],
    ['no code_challenge_method (its default is plain)', { code_challenge_method: undefined }, 'invalid_request', /must be S256/],
    ['code_challenge_method=plain', { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) }, 'invalid_request', /must be S256/],
    ['code_challenge_method=s256 (methods are case-sensitive)', { code_challenge_method: 's256' }, 'invalid_request', /must be S256/],
    ['a challenge that is no SHA-256', { code_challenge: 'a'.repeat(42) }, 'invalid_request', /not a base64url SHA-256/],
    ['a padded challenge', { code_challenge: `${CHALLENGE}=` }, 'invalid_request', /not a base64url SHA-256/],
    ['an oversized nonce', { nonce: 'n'.repeat(513) }, 'invalid_request', /nonce parameter is too long/],
    ['an oversized login_hint', { login_hint: 'h'.repeat(257) }, 'invalid_request', /login_hint parameter is too long/],
    ['an unknown prompt', { prompt: 'select_account' }, 'invalid_request', /prompt must be/],
    ['prompt=none with another value', { prompt: 'none login' }, 'invalid_request', /cannot be combined/],
    ['a negative max_age', { max_age: '-1' }, 'invalid_request', /max_age/],
    ['a fractional max_age', { max_age: '1.5' }, 'invalid_request', /max_age/],
    ['a non-numeric max_age', { max_age: 'ten' }, 'invalid_request', /max_age/],
    ['a huge max_age', { max_age: '1234567890' }, 'invalid_request', /max_age/],
    ['a resource the client may not use', { resource: 'https://evil.example' }, 'invalid_target', /not allowed for this client/],
    ['a relative resource', { resource: '/api' }, 'invalid_target', /absolute URI without a fragment/],
    ['a resource with a fragment', { resource: 'https://api.example.com#x' }, 'invalid_target', /absolute URI without a fragment/],
    ['more than ten resources', { resource: Array.from({ length: 11 }, (_, i) => `https://r${i}.example`) }, 'invalid_target', /At most 10/],
  ])('refuses %s', async (_, overrides, code, message) => {
    const error = await refused(overrides)
    expect(error.code).toBe(code)
    expect(error.detail).toMatch(message)
  })

  it('refuses a client not allowed the code flow: unauthorized_client', async () => {
    const service: NewClient = { ...WEB, id: 'service', grantTypes: ['client_credentials'] }
    expect((await refused({}, service)).code).toBe('unauthorized_client')
  })
})

describe('the two steps together', () => {
  it('judges the target before anything else: a bad redirect_uri with a bad response_type is shown, not redirected', async () => {
    const clients = await clientsWith()
    const error = await failure(resolveAuthorizationTarget(params({ redirect_uri: 'https://evil.example/cb', response_type: 'token' }), clients))
    expect(error).toBeInstanceOf(InvalidAuthorizationRequest)
  })
})
