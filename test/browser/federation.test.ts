// Issue 11's "done when", in a real browser: a `tessera serve --demo` process with providers added
// by `tessera providers add` while it runs; Debian's chromium opens the /demo/ app, clicks "Sign in
// with Tessera", then "Sign in with Google" (oidc-provider on a loopback port) or "Sign in with
// GitHub" (a GitHub-shaped OAuth server), signs in upstream, and lands back in the demo app with
// an id_token from Tessera — never a console error, CSP report or request to an unknown host.
import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv, runCli } from '../cli/run-cli.js'
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github.js'
import { startUpstreamOidc, type UpstreamOidc } from '../support/upstream-oidc.js'
import { explained, launchChromium, skipWithoutChromium, startTessera, watch, type Tessera } from './harness.js'

const skip = skipWithoutChromium('federation.test.ts')
const actionTimeoutMs = 15_000

let tessera: Tessera | undefined
let op: UpstreamOidc | undefined
let gh: FakeGitHub | undefined
let browser: Browser | undefined

/** The server, the two upstreams, and the providers added through the CLI against the running server's database. */
async function setUp(): Promise<{ tessera: Tessera; op: UpstreamOidc; gh: FakeGitHub; browser: Browser }> {
  if (tessera && op && gh && browser) return { tessera, op, gh, browser }
  tessera = await startTessera()
  op = await startUpstreamOidc({ redirectUris: [`${tessera.issuer}/signin/callback/google`] })
  op.addUser({ sub: 'g-ada', email: 'ada@gmail.example', email_verified: true, name: 'Ada Lovelace', password: 'ada upstream password' })
  gh = await startFakeGitHub({ redirectUris: [`${tessera.issuer}/signin/callback/github`] })
  gh.addUser({ id: 4242, login: 'octocat', name: 'The Octocat', password: 'octo upstream password', emails: [{ email: 'octo@github.example', primary: true, verified: true }] })
  const env = cleanEnv({ TESSERA_DATABASE_URL: tessera.databaseUrl, TESSERA_ISSUER: tessera.issuer })
  for (const [args, secret] of [
    [['providers', 'add', 'google', '--kind', 'oidc', '--issuer', op.issuer, '--client-id', op.clientId, '--label', 'Sign in with Google'], op.clientSecret],
    [['providers', 'add', 'github', '--preset', 'github', '--issuer', gh.baseUrl, '--client-id', gh.clientId], gh.clientSecret],
  ] as const) {
    const added = await runCli([...args], { env, input: `${secret}\n` })
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).not.toContain(secret)
  }
  browser = await launchChromium()
  return { tessera, op, gh, browser }
}

/** The demo's status line, waited for as the person would read it. */
async function status(page: Page, expected: RegExp): Promise<void> {
  await page.getByRole('status').filter({ hasText: expected }).waitFor({ timeout: actionTimeoutMs })
}

async function claimsShown(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(await page.getByRole('region', { name: 'ID token claims' }).locator('pre').innerText()) as Record<string, unknown>
}

describe.skipIf(skip)('Sign in with Google or GitHub, in chromium, through the /demo/ app', () => {
  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await tessera?.stop()
    await op?.close()
    await gh?.close()
  })

  for (const upstream of [
    { button: 'Sign in with Google', fill: { Email: 'ada@gmail.example', Password: 'ada upstream password' }, username: 'ada', email: 'ada@gmail.example' },
    { button: 'Sign in with GitHub', fill: { Username: 'octocat', Password: 'octo upstream password' }, username: 'octocat', email: 'octo@github.example' },
  ]) {
    it(`${upstream.button}: the button, the provider's form, and back in the demo app with Tessera's id_token`, async () => {
      const ready = await setUp()
      const context = await ready.browser.newContext()
      const { problems, foreign } = await watch(context, ready.tessera.issuer, [ready.op.issuer, ready.gh.baseUrl])
      const page = await context.newPage()
      page.setDefaultTimeout(actionTimeoutMs)
      try {
        await explained(page, ready.tessera, async () => {
          await page.goto(`${ready.tessera.issuer}/demo/`)
          await page.getByRole('button', { name: 'Sign in with Tessera' }).click()
          await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
          await page.getByRole('link', { name: upstream.button }).click()
          for (const [label, value] of Object.entries(upstream.fill)) await page.getByLabel(label, { exact: true }).fill(value)
          await page.getByRole('button', { name: 'Sign in' }).click()
          await status(page, new RegExp(`^Signed in as ${upstream.username}$`))
          const claims = await claimsShown(page)
          expect(claims).toMatchObject({ iss: ready.tessera.issuer, aud: 'demo-app', amr: ['fed'] })
          const info = JSON.parse(await page.getByRole('region', { name: 'UserInfo' }).locator('pre').innerText()) as Record<string, unknown>
          expect(info).toMatchObject({ sub: claims.sub, preferred_username: upstream.username, email: upstream.email, email_verified: true })
          expect(problems, 'console errors, page errors or CSP reports').toEqual([])
          expect(foreign, 'requests for hosts other than this server and the provider').toEqual([])
        })
      } finally {
        await context.close()
      }
    }, 120_000)
  }
})
