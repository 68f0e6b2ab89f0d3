import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IdentityProviderRecord } from '../../src/core/index.js'
import { UpstreamRefused, createUpstreams } from '../../src/http/federation/upstream.js'
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js'
import { follow } from '../support/redirects.js'
import { startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js'

// Tessera as a relying party (issue 11 part 2) against real local providers: oidc-provider as
// "Google", and a GitHub-shaped OAuth app server. The flows stop at Tessera's callback URL, as the
// browser would bring it back; what finish() accepts and refuses is what the callback will.

const CALLBACK = 'http://127.0.0.1:9/signin/callback'
const upstreams = createUpstreams()
const T = Date.UTC(2026, 0, 1)

function provider(overrides: Partial<IdentityProviderRecord>): IdentityProviderRecord {
  return { id: 'google', kind: 'oidc', label: 'Google', issuer: '', clientId: '', clientSecret: '', scopes: ['openid', 'email', 'profile'], createdAt: T, updatedAt: T, ...overrides }
}

describe('an OpenID Provider (discovery, PKCE, state, nonce, signed id_token)', () => {
  let op: UpstreamOidc
  let google: IdentityProviderRecord
  const redirectUri = `${CALLBACK}/google`
  beforeAll(async () => {
    op = await startUpstreamOidc({ redirectUris: [redirectUri], autoLogin: 'g-1' })
    op.addUser({ sub: 'g-1', email: 'ada@example.com', email_verified: true, name: 'Ada Lovelace', password: 'x' })
    google = provider({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret })
  })
  afterAll(() => op?.close())

  async function signIn() {
    const request = await upstreams.start(google, redirectUri)
    expect(Object.fromEntries(request.url.searchParams)).toMatchObject({ code_challenge_method: 'S256', state: request.state, nonce: request.nonce, scope: 'openid email profile' })
    return { request, callback: new URL(await follow(request.url.href, redirectUri)) }
  }

  it('says who signed in once every check passes', async () => {
    const { request, callback } = await signIn()
    const identity = await upstreams.finish(google, callback, { state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier, redirectUri })
    expect(identity).toEqual({ providerId: 'google', subject: 'g-1', email: 'ada@example.com', emailVerified: true, name: 'Ada Lovelace', preferredUsername: null })
  })

  it('refuses a wrong state, a wrong nonce, a wrong PKCE verifier and a replayed callback', async () => {
    for (const spoil of [
      (e: { state: string; nonce: string | null; codeVerifier: string }) => ({ ...e, state: 'another-state' }),
      (e: { state: string; nonce: string | null; codeVerifier: string }) => ({ ...e, nonce: 'another-nonce' }),
      (e: { state: string; nonce: string | null; codeVerifier: string }) => ({ ...e, codeVerifier: 'x'.repeat(43) }),
    ]) {
      const { request, callback } = await signIn()
      await expect(upstreams.finish(google, callback, { ...spoil(request), redirectUri })).rejects.toBeInstanceOf(UpstreamRefused)
    }
    const { request, callback } = await signIn()
    const expected = { state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier, redirectUri }
    await upstreams.finish(google, callback, expected)
    await expect(upstreams.finish(google, callback, expected)).rejects.toBeInstanceOf(UpstreamRefused)   // the code is spent upstream
  })

  it('refuses an answer when the client is not the one the provider knows (its code is not ours to exchange)', async () => {
    const other = provider({ id: 'google2', issuer: op.issuer, clientId: 'another-client', clientSecret: op.clientSecret })
    const { request, callback } = await signIn()
    await expect(upstreams.finish(other, callback, { state: request.state, nonce: request.nonce, codeVerifier: request.codeVerifier, redirectUri }))
      .rejects.toBeInstanceOf(UpstreamRefused)
  })
})

describe('GitHub (OAuth app + REST API)', () => {
  let gh: FakeGitHub
  let github: IdentityProviderRecord
  const redirectUri = `${CALLBACK}/github`
  beforeAll(async () => {
    gh = await startFakeGitHub({ redirectUris: [redirectUri], autoLogin: 'octocat' })
    gh.addUser({
      id: 583231, login: 'octocat', name: 'The Octocat', password: 'x',
      emails: [{ email: 'octo@old.example', primary: false, verified: false }, { email: 'octocat@github.example', primary: true, verified: true }],
    })
    github = provider({ id: 'github', kind: 'github', issuer: gh.baseUrl, clientId: gh.clientId, clientSecret: gh.clientSecret, scopes: ['read:user', 'user:email'] })
  })
  afterAll(() => gh?.close())

  it('takes the numeric id as subject, the primary verified address, and the login as a username suggestion', async () => {
    const request = await upstreams.start(github, redirectUri)
    expect(request.url.pathname).toBe('/login/oauth/authorize')
    const callback = new URL(await follow(request.url.href, redirectUri))
    const identity = await upstreams.finish(github, callback, { state: request.state, nonce: null, codeVerifier: request.codeVerifier, redirectUri })
    expect(identity).toEqual({
      providerId: 'github', subject: '583231', email: 'octocat@github.example', emailVerified: true, name: 'The Octocat', preferredUsername: 'octocat',
    })
  })

  it('refuses a wrong state and a wrong verifier', async () => {
    const request = await upstreams.start(github, redirectUri)
    const callback = new URL(await follow(request.url.href, redirectUri))
    await expect(upstreams.finish(github, callback, { state: 'nope', nonce: null, codeVerifier: request.codeVerifier, redirectUri })).rejects.toBeInstanceOf(UpstreamRefused)
    const again = await upstreams.start(github, redirectUri)
    const back = new URL(await follow(again.url.href, redirectUri))
    await expect(upstreams.finish(github, back, { state: again.state, nonce: null, codeVerifier: 'y'.repeat(43), redirectUri })).rejects.toBeInstanceOf(UpstreamRefused)
  })
})
