import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadPageStyles, pageAssetRoutes } from '../../../src/http/pages/assets.js'
import { PAGE_STYLES_PATH } from '../../../src/http/pages/layout.js'

// GET /assets/pages.css on a Fastify instance with only this plugin.

let app: FastifyInstance

beforeEach(async () => {
  app = Fastify()
  await app.register(pageAssetRoutes)
})
afterEach(async () => { await app.close() })

const css = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: PAGE_STYLES_PATH, headers })

describe('GET /assets/pages.css', () => {
  it('is the stylesheet, as CSS, cacheable for a day, with a strong ETag of its bytes', async () => {
    const res = await css()
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(res.headers['cache-control']).toBe('public, max-age=86400')
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)
    expect(res.headers.etag).toBe(loadPageStyles().etag)
    expect(res.body).toBe(loadPageStyles().body.toString('utf8'))
    expect(res.body).toContain('prefers-color-scheme: dark')
  })

  it('answers 304 with no body to a current If-None-Match (also weak, in a list, or *), 200 to a stale one', async () => {
    const { etag } = loadPageStyles()
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await css({ 'if-none-match': ifNoneMatch })
      expect(res.statusCode, ifNoneMatch).toBe(304)
      expect(res.body).toBe('')
      expect(res.headers.etag).toBe(etag)
      expect(res.headers['cache-control']).toBe('public, max-age=86400')
    }
    expect((await css({ 'if-none-match': '"stale"' })).statusCode).toBe(200)
  })

  it('answers HEAD with the headers only', async () => {
    const res = await app.inject({ method: 'HEAD', url: PAGE_STYLES_PATH })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8')
    expect(res.body).toBe('')
  })

  it('loads nothing from anywhere (no @import, no url(), no web font), so style-src and img-src need only self', () => {
    const text = loadPageStyles().body.toString('utf8')
    expect(text).not.toMatch(/@import|url\(|@font-face/i)
  })
})
