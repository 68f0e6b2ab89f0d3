import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from './test-server.js'
import { launchChromium, skipWithoutChromium } from '../support/chromium.js'

// /redoc in a real browser: ReDoc renders the document from the packaged bundle, and the page
// fetches nothing from another host (its footer logo, hard-wired to a CDN, is stopped by our CSP).
// test/browser/docs.test.ts does the same for Swagger UI's Authorize flow.
const skip = skipWithoutChromium('redoc-browser.test.ts')

describe.skipIf(skip)('GET /redoc in chromium', () => {
  let server: TestServer
  let browser: Browser
  let base: string

  beforeAll(async () => {
    server = await startTestServer()
    base = await server.app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await server?.close()
  })

  it('renders every operation from /openapi.json with no foreign request', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const { host } = new URL(base)
    const foreign: string[] = []
    await context.route((url) => !['data:', 'blob:'].includes(url.protocol) && url.host !== host, async (route) => {
      foreign.push(route.request().url())
      await route.abort()
    })
    const blocked: string[] = []
    page.on('console', (message) => { if (message.text().includes('Content Security Policy')) blocked.push(message.text()) })
    try {
      const response = await page.goto(`${base}/redoc`, { waitUntil: 'load' })
      expect(response?.status()).toBe(200)
      await page.getByText('Login For Access Token').first().waitFor({ timeout: 15_000 })
      const text = await page.locator('body').innerText()
      for (const summary of ['Register', 'Read Users Me', 'Read Own Items', 'Create Own Item', 'Read System Status']) {
        expect(text).toContain(summary)
      }
      expect(foreign).toEqual([])
      // Only the CDN logo may have been refused; nothing the page needs.
      expect(blocked.every((line) => line.includes('cdn.redoc.ly'))).toBe(true)
    } finally {
      await context.close()
    }
  }, 60_000)
})
