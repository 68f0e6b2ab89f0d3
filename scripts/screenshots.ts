// `npm run screenshots`: the README's pictures of the hosted pages and the demo app, taken from a
// real `tessera serve --demo` (a free port, a throwaway SQLite file) with Debian's chromium through
// playwright-core (never a downloaded browser), at a phone and a desktop size, into
// docs/screenshots/<page>-<phone|desktop>.png. Each image is clipped to the page's content, so
// the empty space under a short card does not bloat the PNGs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Secret, TOTP } from 'otpauth'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

const CHROMIUM = '/usr/bin/chromium'
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT_DIR = join(REPO_ROOT, 'docs', 'screenshots')

/** An iPhone 12–15 sized screen at its real pixel density, and a common laptop window. */
const VIEWPORTS = [
  { name: 'phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
  { name: 'desktop', viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false },
] as const

/** The non-first-party client the consent page needs (the built-in clients skip consent). */
const EXAMPLE_APP = 'Example App'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** This machine's TESSERA_* settings would change what the pictures show: leave them out. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TESSERA_'))), ...extra }
}

const tesseraArgs = (...args: string[]) => ['--import', 'tsx', 'src/cli/main.ts', ...args]

/** `tessera serve --demo`, detached: serve may relaunch itself, so its whole group is stopped. */
async function serve(issuer: string, port: number, settings: Record<string, string>): Promise<ChildProcess> {
  const server = spawn(process.execPath, tesseraArgs('serve', '--demo', '--port', String(port)), {
    cwd: REPO_ROOT, env: env({ ...settings, TESSERA_ISSUER: issuer }), stdio: ['ignore', 'ignore', 'inherit'], detached: true,
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) throw new Error('tessera serve --demo exited before serving')
    const healthy = await fetch(`${issuer}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status === 200, () => false)
    if (healthy) return server
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`tessera did not answer ${issuer}/healthz within 60 s`)
}

async function stop(server: ChildProcess | undefined): Promise<void> {
  if (server?.pid === undefined) return
  const signal = (name: NodeJS.Signals) => { try { process.kill(-(server.pid as number), name) } catch { /* already gone */ } }
  if (server.exitCode === null && server.signalCode === null) {
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => signal('SIGKILL'), 5000)
      server.once('exit', () => { clearTimeout(kill); resolve() })
      signal('SIGTERM')
    })
  }
  signal('SIGKILL')
}

/** `tessera clients add "Example App" --type public --redirect-uri …`, as an operator would; returns its id. */
function addExampleApp(redirectUri: string, settings: Record<string, string>): string {
  const added = spawnSync(process.execPath, tesseraArgs('clients', 'add', EXAMPLE_APP, '--type', 'public', '--redirect-uri', redirectUri, '--json'), {
    cwd: REPO_ROOT, env: env(settings), encoding: 'utf8', timeout: 30_000,
  })
  if (added.status !== 0) throw new Error(`tessera clients add failed:\n${added.stderr}`)
  const { client_id: id } = JSON.parse(added.stdout) as { client_id?: unknown }
  if (typeof id !== 'string') throw new Error(`tessera clients add printed no client_id:\n${added.stdout}`)
  return id
}

/** An authorization request as a relying party builds it (RFC 6749 §4.1.1, RFC 7636 S256). */
function authorizeUrl(issuer: string, clientId: string, redirectUri: string, scope: string): string {
  const verifier = randomBytes(32).toString('base64url')
  const url = new URL('/authorize', issuer)
  url.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope,
    state: randomBytes(16).toString('base64url'), nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString()
  return url.href
}

/** Saves the page down to the bottom of its content (plus the body's own padding), not the whole window. */
async function shoot(page: Page, name: string, size: string): Promise<void> {
  // As source text: this project compiles without the DOM's types.
  const height = await page.evaluate<number>(`document.fonts.ready.then(() => {
    const bottom = Math.max(...[...document.body.children].map((element) => element.getBoundingClientRect().bottom + window.scrollY))
    return Math.ceil(bottom + parseFloat(getComputedStyle(document.body).paddingBottom) + 16)
  })`)
  const width = page.viewportSize()?.width ?? 0
  const path = join(OUT_DIR, `${name}-${size}.png`)
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height }, animations: 'disabled', caret: 'hide' })
  console.log(`${path.slice(REPO_ROOT.length)}  ${width}×${height}  ${Math.round(statSync(path).size / 1024)} KB`)
}

async function signIn(page: Page, password: string): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill('johndoe')
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.waitForLoadState('load')
}

/** Every page, in the order a person meets them; one fresh browser profile per size. */
async function tour(context: BrowserContext, size: string, issuer: string, exampleApp: { id: string; redirectUri: string }): Promise<void> {
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const demoRedirect = `${issuer}/demo/`

  await page.goto(authorizeUrl(issuer, 'demo-app', demoRedirect, 'openid profile email'))
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
  await shoot(page, 'sign-in', size)

  await signIn(page, 'not-the-password')
  await page.getByRole('alert').waitFor()
  // The typed password is gone after a failed attempt: the picture shows the field empty.
  await shoot(page, 'sign-in-error', size)

  // An unregistered redirect_uri: shown here, never redirected to (RFC 9700 §4.11).
  await page.goto(authorizeUrl(issuer, 'demo-app', 'https://elsewhere.example/callback', 'openid'))
  await page.getByRole('alert').waitFor()
  await shoot(page, 'error', size)

  await page.goto(authorizeUrl(issuer, exampleApp.id, exampleApp.redirectUri, 'openid profile email items'))
  await signIn(page, 'secret')
  await page.getByRole('button', { name: 'Allow' }).waitFor()
  await shoot(page, 'consent', size)

  // The demo app: the session from the sign-in above, so it comes straight back (single sign-on).
  await page.goto(demoRedirect)
  await page.getByRole('button', { name: 'Sign in with Tessera' }).click()
  await page.getByRole('status').filter({ hasText: /^Signed in as johndoe$/ }).waitFor()
  await page.getByRole('heading', { name: 'UserInfo' }).waitFor()
  await shoot(page, 'demo', size)

  // Without an id_token_hint, Tessera asks before signing out (OIDC RP-Initiated Logout 1.0 §2).
  await page.goto(`${issuer}/end-session`)
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  await shoot(page, 'sign-out', size)
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { name: 'You have signed out' }).waitFor()
  await shoot(page, 'signed-out', size)
}

/** The newest mailed link to `path` in the demo mail folder (each mail's .txt holds its links). */
function mailedLink(mailDir: string, path: string): string {
  for (const file of readdirSync(mailDir).filter((f) => f.endsWith('.txt')).sort().reverse()) {
    const link = readFileSync(join(mailDir, file), 'utf8').match(/https?:\/\/\S+/g)?.find((url) => new URL(url).pathname === path)
    if (link !== undefined) return link
  }
  throw new Error(`no mail with a link to ${path} in ${mailDir}`)
}

/** The account pages (issue 10), for an account of its own per size: sign-up, the account page, two-step verification, reset. */
async function accountTour(context: BrowserContext, size: string, issuer: string, mailDir: string): Promise<void> {
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const person = { username: `mia-${size}`, email: `mia-${size}@example.com`, password: 'mia has a long password' }

  await page.goto(`${issuer}/signup`)
  await page.getByRole('heading', { name: 'Create account' }).waitFor()
  await shoot(page, 'sign-up', size)
  await page.getByLabel('Username').fill(person.username)
  await page.getByLabel('Email').fill(person.email)
  await page.getByLabel('Password').fill(person.password)
  await page.getByRole('button', { name: 'Create account' }).click()
  // Verification is optional here: the new account is signed in at once (its link is in the mail folder).
  await page.getByRole('heading', { name: 'Your account' }).waitFor()

  const signInToAccount = async () => {
    await page.goto(`${issuer}/account`)
    await page.getByLabel('Username', { exact: true }).fill(person.username)
    await page.getByLabel('Password', { exact: true }).fill(person.password)
    await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  }
  await shoot(page, 'account', size)

  const mfaSection = page.getByRole('region', { name: 'Two-step verification' })
  await mfaSection.getByLabel('Current password').fill(person.password)
  await mfaSection.getByRole('button', { name: 'Set up an authenticator app' }).click()
  await page.getByRole('heading', { name: 'Set up an authenticator app' }).waitFor()
  await shoot(page, 'totp-enrolment', size)
  const secret = Secret.fromBase32((await page.locator('code.secret').innerText()).replace(/\s+/g, ''))
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret })
  const now = Date.now()
  await page.getByLabel('Code from the app').fill(totp.generate({ timestamp: now }))
  await page.getByRole('button', { name: 'Turn on' }).click()
  await page.getByRole('heading', { name: 'Two-step verification is on' }).waitFor()
  await shoot(page, 'recovery-codes', size)

  await context.clearCookies()
  await signInToAccount()
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor()
  await shoot(page, 'mfa-challenge', size)
  await page.getByLabel('Code').fill(totp.generate({ timestamp: now + 30_000 }))           // the next step: inside the ±1 window
  await page.getByRole('button', { name: 'Verify' }).click()
  await page.getByRole('heading', { name: 'Your account' }).waitFor()

  await context.clearCookies()
  await page.goto(`${issuer}/password/forgot`)
  await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor()
  await shoot(page, 'forgot-password', size)
  await page.getByLabel('Email').fill(person.email)
  await page.getByRole('button', { name: 'Send reset link' }).click()
  await page.getByRole('heading', { name: 'Check your email' }).waitFor()
  let link: string | undefined
  for (let tries = 0; link === undefined; tries += 1) {
    try { link = mailedLink(mailDir, '/password/reset') } catch (err) { if (tries > 50) throw err; await new Promise((resolve) => setTimeout(resolve, 100)) }
  }
  await page.goto(link)
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor()
  await shoot(page, 'reset-password', size)
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium fonts-liberation`)
  mkdirSync(OUT_DIR, { recursive: true })
  const temp = mkdtempSync(join(tmpdir(), 'tessera-screenshots-'))
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const mailDir = join(temp, 'mail')
  const settings = { TESSERA_DATABASE_URL: `sqlite:${join(temp, 'tessera.db')}`, TESSERA_MAIL_DIR: mailDir }
  let server: ChildProcess | undefined
  let browser: Browser | undefined
  try {
    server = await serve(issuer, port, settings)
    const redirectUri = `${issuer}/example/callback`
    const exampleApp = { id: addExampleApp(redirectUri, settings), redirectUri }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--hide-scrollbars'],
    })
    for (const { name, ...device } of VIEWPORTS) {
      const context = await browser.newContext({ ...device, colorScheme: 'light', locale: 'en-US' })
      // Nothing but this server: the pages must not need the network (and the pictures prove it).
      await context.route((url) => url.host !== new URL(issuer).host, (route) => route.abort())
      try {
        await tour(context, name, issuer, exampleApp)
      } finally {
        await context.close()
      }
      const accounts = await browser.newContext({ ...device, colorScheme: 'light', locale: 'en-US' })
      await accounts.route((url) => url.host !== new URL(issuer).host, (route) => route.abort())
      try {
        await accountTour(accounts, name, issuer, mailDir)
      } finally {
        await accounts.close()
      }
    }
  } finally {
    await browser?.close().catch(() => undefined)
    await stop(server)
    rmSync(temp, { recursive: true, force: true })
  }
}

await main()
