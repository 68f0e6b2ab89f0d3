import Fastify, { type FastifyInstance } from 'fastify'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pageAssetRoutes } from '../../../src/http/pages/assets.js'
import { pageCsp } from '../../../src/http/pages/csp.js'
import { launchChromium, skipWithoutChromium } from '../../support/chromium.js'
import { accountPages } from './account-views.js'

// The issue 10 pages as a phone shows them: Debian's chromium, JavaScript off, 390×844, each
// page served with the page CSP beside /assets/pages.css. Readable means: nothing wider than
// the screen, every control big enough to tap, no style the CSP had to block.
const skip = skipWithoutChromium('account-pages-browser.test.ts')

const PHONE = { width: 390, height: 844 }

describe.skipIf(skip)('the account and sign-up pages in chromium, JavaScript off, on a 390×844 phone', () => {
  let app: FastifyInstance
  let browser: Browser
  let base: string
  const pages = accountPages()

  beforeAll(async () => {
    app = Fastify()
    await app.register(pageAssetRoutes)
    app.get<{ Params: { name: string } }>('/pages/:name', async (request, reply) => {
      const page = pages[request.params.name]
      if (page === undefined) return reply.code(404).send()
      return reply.type('text/html; charset=utf-8').header('content-security-policy', pageCsp({ formAction: [] })).send(page)
    })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await app?.close()
  })

  async function withPage(name: string, check: (page: Page, violations: string[]) => Promise<void>, colorScheme: 'light' | 'dark' = 'light') {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: PHONE, colorScheme })
    try {
      const page = await context.newPage()
      page.setDefaultTimeout(15_000)
      const violations: string[] = []
      page.on('console', (message) => { if (message.text().includes('Content Security Policy')) violations.push(message.text()) })
      expect((await page.goto(`${base}/pages/${name}`, { waitUntil: 'load' }))?.status()).toBe(200)
      await check(page, violations)
    } finally {
      await context.close()
    }
  }

  const scrollWidth = (page: Page) => page.locator('html').evaluate((root) => root.ownerDocument.scrollingElement.scrollWidth as number)
  const computed = (element: Locator, property: string) =>
    element.evaluate((el, name) => el.ownerDocument.defaultView.getComputedStyle(el).getPropertyValue(name) as string, property)

  it('fits every page in 390px, every button and field at least 44px tall, with no CSP report', async () => {
    for (const name of Object.keys(pages)) {
      await withPage(name, async (page, violations) => {
        expect(await scrollWidth(page), name).toBeLessThanOrEqual(PHONE.width)
        for (const control of await page.locator('button, input:not([type="hidden"]), a.button').all()) {
          const box = await control.boundingBox()
          expect(box?.height, `${name}: a control is too small to tap`).toBeGreaterThanOrEqual(44)
          expect((box?.x ?? 0) + (box?.width ?? 0), `${name}: a control runs off the screen`).toBeLessThanOrEqual(PHONE.width)
        }
        expect(violations, name).toEqual([])
      })
    }
  }, 120_000)

  it('styles the email field like the others, and tells the notice, the badges and the danger button apart', async () => {
    await withPage('account', async (page) => {
      const email = page.getByLabel('New email address', { exact: true })
      const name = page.getByLabel('Full name', { exact: true })
      expect(await computed(email, 'border-top-color')).toBe(await computed(name, 'border-top-color'))
      expect((await email.boundingBox())?.width).toBe((await name.boundingBox())?.width)
      expect(await computed(page.locator('.notice'), 'background-color')).toBe('rgb(230, 244, 234)')
      expect(await computed(page.locator('.badge.warn').first(), 'color')).toBe('rgb(127, 29, 23)')
    })
    await withPage('account-enrolled', async (page) => {
      const off = page.getByRole('button', { name: 'Turn off two-step verification' })
      expect(await computed(off, 'color')).toBe('rgb(127, 29, 23)')
    })
  })

  it('follows the system dark mode, the notice and badges included', async () => {
    await withPage('account', async (page) => {
      expect(await computed(page.locator('body'), 'background-color')).toBe('rgb(17, 19, 24)')
      expect(await computed(page.locator('.notice'), 'background-color')).toBe('rgb(23, 53, 36)')
    }, 'dark')
  })

  it('shows the QR code as a square a phone can scan, and the key wrapped, not cut', async () => {
    await withPage('totp-enrolment', async (page) => {
      const qr = await page.locator('.qr svg').boundingBox()
      expect(qr?.width).toBeGreaterThanOrEqual(150)
      expect(Math.abs((qr?.width ?? 0) - (qr?.height ?? 0))).toBeLessThanOrEqual(1)
      const key = await page.locator('.secret').boundingBox()
      expect((key?.x ?? 0) + (key?.width ?? 0)).toBeLessThanOrEqual(PHONE.width)
    })
  })
})
