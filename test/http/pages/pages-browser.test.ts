import formbody from '@fastify/formbody'
import Fastify, { type FastifyInstance } from 'fastify'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageAssetRoutes } from '../../../src/http/pages/assets.js'
import { renderConsent } from '../../../src/http/pages/consent.js'
import { cspSourceFor, pageCsp } from '../../../src/http/pages/csp.js'
import { renderError } from '../../../src/http/pages/error.js'
import { renderSignIn } from '../../../src/http/pages/sign-in.js'
import { allPages, consent, error, signIn } from './views.js'
import { launchChromium, skipWithoutChromium } from '../../support/chromium.js'

// The hosted pages as a phone shows them, in Debian's chromium with JavaScript off: each page
// rendered to a file, served with the page CSP beside /assets/pages.css by a bare Fastify
// instance. Drives /usr/bin/chromium through playwright-core; never downloads a browser.
const skip = skipWithoutChromium('pages-browser.test.ts')

const PHONE = { width: 390, height: 844 }
const LONG = 'W'.repeat(120)
/** Where the test forms' POST is sent on to (answered by context.route, never by the network). */
const CLIENTS = { ipv4: 'http://127.0.0.1:9/callback?code=c', ipv6: 'http://[::1]:9/callback?code=c' } as const

/** The pages, plus the worst cases for a narrow screen (unbroken names) and a page the CSP must refuse. */
function pagesToServe(): Record<string, string> {
  const pages: Record<string, string> = {
    ...allPages(),
    'consent-long': renderConsent({ ...consent, clientName: LONG, username: LONG, scopes: [{ name: LONG, description: LONG }] }),
    'error-long': renderError({ ...error, message: LONG, requestId: LONG }),
    'sign-in-long': renderSignIn({ ...signIn, clientName: LONG, username: LONG, error: LONG }),
    // A control: an inline style attribute, which style-src 'self' must block and report.
    'inline-style': renderSignIn(signIn).replace('<h1>', '<h1 style="color: red">'),
  }
  for (const name of Object.keys(CLIENTS)) pages[`post-${name}`] = renderSignIn({ ...signIn, action: `/submit/${name}` })
  return pages
}

describe.skipIf(skip)('the hosted pages in chromium, JavaScript off, on a 390×844 phone', () => {
  let temp: string
  let app: FastifyInstance
  let browser: Browser
  let base: string

  beforeAll(async () => {
    temp = mkdtempSync(join(tmpdir(), 'tessera-pages-'))
    for (const [name, page] of Object.entries(pagesToServe())) writeFileSync(join(temp, `${name}.html`), page)
    app = Fastify()
    await app.register(formbody)
    await app.register(pageAssetRoutes)
    app.get<{ Params: { name: string }; Querystring: { allow?: string } }>('/pages/:name', async (request, reply) => {
      const formAction = request.query.allow === undefined ? [] : [request.query.allow]
      const body = await readFile(join(temp, `${request.params.name.replace(/[^a-z0-9-]/g, '')}.html`))
      return reply.type('text/html; charset=utf-8').header('content-security-policy', pageCsp({ formAction })).send(body)
    })
    // As POST /signin answers a successful sign-in: 303 to the client's redirect URI. Whether the
    // browser follows is decided by the form-action of the page that sent the form.
    app.post<{ Params: { client: keyof typeof CLIENTS } }>('/submit/:client', async (request, reply) => {
      return reply.code(303).header('location', CLIENTS[request.params.client]).send()
    })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await app?.close()
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true })
  })

  /** A fresh phone-sized context with JavaScript off; every CSP report and foreign request is collected. */
  async function open(path: string, options: { colorScheme?: 'light' | 'dark' } = {}) {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: PHONE, colorScheme: options.colorScheme ?? 'light' })
    const { host } = new URL(base)
    const foreign: string[] = []
    const arrived: string[] = []
    await context.route((url) => url.host !== host, async (route) => {
      const url = route.request().url()
      if (Object.values(CLIENTS).includes(url as never)) {
        arrived.push(url)
        return route.fulfill({ status: 200, contentType: 'text/plain', body: 'arrived at the client' })
      }
      foreign.push(url)
      return route.abort()
    })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    const violations: string[] = []
    page.on('console', (message) => { if (message.text().includes('Content Security Policy')) violations.push(message.text()) })
    const response = await page.goto(`${base}${path}`, { waitUntil: 'load' })
    expect(response?.status()).toBe(200)
    return { context, page, violations, foreign, arrived }
  }

  async function withPage<T>(path: string, check: (opened: Awaited<ReturnType<typeof open>>) => Promise<T>, options?: { colorScheme?: 'light' | 'dark' }): Promise<T> {
    const opened = await open(path, options)
    try {
      return await check(opened)
    } catch (err) {
      const shot = join(tmpdir(), `tessera-pages-failure-${Date.now()}.png`)
      await opened.page.screenshot({ path: shot, fullPage: true }).catch(() => undefined)
      if (err instanceof Error) err.message += `\n(screenshot: ${shot})`
      throw err
    } finally {
      await opened.context.close()
    }
  }

  // The test is compiled without the DOM library: the browser's globals are reached through the element.
  const scrollWidth = (page: Page) => page.locator('html').evaluate((root) => root.ownerDocument.scrollingElement.scrollWidth as number)
  const computed = (element: Locator, property: string) =>
    element.evaluate((el, name) => el.ownerDocument.defaultView.getComputedStyle(el).getPropertyValue(name) as string, property)

  it('fits every page in 390px, styled by our stylesheet, with no CSP report and nothing fetched from elsewhere', async () => {
    for (const name of [...Object.keys(allPages()), 'consent-long', 'error-long', 'sign-in-long']) {
      await withPage(`/pages/${name}`, async ({ page, violations, foreign }) => {
        expect(await scrollWidth(page), name).toBeLessThanOrEqual(PHONE.width)
        // The UA default is a serif font on a white, margined body; ours is the system stack.
        expect(await computed(page.locator('body'), 'font-family'), name).toMatch(/^system-ui/)
        expect(await computed(page.locator('body'), 'background-color'), name).toBe('rgb(243, 244, 246)')
        for (const control of await page.locator('button, input:not([type="hidden"])').all()) {
          expect((await control.boundingBox())?.height, `${name}: a control is too small to tap`).toBeGreaterThanOrEqual(44)
        }
        expect(violations, name).toEqual([])
        expect(foreign, name).toEqual([])
      })
    }
  }, 90_000)

  it('shows Sign in as a primary button at least 44px tall, and Allow and Deny in two styles', async () => {
    await withPage('/pages/sign-in', async ({ page }) => {
      const button = page.getByRole('button', { name: 'Sign in', exact: true })
      expect((await button.boundingBox())?.height).toBeGreaterThanOrEqual(44)
      expect(await computed(button, 'background-color')).toBe('rgb(29, 91, 184)')
      await expect.poll(() => page.getByLabel('Username', { exact: true }).count()).toBe(1)
      expect(await page.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('password')
    })
    await withPage('/pages/consent', async ({ page }) => {
      const allow = await computed(page.getByRole('button', { name: 'Allow', exact: true }), 'background-color')
      const deny = await computed(page.getByRole('button', { name: 'Deny', exact: true }), 'background-color')
      expect(allow).toBe('rgb(29, 91, 184)')
      expect(deny).not.toBe(allow)
    })
  })

  it('follows the system dark mode', async () => {
    await withPage('/pages/sign-in', async ({ page }) => {
      expect(await computed(page.locator('body'), 'background-color')).toBe('rgb(17, 19, 24)')
    }, { colorScheme: 'dark' })
  })

  it('reports an inline style (so an empty report list above means something)', async () => {
    await withPage('/pages/inline-style', async ({ page, violations }) => {
      await expect.poll(() => violations.length).toBeGreaterThan(0)
      expect(violations.join('\n')).toContain("style-src 'self'")
      expect(await computed(page.locator('h1'), 'color')).not.toBe('rgb(255, 0, 0)')
    })
  })

  for (const [name, uri] of Object.entries(CLIENTS)) {
    it(`lets the sign-in POST's 303 reach the client at ${uri} only when form-action names cspSourceFor(it)`, async () => {
      const source = cspSourceFor(uri) as string
      await withPage(`/pages/post-${name}?allow=${encodeURIComponent(source)}`, async ({ page, arrived, violations }) => {
        await page.getByLabel('Username', { exact: true }).fill('johndoe')
        await page.getByLabel('Password', { exact: true }).fill('secret')
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await page.waitForURL(uri)
        expect(arrived).toEqual([uri])
        expect(violations).toEqual([])
      })
      await withPage(`/pages/post-${name}`, async ({ page, arrived, violations }) => {
        await page.getByLabel('Username', { exact: true }).fill('johndoe')
        await page.getByLabel('Password', { exact: true }).fill('secret')
        await page.getByRole('button', { name: 'Sign in', exact: true }).click()
        await expect.poll(() => violations.join('\n')).toContain('form-action')
        expect(arrived).toEqual([])
      })
    })
  }
})
