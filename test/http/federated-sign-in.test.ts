import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js'
import { startRogueOidc } from '../support/rogue-oidc.js'
import { follow } from '../support/redirects.js'
import { startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js'
import { enrolTotp, codeAt } from './mfa-helpers.js'
import { auditEvents } from './session-helpers.js'
import { TestBrowser, authorizeUrl, codeFlowClient, redirectOf } from './sign-in-helpers.js'
import { ISSUER, PASSWORD, startTestServer, type TestServer } from './test-server.js'

// Issue 11 parts 2 and 3 through Tessera's real app (inject) and real upstream providers over
// HTTP: oidc-provider as "Google", a GitHub-shaped OAuth server. The browser part is TestBrowser
// (Tessera's cookies) plus a cookie jar for the provider, as one browser would hold both.

let server: TestServer
let op: UpstreamOidc
let gh: FakeGitHub
const GOOGLE_CALLBACK = `${ISSUER}/signin/callback/google`
const GITHUB_CALLBACK = `${ISSUER}/signin/callback/github`

beforeAll(async () => {
  server = await startTestServer()
  op = await startUpstreamOidc({ redirectUris: [GOOGLE_CALLBACK] })
  gh = await startFakeGitHub({ redirectUris: [GITHUB_CALLBACK] })
  const now = server.clock.now()
  await server.store.identityProviders.create({
    id: 'google', kind: 'oidc', label: 'Sign in with Google', issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, scopes: ['openid', 'email', 'profile'],
  }, now)
  await server.store.identityProviders.create({
    id: 'github', kind: 'github', label: 'Sign in with GitHub', issuer: gh.baseUrl, clientId: gh.clientId, clientSecret: gh.clientSecret, scopes: ['read:user', 'user:email'],
  }, now)
})
afterAll(async () => {
  await server.close()
  await op?.close()
  await gh?.close()
})

/** The provider link on a sign-in page, as a path on Tessera. */
function providerLink(page: LightMyRequestResponse, label: string): string {
  const match = new RegExp(`<a class="button secondary" href="([^"]+)">${label}</a>`).exec(page.body)
  if (match === null) throw new Error(`no "${label}" on the page:\n${page.body.slice(0, 3000)}`)
  return (match[1] as string).replaceAll('&amp;', '&')
}

/** Clicks the provider's button and signs in upstream (autoLogin): the callback's path on Tessera. */
async function throughProvider(browser: TestBrowser, page: LightMyRequestResponse, label: string, callback: string): Promise<string> {
  const start = await browser.get(providerLink(page, label))
  expect(start.statusCode, start.body.slice(0, 500)).toBe(302)
  const back = new URL(await follow(String(start.headers.location), callback))
  return `${back.pathname}${back.search}`
}

describe('Sign in with Google (OpenID Connect upstream)', () => {
  beforeEach(() => {
    op.addUser({ sub: 'g-ada', email: 'ada@gmail.example', email_verified: true, name: 'Ada Lovelace', password: 'x' })
    op.setAutoLogin('g-ada')
  })

  it('offers a button per provider; the first sign-in makes an account, and the app\'s request goes on to its code (amr fed)', async () => {
    const { client } = await codeFlowClient(server, { firstParty: true })
    const browser = new TestBrowser(server)
    const page = await browser.get(authorizeUrl(client))
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Sign in with GitHub')
    const done = await browser.get(await throughProvider(browser, page, 'Sign in with Google', GOOGLE_CALLBACK))
    const { params } = redirectOf(done)
    expect(params.get('code')).toEqual(expect.any(String))
    expect(params.get('state')).toBe('state-123')
    const user = await server.store.users.findByUsername('ada')
    expect(user).toMatchObject({ email: 'ada@gmail.example', emailVerified: true, fullName: 'Ada Lovelace', passwordHash: '!federated' })
    expect(await server.store.federatedIdentities.find('google', 'g-ada')).toMatchObject({ userId: user!.id })
    const [session] = await server.store.browserSessions.listForUser(user!.id)
    expect(session?.amr).toEqual(['fed'])
    expect((await auditEvents(server, 'federation.user_created'))[0]).toMatchObject({ userId: user!.id, details: { provider: 'google' } })

    // The next time: the same account, no new one.
    const again = new TestBrowser(server)
    const second = await again.get(await throughProvider(again, await again.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK))
    expect(second.statusCode).toBe(303)
    expect(second.headers.location).toBe('/account')
    expect((await server.store.users.search({ query: 'ada', limit: 10, offset: 0 })).total).toBe(1)
  })

  it('refuses a replayed callback, one brought to another browser, and a made-up state', async () => {
    const browser = new TestBrowser(server)
    const callback = await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK)
    const elsewhere = new TestBrowser(server)                                 // the login CSRF: no binding cookie here
    const stolen = await elsewhere.get(callback)
    expect(stolen.statusCode).toBe(400)
    expect(stolen.body).toContain('This sign-in was started in another browser.')
    // That attempt spent the state: the right browser cannot use it either now (single use).
    const replay = await browser.get(callback)
    expect(replay.statusCode).toBe(400)
    expect(replay.body).toContain('This sign-in has expired or was already used.')
    expect((await browser.get('/signin/callback/google?state=made-up-state-value&code=x')).statusCode).toBe(400)
  })

  it('links an existing account by its address only after that account\'s password, never silently', async () => {
    op.addUser({ sub: 'g-john', email: 'johndoe@example.com', email_verified: true, name: 'John', password: 'x' })
    op.setAutoLogin('g-john')
    const { johndoe } = server.users
    await server.store.users.update(johndoe.id, { emailVerified: true })
    const browser = new TestBrowser(server)
    const link = await browser.get(await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK))
    expect(link.statusCode).toBe(200)
    expect(link.body).toContain('<h1>Link Google to your account</h1>')
    expect(await server.store.federatedIdentities.find('google', 'g-john')).toBeNull()
    const wrong = await browser.submit(link, { password: 'not the password' })
    expect(wrong.statusCode).toBe(400)
    expect(wrong.body).toContain('That is not the password of this account.')
    const done = await browser.submit(wrong, { password: PASSWORD })
    expect(done.statusCode).toBe(303)
    expect(await server.store.federatedIdentities.find('google', 'g-john')).toMatchObject({ userId: johndoe.id })
    expect((await auditEvents(server, 'federation.linked'))[0]).toMatchObject({ userId: johndoe.id, details: { provider: 'google', via: 'password' } })
  })

  it('refuses an unverified upstream address that matches an existing account', async () => {
    op.addUser({ sub: 'g-fake', email: 'alice@example.com', email_verified: false, name: 'Not Alice', password: 'x' })
    op.setAutoLogin('g-fake')
    await server.store.users.update(server.users.alice.id, { emailVerified: true })      // alice proved her address
    const browser = new TestBrowser(server)
    const res = await browser.get(await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK))
    expect(res.statusCode).toBe(403)
    expect(res.body).toContain('An account with this email address exists.')
    expect(await server.store.federatedIdentities.find('google', 'g-fake')).toBeNull()
  })

  it('still asks a linked account for its second factor (amr fed+otp+mfa)', async () => {
    op.addUser({ sub: 'g-bob', email: 'bob@gmail.example', email_verified: true, name: 'Bob', password: 'x' })
    op.setAutoLogin('g-bob')
    const { bob } = server.users
    await server.store.federatedIdentities.link({ providerId: 'google', subject: 'g-bob', userId: bob.id, email: null, createdAt: 0, lastUsedAt: 0 })
    const { secret } = await enrolTotp(server, bob)
    const browser = new TestBrowser(server)
    const challenge = await browser.get(await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK))
    expect(challenge.statusCode).toBe(200)
    expect(challenge.body).toContain('<h1>Two-step verification</h1>')
    expect(await server.store.browserSessions.listForUser(bob.id)).toEqual([])
    const done = await browser.submit(challenge, { otp: codeAt(server, secret) })
    expect(done.headers.location).toBe('/account')
    expect((await server.store.browserSessions.listForUser(bob.id))[0]?.amr).toEqual(['fed', 'otp', 'mfa'])
  })
})

describe('Sign in with GitHub (OAuth app + REST API)', () => {
  it('makes an account from the login and the primary verified address', async () => {
    gh.addUser({ id: 9001, login: 'octocat', name: 'The Octocat', password: 'x', emails: [{ email: 'octo@github.example', primary: true, verified: true }] })
    gh.setAutoLogin('octocat')
    const browser = new TestBrowser(server)
    const res = await browser.get(await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), 'Sign in with GitHub', GITHUB_CALLBACK))
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303)
    expect(await server.store.users.findByUsername('octocat')).toMatchObject({ email: 'octo@github.example', emailVerified: true })
    expect(await server.store.federatedIdentities.find('github', '9001')).not.toBeNull()
  })
})

describe('the account page\'s sign-in methods', () => {
  it('links a provider to the signed-in account, and unlinks it — but never the last way to sign in', async () => {
    op.addUser({ sub: 'g-jd2', email: 'jd@gmail.example', email_verified: true, name: 'JD', password: 'x' })
    op.setAutoLogin('g-jd2')
    const browser = new TestBrowser(server)
    // johndoe may already be linked to Google by an earlier test: start from none.
    await server.store.federatedIdentities.unlink(server.users.johndoe.id, 'google')
    const ok = await browser.submit(await browser.get('/signin?return_to=%2Faccount'), { username: 'johndoe', password: PASSWORD })
    expect(ok.headers.location).toBe('/account')
    const account = await browser.get('/account')
    expect(account.body).toContain('<h2 id="providers-title">Sign-in methods</h2>')
    expect(account.body).toContain('Link Google')
    const csrf = browser.cookies.get('tessera-csrf') as string
    // A stolen session cookie alone cannot add a lasting way in: the password first.
    await server.store.federationStates.deleteExpired(Number.MAX_SAFE_INTEGER)            // earlier tests' spent states
    const wrongPassword = await browser.post('/account/providers/link', { csrf, provider_id: 'google', password: 'not my password' })
    expect(wrongPassword.statusCode).toBe(400)
    expect(await server.store.federationStates.deleteExpired(Number.MAX_SAFE_INTEGER)).toBe(0)            // no round trip began
    const continuePage = await browser.post('/account/providers/link', { csrf, provider_id: 'google', password: PASSWORD })
    expect(continuePage.statusCode).toBe(200)
    expect(continuePage.body).toContain('<h1>Link Google</h1>')
    const upstreamUrl = /<a class="button primary" href="([^"]+)">Continue to Google<\/a>/.exec(continuePage.body)?.[1]?.replaceAll('&amp;', '&')
    expect(upstreamUrl?.startsWith(op.issuer)).toBe(true)
    const back = new URL(await follow(upstreamUrl as string, GOOGLE_CALLBACK))
    const linked = await browser.get(`${back.pathname}${back.search}`)
    expect(linked.headers.location).toBe('/account?done=provider_linked#providers')
    expect(await server.store.federatedIdentities.find('google', 'g-jd2')).toMatchObject({ userId: server.users.johndoe.id })

    const page = await browser.get('/account')
    expect(page.body).toContain('Unlink Google')
    const unlink = await browser.post('/account/providers/unlink', { csrf: browser.cookies.get('tessera-csrf') as string, provider_id: 'google' })
    expect(unlink.headers.location).toBe('/account?done=provider_unlinked#providers')
    expect(await server.store.federatedIdentities.find('google', 'g-jd2')).toBeNull()

    // An account made by Google has no password: its only link stays, and the section says why.
    op.setAutoLogin('g-ada')
    const adaBrowser = new TestBrowser(server)
    const signedIn = await adaBrowser.get(await throughProvider(adaBrowser, await adaBrowser.get('/signin?return_to=%2Faccount'), 'Sign in with Google', GOOGLE_CALLBACK))
    expect(signedIn.headers.location).toBe('/account')
    const refused = await adaBrowser.post('/account/providers/unlink', { csrf: adaBrowser.cookies.get('tessera-csrf') as string, provider_id: 'google' })
    expect(refused.statusCode).toBe(409)
    expect(refused.body).toContain('This is your only way to sign in.')
    expect(await server.store.federatedIdentities.find('google', 'g-ada')).not.toBeNull()
  })
})

describe('a provider that lies', () => {
  it('refuses a validly signed id_token for another audience, and one with another nonce: no account, audited', async () => {
    for (const [id, options] of [['rogue-aud', { audience: 'some-other-client' }], ['rogue-nonce', { nonce: 'not-the-nonce-we-sent' }]] as const) {
      const rogue = await startRogueOidc(options)
      try {
        await server.store.identityProviders.create({
          id, kind: 'oidc', label: `Sign in with ${id}`, issuer: rogue.issuer, clientId: rogue.clientId, clientSecret: rogue.clientSecret, scopes: ['openid', 'email'],
        }, server.clock.now())
        const browser = new TestBrowser(server)
        const res = await browser.get(await throughProvider(browser, await browser.get('/signin?return_to=%2Faccount'), `Sign in with ${id}`, `${ISSUER}/signin/callback/${id}`))
        expect(res.statusCode).toBe(400)
        expect(res.body).toContain(`${id} did not confirm the sign-in.`)
        expect(browser.cookies.has('tessera-session')).toBe(false)
        expect(await server.store.federatedIdentities.find(id, 'rogue-sub')).toBeNull()
        const [failed] = (await auditEvents(server, 'federation.login_failed')).filter((e) => e.details.provider === id)
        expect(failed?.details.reason).toMatch(id === 'rogue-aud' ? /aud/ : /nonce/)
      } finally {
        await rogue.close()
        await server.store.identityProviders.delete(id)
      }
    }
  })
})

describe('TESSERA_EMAIL_VERIFICATION=required', () => {
  it('holds for upstream sign-ins too: an address the provider does not vouch for signs in nowhere', async () => {
    const strict = await startTestServer({ config: { emailVerification: 'required' } })
    const upstream = await startUpstreamOidc({ redirectUris: [GOOGLE_CALLBACK] })
    try {
      await strict.store.identityProviders.create({
        id: 'google', kind: 'oidc', label: 'Sign in with Google', issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: upstream.clientSecret, scopes: ['openid', 'email'],
      }, strict.clock.now())
      upstream.addUser({ sub: 'g-new', email: 'new@unverified.example', email_verified: false, name: 'New', password: 'x' })
      upstream.setAutoLogin('g-new')
      const browser = new TestBrowser(strict)
      const start = await browser.get(providerLink(await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Google'))
      const back = new URL(await follow(String(start.headers.location), GOOGLE_CALLBACK))
      const res = await browser.get(`${back.pathname}${back.search}`)
      expect(res.statusCode).toBe(400)
      expect(res.body).toContain('Verify your email address first.')
      expect(browser.cookies.has('tessera-session')).toBe(false)
    } finally {
      await upstream.close()
      await strict.close()
    }
  })
})

describe('a provider that cannot be reached', () => {
  it('answers its button with a 503 page saying so, and begins nothing', async () => {
    const gone = await startUpstreamOidc({ redirectUris: [`${ISSUER}/signin/callback/gone`] })
    const issuer = gone.issuer
    await gone.close()                                                         // nothing listens there now
    await server.store.identityProviders.create({
      id: 'gone', kind: 'oidc', label: 'Sign in with Gone', issuer, clientId: 'c', clientSecret: 's', scopes: ['openid'],
    }, server.clock.now())
    try {
      const browser = new TestBrowser(server)
      const res = await browser.get(providerLink(await browser.get('/signin?return_to=%2Faccount'), 'Sign in with Gone'))
      expect(res.statusCode).toBe(503)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.body).toContain('Gone cannot be reached right now.')
      expect(browser.cookies.has('tessera-federation')).toBe(false)
    } finally {
      await server.store.identityProviders.delete('gone')
    }
  })
})
