import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { REPO_ROOT, cleanEnv } from '../cli/run-cli.js'
import { freePort } from '../support/tessera-process.js'

// What the browser tests of the demo and the docs' code flow share: a real `tessera serve --demo`
// process, Debian's chromium (never a downloaded browser), and the watch that keeps every page
// free of console errors, CSP reports and requests for other hosts.

export { chromiumPath, launchChromium, skipWithoutChromium } from '../support/chromium.js'

export interface Tessera {
  /** TESSERA_ISSUER: http://127.0.0.1:<port>, where the browser goes. */
  issuer: string
  /** Its TESSERA_DATABASE_URL, for CLI commands against the running server's database. */
  databaseUrl: string
  server: ChildProcess
  /** Its last output (stdout and stderr), for failure messages. */
  output(): string
  /** Everything it wrote to stdout and stderr, for tests that search the log. */
  fullOutput(): string
  stop(): Promise<void>
}

/**
 * `tessera serve --demo` from the sources, as `npm start -- --demo` runs it, on a free port with
 * a fresh SQLite file and TESSERA_ISSUER naming that port (the built-in clients' redirect URIs
 * are the issuer's). Detached: `serve` may relaunch itself with a bigger thread pool, so the
 * whole process group is stopped. Resolves once /healthz answers 200.
 */
export async function startTessera(options: { env?: Record<string, string> } = {}): Promise<Tessera> {
  const temp = mkdtempSync(join(tmpdir(), 'tessera-browser-'))
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const databaseUrl = `sqlite:${join(temp, 'tessera.db')}`
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--demo', '--port', String(port)], {
    cwd: REPO_ROOT,
    env: cleanEnv({ TESSERA_DATABASE_URL: databaseUrl, TESSERA_ISSUER: issuer, TESSERA_MAIL_DIR: join(temp, 'mail'), ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  const chunks: Buffer[] = []
  const collect = (chunk: Buffer) => { chunks.push(chunk); output = (output + chunk.toString('utf8')).slice(-8000) }
  server.stdout?.on('data', collect)
  server.stderr?.on('data', collect)
  const tessera: Tessera = {
    issuer,
    databaseUrl,
    server,
    output: () => output,
    fullOutput: () => Buffer.concat(chunks).toString('utf8'),
    async stop() {
      await stopGroup(server)
      rmSync(temp, { recursive: true, force: true })
    },
  }
  try {
    await waitForHealthy(tessera)
  } catch (err) {
    await tessera.stop()
    throw err
  }
  return tessera
}

async function waitForHealthy(tessera: Tessera): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (tessera.server.exitCode !== null || tessera.server.signalCode !== null) {
      throw new Error(`tessera exited (${tessera.server.exitCode ?? tessera.server.signalCode}) before serving:\n${tessera.output()}`)
    }
    try {
      const response = await fetch(`${tessera.issuer}/healthz`, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`tessera did not answer ${tessera.issuer}/healthz within 60 s:\n${tessera.output()}`)
}

function signalGroup(server: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (server.pid !== undefined) process.kill(-server.pid, signal)
  } catch {
    // already gone
  }
}

/** SIGTERM to the group, SIGKILL after 5 s, and SIGKILL anyway for any child left behind. */
async function stopGroup(server: ChildProcess): Promise<void> {
  if (server.exitCode === null && server.signalCode === null) {
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => signalGroup(server, 'SIGKILL'), 5000)
      server.once('exit', () => { clearTimeout(kill); resolve() })
      signalGroup(server, 'SIGTERM')
    })
  }
  signalGroup(server, 'SIGKILL')
}

export interface Watched {
  /** Console errors, uncaught page errors and CSP violations (both as Chromium logs them and as the page's events). */
  problems: string[]
  /** Requests for anything but this server: aborted, so nothing waits on a network. */
  foreign: string[]
}

/** Watches every page of `context`, popups included (the listeners are the context's). */
export async function watch(context: BrowserContext, issuer: string, alsoAllowed: readonly string[] = []): Promise<Watched> {
  const hosts = new Set([issuer, ...alsoAllowed].map((origin) => new URL(origin).host))
  const watched: Watched = { problems: [], foreign: [] }
  await context.route((url) => url.protocol !== 'data:' && url.protocol !== 'blob:' && !hosts.has(url.host), async (route) => {
    watched.foreign.push(route.request().url())
    await route.abort()
  })
  context.on('console', (message) => {
    if (message.type() === 'error' || message.text().includes('Content Security Policy')) {
      watched.problems.push(`console ${message.type()} on ${message.page()?.url() ?? '?'}: ${message.text()}`)
    }
  })
  context.on('weberror', (error) => watched.problems.push(`page error on ${error.page()?.url() ?? '?'}: ${error.error().message}`))
  // The CSP's own report (CSP Level 3 §5.2), in case a violation ever stops being logged to the
  // console. Init scripts run from the DevTools protocol, outside the page's policy; with
  // JavaScript off there is no script for a policy to block, and the console watch remains.
  await context.exposeBinding('tesseraTestCspViolation', ({ page }, report: string) => {
    watched.problems.push(`CSP violation on ${page.url()}: ${report}`)
  })
  // As source text: this project compiles without the DOM's types.
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => {
      window.tesseraTestCspViolation(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline') + ' (' + event.sourceFile + ':' + event.lineNumber + ')')
    })`,
  })
  return watched
}

/** Runs `check`, adding a screenshot and the server's last words to a failure. */
export async function explained<T>(page: Page, tessera: Tessera, check: () => Promise<T>): Promise<T> {
  try {
    return await check()
  } catch (err) {
    const shot = join(tmpdir(), `tessera-browser-failure-${Date.now()}.png`)
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined)
    if (err instanceof Error) err.message += `\n(screenshot: ${shot}; page: ${page.url()})\nserver output:\n${tessera.output().slice(-2000)}`
    throw err
  }
}

/** Tessera's hosted sign-in page, as a person fills it. */
export async function signInAsJohndoe(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in', exact: true }).waitFor()
  await page.getByLabel('Username', { exact: true }).fill('johndoe')
  await page.getByLabel('Password', { exact: true }).fill('secret')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/** A JWT's payload, decoded (no check: the tests compare it with what the page shows). */
export function payloadOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}
