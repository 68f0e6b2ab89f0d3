import * as oidc from 'openid-client'
import type { IdentityProviderRecord, UpstreamIdentity } from '../../core/index.js'

/*
 * Tessera as a relying party upstream (issue 11): the authorization request it sends a provider
 * and what it makes of the answer. OpenID Providers go through openid-client v6, which checks
 * state, the PKCE binding, the id_token's signature against the provider's JWKS, iss, aud, exp
 * and the nonce. GitHub is OAuth 2.0 without id_tokens: its REST API says who signed in.
 */

/** What a callback needs to check its answer: kept server-side (hashed state), bound to the browser. */
export interface UpstreamRequest {
  url: URL
  state: string
  nonce: string | null
  codeVerifier: string
}

/** A provider's answer that proves nothing: wrong state, nonce, audience, signature, a failed exchange. */
export class UpstreamRefused extends Error {
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super(`upstream sign-in refused: ${reason}`, options)
  }
}

const TIMEOUT_MS = 10_000
/** Discovery documents and JWKS are fetched once per provider configuration and kept this long. */
const DISCOVERY_TTL_MS = 10 * 60_000

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost'
}

export interface Upstreams {
  start(provider: IdentityProviderRecord, redirectUri: string): Promise<UpstreamRequest>
  /** The callback's URL (code and state in its query) → who signed in; UpstreamRefused when anything does not check out. */
  finish(provider: IdentityProviderRecord, callbackUrl: URL, expected: { state: string; nonce: string | null; codeVerifier: string; redirectUri: string }): Promise<UpstreamIdentity>
}

export function createUpstreams(): Upstreams {
  // Keyed by everything that changes the configuration, so an edited provider is rediscovered.
  const configurations = new Map<string, { at: number; config: Promise<oidc.Configuration> }>()

  function configurationOf(provider: IdentityProviderRecord): Promise<oidc.Configuration> {
    const key = `${provider.id}\n${provider.issuer}\n${provider.clientId}\n${provider.updatedAt}`
    const cached = configurations.get(key)
    if (cached !== undefined && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.config
    const issuer = new URL(provider.issuer)
    const config = oidc.discovery(issuer, provider.clientId, provider.clientSecret, undefined, {
      timeout: TIMEOUT_MS / 1000,
      // Plain http only for a provider on this machine (development, tests): config refuses it elsewhere.
      // The id_token's signature is checked against the provider's JWKS too, not only TLS to its token endpoint.
      execute: [oidc.enableNonRepudiationChecks, ...(issuer.protocol === 'http:' && isLoopback(issuer) ? [oidc.allowInsecureRequests] : [])],
    })
    config.catch(() => configurations.delete(key))                            // a provider that was down is asked again next time
    configurations.set(key, { at: Date.now(), config })
    return config
  }

  return {
    async start(provider, redirectUri) {
      const state = oidc.randomState()
      const codeVerifier = oidc.randomPKCECodeVerifier()
      const challenge = await oidc.calculatePKCECodeChallenge(codeVerifier)
      const scope = provider.scopes.join(' ')
      if (provider.kind === 'github') {
        const url = new URL('/login/oauth/authorize', provider.issuer)
        url.search = new URLSearchParams({
          client_id: provider.clientId, redirect_uri: redirectUri, scope, state, code_challenge: challenge, code_challenge_method: 'S256', allow_signup: 'true',
        }).toString()
        return { url, state, nonce: null, codeVerifier }
      }
      const config = await configurationOf(provider)
      const nonce = oidc.randomNonce()
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri, scope, state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
      })
      return { url, state, nonce, codeVerifier }
    },

    async finish(provider, callbackUrl, expected) {
      if (provider.kind === 'github') return githubIdentity(provider, callbackUrl, expected)
      let claims: oidc.IDToken | undefined
      try {
        const config = await configurationOf(provider)                         // a provider down now is a refusal, not a 500
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: expected.codeVerifier, expectedState: expected.state, expectedNonce: expected.nonce ?? undefined, idTokenExpected: true,
        }, { redirect_uri: expected.redirectUri })
        claims = tokens.claims()
      } catch (err) {
        throw new UpstreamRefused(refusalReason(err), { cause: err })
      }
      if (claims === undefined) throw new UpstreamRefused('no id_token')
      const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null)
      return {
        providerId: provider.id, subject: claims.sub, email: text(claims.email),
        emailVerified: claims.email_verified === true, name: text(claims.name), preferredUsername: text(claims.preferred_username),
      }
    },
  }
}

/**
 * What openid-client refused, for the log and the audit entry: its message, and the claim a
 * comparison failed on (`aud`, `nonce`, `iss` …) — names and codes only, never a token.
 */
function refusalReason(err: unknown): string {
  if (!(err instanceof Error)) return 'token exchange failed'
  // openid-client wraps oauth4webapi's error, whose message names the claim ('unexpected JWT "aud" …').
  const inner = err.cause instanceof Error ? err.cause : err
  const claim = (inner as { cause?: { claim?: unknown } }).cause?.claim
  return `${inner.message}${typeof claim === 'string' ? ` (${claim})` : ''}`.slice(0, 200)
}

/** GitHub's REST API root: api.github.com for github.com, `<site>/api/v3` for GitHub Enterprise Server. */
function githubApi(site: string): string {
  const url = new URL(site)
  return url.hostname === 'github.com' ? 'https://api.github.com' : `${url.origin}/api/v3`
}

async function githubIdentity(
  provider: IdentityProviderRecord, callbackUrl: URL, expected: { state: string; codeVerifier: string; redirectUri: string },
): Promise<UpstreamIdentity> {
  const error = callbackUrl.searchParams.get('error')
  if (error !== null) throw new UpstreamRefused(`provider answered ${error}`)
  if (callbackUrl.searchParams.get('state') !== expected.state) throw new UpstreamRefused('state mismatch')
  const code = callbackUrl.searchParams.get('code')
  if (code === null) throw new UpstreamRefused('no code')
  const token = await fetchJson(new URL('/login/oauth/access_token', provider.issuer), {
    method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: provider.clientId, client_secret: provider.clientSecret, code, redirect_uri: expected.redirectUri, code_verifier: expected.codeVerifier }),
  })
  const accessToken = typeof token.access_token === 'string' ? token.access_token : null
  if (accessToken === null) throw new UpstreamRefused(`token exchange failed${typeof token.error === 'string' ? `: ${token.error}` : ''}`)
  const api = githubApi(provider.issuer)
  const headers = { accept: 'application/vnd.github+json', authorization: `Bearer ${accessToken}`, 'x-github-api-version': '2022-11-28' }
  const user = await fetchJson(new URL(`${api}/user`), { headers })
  if (typeof user !== 'object' || user === null || (typeof user.id !== 'number' && typeof user.id !== 'string')) throw new UpstreamRefused('no user id')
  // The addresses and whether GitHub verified them (user:email); /user's email is only the public one.
  const emails = await fetchJson(new URL(`${api}/user/emails`), { headers }).catch(() => [])
  const list = Array.isArray(emails) ? emails as { email?: unknown; primary?: unknown; verified?: unknown }[] : []
  const chosen = list.find((e) => e.primary === true && e.verified === true) ?? list.find((e) => e.verified === true) ?? list.find((e) => e.primary === true)
  const email = typeof chosen?.email === 'string' ? chosen.email : (typeof user.email === 'string' ? user.email : null)
  return {
    providerId: provider.id, subject: String(user.id), email, emailVerified: chosen?.verified === true && chosen.email === email,
    name: typeof user.name === 'string' && user.name !== '' ? user.name : null, preferredUsername: typeof user.login === 'string' ? user.login : null,
  }
}

async function fetchJson(url: URL, init: RequestInit): Promise<Record<string, unknown>> {
  let response: Response
  try {
    response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) })
  } catch (err) {
    throw new UpstreamRefused(`${url.host} unreachable`, { cause: err })
  }
  if (!response.ok) throw new UpstreamRefused(`${url.pathname} answered ${response.status}`)
  try {
    return await response.json() as Record<string, unknown>
  } catch (err) {
    throw new UpstreamRefused(`${url.pathname} answered no JSON`, { cause: err })
  }
}
