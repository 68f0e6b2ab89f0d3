import { decodeProtectedHeader } from 'jose'
import * as client from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from './fake-github.js'
import { cookieHeader, follow, keepCookies, type Jar } from './redirects.js'
import { startUpstreamOidc, type UpstreamOidc } from './upstream-oidc.js'

// Nothing listens here: the flows stop at the redirect, as Tessera's callback would receive it.
const CALLBACK = 'http://127.0.0.1:9/signin/callback/'

describe('upstream OIDC provider (Google stand-in)', () => {
  let op: UpstreamOidc
  let config: client.Configuration
  const redirectUri = `${CALLBACK}google`
  const ada = { sub: 'g-123', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', password: 'analytical' }

  beforeAll(async () => {
    op = await startUpstreamOidc({ redirectUris: [redirectUri], autoLogin: 'g-123' })
    op.addUser(ada)
    config = await client.discovery(new URL(op.issuer), op.clientId, op.clientSecret, undefined, {
      execute: [client.allowInsecureRequests],
    })
  })
  afterAll(() => op?.close())

  async function codeFlow(signIn: (authorizationUrl: string) => Promise<string>) {
    const [pkceCodeVerifier, state, nonce] = [client.randomPKCECodeVerifier(), client.randomState(), client.randomNonce()]
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid email profile', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier), code_challenge_method: 'S256',
    })
    const callback = await signIn(url.href)
    return client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier, expectedState: state, expectedNonce: nonce })
  }

  it('signs the autoLogin user in and issues an RS256 ID token with the profile claims', async () => {
    expect(config.serverMetadata().scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile']))
    const tokens = await codeFlow((url) => follow(url, redirectUri))
    expect(decodeProtectedHeader(tokens.id_token as string)).toMatchObject({ alg: 'RS256', kid: op.signingKey.kid })
    expect(tokens.claims()).toMatchObject({ iss: op.issuer, aud: op.clientId, sub: 'g-123', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace' })
  })

  it('refuses an authorization request without PKCE', async () => {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state: 's' })
    const callback = new URL(await follow(url.href, redirectUri))
    expect(callback.searchParams.get('error')).toBe('invalid_request')
  })

  it('signs in through the Email/Password form when autoLogin is off', async () => {
    op.setAutoLogin(undefined)
    const tokens = await codeFlow(async (url) => {
      const jar: Jar = new Map()
      const toForm = await fetch(url, { redirect: 'manual' })
      keepCookies(jar, toForm)
      const formUrl = new URL(toForm.headers.get('location') as string, url)
      const form = await fetch(formUrl, { headers: { cookie: cookieHeader(jar) } })
      expect(await form.text()).toMatch(/<label for="email">Email<\/label>[\s\S]*<label for="password">Password<\/label>[\s\S]*Sign in<\/button>/)
      const login = (password: string) => ({ method: 'POST', body: new URLSearchParams({ email: ada.email, password }) })
      expect((await fetch(`${formUrl.href}/login`, { ...login('nope'), headers: { cookie: cookieHeader(jar) } })).status).toBe(401)
      return follow(`${formUrl.href}/login`, redirectUri, login(ada.password), jar)
    }).finally(() => op.setAutoLogin('g-123'))
    expect(tokens.claims()?.sub).toBe('g-123')
  })
})

describe('fake GitHub', () => {
  let gh: FakeGitHub
  const redirectUri = `${CALLBACK}github`

  beforeAll(async () => {
    gh = await startFakeGitHub({ redirectUris: [redirectUri], autoLogin: 'octocat' })
    gh.addUser({
      id: 583231, login: 'octocat', name: 'The Octocat', password: 'hunter2',
      emails: [{ email: 'octo@example.com', primary: true, verified: true, visibility: 'public' }, { email: 'old@example.com', primary: false, verified: false }],
    })
  })
  afterAll(() => gh?.close())

  it('runs the OAuth app flow with PKCE and answers /user and /user/emails', async () => {
    const verifier = client.randomPKCECodeVerifier()
    const authorize = new URL('/login/oauth/authorize', gh.baseUrl)
    authorize.search = new URLSearchParams({
      client_id: gh.clientId, redirect_uri: redirectUri, state: 'st4te', scope: 'read:user user:email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    }).toString()
    const callback = new URL(await follow(authorize.href, redirectUri))
    expect(callback.searchParams.get('state')).toBe('st4te')
    const code = callback.searchParams.get('code') as string

    const exchange = (body: Record<string, string>) => fetch(`${gh.baseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', authorization: `Basic ${btoa(`${gh.clientId}:${gh.clientSecret}`)}` },
      body: new URLSearchParams(body),
    }).then((r) => r.json() as Promise<Record<string, string>>)
    const token = await exchange({ code, redirect_uri: redirectUri, code_verifier: verifier })
    expect(token).toEqual({ access_token: expect.stringMatching(/^gho_/), token_type: 'bearer', scope: 'read:user,user:email' })
    // Single use; GitHub reports it with a 200 and an error field.
    expect((await exchange({ code, code_verifier: verifier })).error).toBe('bad_verification_code')

    const api = (path: string, scheme = 'Bearer') =>
      fetch(`${gh.baseUrl}/api/v3${path}`, { headers: { authorization: `${scheme} ${token.access_token}` } }).then((r) => r.json())
    expect(await api('/user')).toMatchObject({ id: 583231, login: 'octocat', name: 'The Octocat', email: 'octo@example.com' })
    expect(await api('/user/emails', 'token')).toEqual([
      { email: 'octo@example.com', primary: true, verified: true, visibility: 'public' },
      { email: 'old@example.com', primary: false, verified: false, visibility: null },
    ])
  })

  it('rejects a wrong code_verifier', async () => {
    const authorize = new URL('/login/oauth/authorize', gh.baseUrl)
    authorize.search = new URLSearchParams({
      client_id: gh.clientId, redirect_uri: redirectUri, code_challenge: await client.calculatePKCECodeChallenge('a'.repeat(43)),
    }).toString()
    const code = new URL(await follow(authorize.href, redirectUri)).searchParams.get('code') as string
    const res = await fetch(`${gh.baseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: gh.clientId, client_secret: gh.clientSecret, code, code_verifier: 'b'.repeat(43) }),
    })
    expect(await res.json()).toMatchObject({ error: 'bad_verification_code' })
  })
})
