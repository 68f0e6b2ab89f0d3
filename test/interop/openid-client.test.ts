import * as client from 'openid-client'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { PASSWORD, startCallbackListener, startInteropServer, type CallbackListener, type InteropClient, type InteropServer } from './interop-server.js'
import { launchChromium, skipWithoutChromium } from '../support/chromium.js'

// Issue 9 part 10: openid-client v6 — a certified OpenID relying party that refuses anything off
// the specs — as the app, and Debian's Chromium as the user, against a real listening Tessera:
// discovery, an authorization URL with PKCE, state and nonce, the real sign-in and consent pages,
// the code grant with id_token validation (signature checked against the JWKS too), /userinfo,
// refresh, and RP-initiated logout. Drives /usr/bin/chromium through playwright-core; never
// downloads a browser.

const skip = skipWithoutChromium('openid-client.test.ts')

const SCOPE = 'openid profile email offline_access'

type Name = 'web' | 'server' | 'es256' | 'eddsa'

describe.skipIf(skip)('openid-client v6 as the relying party, Chromium as the user', () => {
  let callback: CallbackListener
  let tessera: InteropServer<Name>
  let browser: Browser
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    callback = await startCallbackListener()
    tessera = await startInteropServer<Name>({
      redirectUri: callback.redirectUri, postLogoutRedirectUri: callback.postLogoutRedirectUri,
      // Not first-party: the user is asked for consent, so the test clicks through that page too.
      clients: {
        web: { name: 'Example SPA' },
        server: { name: 'Example Web Server', type: 'confidential' },
        es256: { name: 'Example ES256 App', idTokenSignedResponseAlg: 'ES256' },
        eddsa: { name: 'Example EdDSA App', idTokenSignedResponseAlg: 'EdDSA' },
      },
    })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await tessera?.close()
    await callback?.close()
  })

  // A fresh browser profile per test: no session cookie carried from one to the next.
  beforeEach(async () => {
    context = await browser.newContext()
    context.setDefaultTimeout(15_000)
    page = await context.newPage()
  })
  afterEach(async () => { await context?.close().catch(() => undefined) })

  /** What openid-client fetched (method, URL, Authorization header), to show which endpoints and client auth it used. */
  type Fetched = { method: string; url: string; authorization: string | null }

  /** discovery() from the issuer alone, http allowed (loopback), every id_token's signature checked against jwks_uri. */
  async function configure(c: InteropClient, metadata: Partial<client.ClientMetadata> = {}, auth: client.ClientAuth = client.None()) {
    const fetched: Fetched[] = []
    const config = await client.discovery(tessera.url, c.id, { ...metadata, ...(c.secret === null ? {} : { client_secret: c.secret }) }, auth, {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    })
    config[client.customFetch] = (url, options) => {
      fetched.push({ method: options.method, url, authorization: new Headers(options.headers).get('authorization') })
      return fetch(url, options as RequestInit)
    }
    return { config, fetched }
  }

  /** The app's side of the redirect: PKCE S256, state and nonce, all random. */
  async function startAuthorization(config: client.Configuration, c: InteropClient) {
    const pkceCodeVerifier = client.randomPKCECodeVerifier()
    const expectedState = client.randomState()
    const expectedNonce = client.randomNonce()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: c.redirectUri, scope: SCOPE, state: expectedState, nonce: expectedNonce,
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier), code_challenge_method: 'S256',
    })
    return { url, checks: { pkceCodeVerifier, expectedState, expectedNonce } }
  }

  /** The user's side: the real sign-in page, then the real consent page, until the browser lands on the app's callback. */
  async function signInAndAllow(url: URL, clientName: string): Promise<URL> {
    await page.goto(url.href)
    await page.getByLabel('Username').fill('johndoe')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Allow' }).waitFor()
    expect(await page.locator('body').innerText()).toContain(clientName)
    await page.getByRole('button', { name: 'Allow' }).click()
    await page.waitForURL((landed) => landed.href.startsWith(`${callback.redirectUri}?`))
    return new URL(page.url())
  }

  it('discovers Tessera, signs in through the pages, gets validated tokens, userinfo, a refresh, and signs out', async () => {
    const c = tessera.clients.web
    const { config, fetched } = await configure(c)
    const metadata = config.serverMetadata()
    expect(metadata.issuer).toBe(tessera.issuer)
    expect(metadata.supportsPKCE()).toBe(true)
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true)

    const { url, checks } = await startAuthorization(config, c)
    const landed = await signInAndAllow(url, 'Example SPA')
    expect(landed.searchParams.get('iss')).toBe(tessera.issuer)                  // RFC 9207
    expect(landed.searchParams.get('state')).toBe(checks.expectedState)

    // Validates iss, state, the code response, then the id_token: iss, aud, azp, exp, iat, nonce,
    // at_hash, the alg it expects (RS256), and (enableNonRepudiationChecks) its signature with the JWKS.
    const tokens = await client.authorizationCodeGrant(config, landed, checks)
    expect(tokens.token_type).toBe('bearer')
    expect(tokens.expiresIn()).toBeGreaterThan(0)
    expect(tokens.scope).toBe(SCOPE)
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const claims = tokens.claims()
    expect(claims).toMatchObject({ iss: tessera.issuer, sub: tessera.johndoe.id, aud: c.id, azp: c.id, nonce: checks.expectedNonce })
    expect(JSON.parse(Buffer.from(String(tokens.id_token).split('.')[0] as string, 'base64url').toString()).alg).toBe('RS256')
    expect(fetched.map((f) => `${f.method} ${new URL(f.url).pathname}`)).toEqual(['POST /token', 'GET /.well-known/jwks.json'])

    const info = await client.fetchUserInfo(config, tokens.access_token, tessera.johndoe.id)
    expect(info).toMatchObject({ sub: tessera.johndoe.id, name: 'John Doe', preferred_username: 'johndoe', email: 'johndoe@example.com', email_verified: false })

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(refreshed.access_token).not.toBe(tokens.access_token)
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token)             // rotated
    expect(refreshed.claims()).toMatchObject({ sub: tessera.johndoe.id, aud: c.id, auth_time: claims?.auth_time })
    expect(refreshed.claims()?.nonce).toBeUndefined()                          // OIDC Core §12.2

    const logoutState = client.randomState()
    const logout = client.buildEndSessionUrl(config, {
      id_token_hint: refreshed.id_token as string, post_logout_redirect_uri: c.postLogoutRedirectUri, state: logoutState,
    })
    expect(logout.searchParams.get('client_id')).toBe(c.id)
    await page.goto(logout.href)
    await page.waitForURL((at) => at.href.startsWith(`${c.postLogoutRedirectUri}?`))
    expect(new URL(page.url()).searchParams.get('state')).toBe(logoutState)

    // Signed out of Tessera: the sign-in's refresh tokens are revoked, and the next authorization asks for the password.
    const dead = await client.refreshTokenGrant(config, refreshed.refresh_token as string).catch((err: unknown) => err)
    expect(dead).toBeInstanceOf(client.ResponseBodyError)
    expect(dead).toMatchObject({ error: 'invalid_grant', status: 400 })
    await page.goto((await startAuthorization(config, c)).url.href)
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true)
    expect(page.url().startsWith(`${tessera.issuer}/authorize?`)).toBe(true)
  })

  it('runs the same flow as a confidential client authenticating with client_secret_basic', async () => {
    const c = tessera.clients.server
    const { config, fetched } = await configure(c, {}, client.ClientSecretBasic(c.secret as string))
    const { url, checks } = await startAuthorization(config, c)
    const tokens = await client.authorizationCodeGrant(config, await signInAndAllow(url, 'Example Web Server'), checks)
    expect(tokens.claims()).toMatchObject({ sub: tessera.johndoe.id, aud: c.id, nonce: checks.expectedNonce })
    const tokenRequest = fetched.find((f) => f.url.endsWith('/token'))
    // RFC 6749 §2.3.1: id and secret form-encoded, then Basic. openid-client escapes more than
    // encodeURIComponent does (its secret's '-' arrives as %2D), so compare what Tessera decodes.
    const [scheme, encoded = ''] = (tokenRequest?.authorization ?? '').split(' ')
    expect(scheme).toBe('Basic')
    const pair = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = pair.indexOf(':')
    expect([decodeURIComponent(pair.slice(0, colon)), decodeURIComponent(pair.slice(colon + 1))]).toEqual([c.id, c.secret])

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
    expect(refreshed.claims()?.sub).toBe(tessera.johndoe.id)
    const info = await client.fetchUserInfo(config, refreshed.access_token, tessera.johndoe.id)
    expect(info.preferred_username).toBe('johndoe')
    const introspection = await client.tokenIntrospection(config, refreshed.access_token)
    expect(introspection).toMatchObject({ active: true, sub: tessera.johndoe.id, client_id: c.id })
    // A wrong secret sent with Basic: RFC 6749 §5.2's 401 with a Basic challenge, which openid-client surfaces as such.
    const { config: wrong } = await configure(c, {}, client.ClientSecretBasic('not-the-secret'))
    const refused = await client.refreshTokenGrant(wrong, refreshed.refresh_token as string).catch((err: unknown) => err)
    expect(refused).toBeInstanceOf(client.WWWAuthenticateChallengeError)
    expect(refused).toMatchObject({ status: 401, cause: [{ scheme: 'basic' }] })
    expect(await (refused as client.WWWAuthenticateChallengeError).response.json()).toMatchObject({ error: 'invalid_client' })
  })

  for (const [name, alg] of [['es256', 'ES256'], ['eddsa', 'EdDSA']] as const) {
    it(`validates an id_token signed ${alg} for a client registered with id_token_signed_response_alg ${alg}, with the JWKS key`, async () => {
      const c = tessera.clients[name]
      const { config, fetched } = await configure(c, { id_token_signed_response_alg: alg })
      const { url, checks } = await startAuthorization(config, c)
      const tokens = await client.authorizationCodeGrant(config, await signInAndAllow(url, `Example ${alg} App`), checks)
      const header = JSON.parse(Buffer.from(String(tokens.id_token).split('.')[0] as string, 'base64url').toString())
      expect(header).toMatchObject({ alg, typ: 'JWT' })
      expect(tokens.claims()).toMatchObject({ iss: tessera.issuer, sub: tessera.johndoe.id, aud: c.id, nonce: checks.expectedNonce })
      // The signature was checked with the published key of that kid and algorithm.
      expect(fetched.some((f) => f.url === `${tessera.issuer}/.well-known/jwks.json`)).toBe(true)
      const jwks = await (await fetch(`${tessera.issuer}/.well-known/jwks.json`)).json() as { keys: { kid: string; alg: string }[] }
      expect(jwks.keys.find((k) => k.kid === header.kid)?.alg).toBe(alg)
      // Refreshing signs the new id_token with the same algorithm, and openid-client accepts it too.
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string)
      expect(JSON.parse(Buffer.from(String(refreshed.id_token).split('.')[0] as string, 'base64url').toString()).alg).toBe(alg)
      expect(refreshed.claims()?.sub).toBe(tessera.johndoe.id)
    })
  }
})
