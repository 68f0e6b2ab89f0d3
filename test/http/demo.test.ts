import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_CLIENT_ID } from '../../src/core/index.js'
import { DEMO_PATH, DEMO_SCOPES } from '../../src/core/built-in-clients.js'
import { frameworkErrors, installErrorHandler } from '../../src/fastify/index.js'
import { demoRoutes } from '../../src/http/demo/demo-routes.js'
import { installSecurityHeaders, withSecurityHeaders } from '../../src/http/security-headers.js'
import { startTestServer, type TestServer } from './test-server.js'

// Issue 9 part 9: the /demo/ example app, three plain files served with a policy of their own.
const DEMO_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
  + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const FILES = [
  { url: '/demo/', type: 'text/html; charset=utf-8', cache: 'no-store' },
  { url: '/demo/app.js', type: 'text/javascript; charset=utf-8', cache: 'no-cache' },
  { url: '/demo/demo.css', type: 'text/css; charset=utf-8', cache: 'no-cache' },
]

let demo: FastifyInstance
let real: TestServer
let demoMode: TestServer

/** The plugin as buildApp registers it in demo mode: behind the same security headers, error handler and router options. */
async function demoApp(): Promise<FastifyInstance> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true }, frameworkErrors: withSecurityHeaders(frameworkErrors, { hsts: false }) })
  installErrorHandler(app)
  installSecurityHeaders(app, { hsts: false })
  await app.register(demoRoutes)
  await app.ready()
  return app
}

beforeAll(async () => {
  demo = await demoApp()
  real = await startTestServer()
  demoMode = await startTestServer({ config: { demo: true } })
})
afterAll(async () => {
  await demo.close()
  await real.close()
  await demoMode.close()
})

async function body(url: string): Promise<string> {
  return (await demo.inject({ method: 'GET', url })).body
}

describe('GET /demo/', () => {
  it('serves the page, its module and its styles, each with its type, the demo policy and nosniff', async () => {
    for (const { url, type, cache } of FILES) {
      const res = await demo.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type'], url).toBe(type)
      expect(res.headers['content-security-policy'], url).toBe(DEMO_CSP)
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
      expect(res.headers['x-frame-options'], url).toBe('DENY')
      expect(res.headers['referrer-policy'], url).toBe('no-referrer') // the page's URL carries the code
      expect(res.headers['cache-control'], url).toBe(cache)
      expect(res.body.length, url).toBeGreaterThan(500)
    }
  })

  it('serves the page at the registered redirect URI with the answer\'s parameters, and sends /demo on to /demo/ (308)', async () => {
    const callback = await demo.inject({ method: 'GET', url: '/demo/?code=abc&state=xyz&iss=http%3A%2F%2Ftessera.test' })
    expect(callback.statusCode).toBe(200)
    expect(callback.body).toContain('Sign in with Tessera')
    for (const [url, location] of [['/demo', '/demo/'], ['/demo?state=s', '/demo/?state=s']]) {
      const res = await demo.inject({ method: 'GET', url: url! })
      expect(res.statusCode, url).toBe(308)
      expect(res.headers.location, url).toBe(location)
    }
    expect(DEMO_PATH).toBe('/demo/')
  })

  it('answers HEAD, and leaves other paths under /demo/ unknown', async () => {
    expect((await demo.inject({ method: 'HEAD', url: '/demo/app.js' })).statusCode).toBe(200)
    const unknown = await demo.inject({ method: 'GET', url: '/demo/index.html' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toEqual({ detail: 'Not Found' })
    expect((await demo.inject({ method: 'GET', url: '/demo/../package.json' })).statusCode).toBe(404)
  })

  it('has a page with no inline script, style or handler, every asset from this server, and the controls a person (or a browser test) looks for', async () => {
    const html = await body('/demo/')
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.map((m) => [m[1]!.trim(), m[2]!.trim()])).toEqual([['type="module" src="/demo/app.js"', '']])
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
    expect(html).not.toMatch(/https?:\/\//)
    const assets = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect([...new Set(assets)].sort()).toEqual(['/demo/app.js', '/demo/demo.css'])
    for (const label of ['>Sign in with Tessera</button>', '>Refresh</button>', '>Sign out</button>', '>ID token claims</h2>', '>UserInfo</h2>']) {
      expect(html).toContain(label)
    }
    for (const id of ['sign-in', 'refresh', 'sign-out', 'claims', 'userinfo', 'status', 'notice']) expect(html).toContain(`id="${id}"`)
  })

  it('has a module that parses, runs no string as code, and asks for what demo-app is registered for', async () => {
    const js = await body('/demo/app.js')
    const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-'))
    try {
      writeFileSync(join(dir, 'app.mjs'), js)
      const check = spawnSync(process.execPath, ['--check', join(dir, 'app.mjs')], { encoding: 'utf8' })
      expect(check.stderr).toBe('')
      expect(check.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    expect(js).not.toMatch(/\beval\s*\(|\bFunction\s*\(|innerHTML|outerHTML|insertAdjacentHTML|document\.write|setTimeout\s*\(\s*['"`]/)
    expect(js).not.toMatch(/localStorage\s*[.[]/) // tokens in memory only
    expect(js).not.toMatch(/^\s*import\s/m) // no dependencies
    expect(js).toContain(`const CLIENT_ID = '${DEMO_CLIENT_ID}'`)
    expect(js).toContain(`const SCOPE = '${DEMO_SCOPES.join(' ')}'`)
    expect(js).toContain("code_challenge_method: 'S256'")
    expect(js).toContain("fetch('/.well-known/openid-configuration'")
  })

  it('is not in the OpenAPI document', async () => {
    const doc = demoMode.app.swagger() as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/demo'))).toEqual([])
  })
})

describe('the demo app in Tessera\'s server', () => {
  it('is served only in demo mode', async () => {
    for (const { url, type } of FILES) {
      const served = await demoMode.app.inject({ method: 'GET', url })
      expect(served.statusCode, url).toBe(200)
      expect(served.headers['content-type'], url).toBe(type)
      expect(served.headers['content-security-policy'], url).toBe(DEMO_CSP)
      const absent = await real.app.inject({ method: 'GET', url })
      expect(absent.statusCode, url).toBe(404)
      expect(absent.json()).toEqual({ detail: 'Not Found' })
    }
  })
})
