import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { DEMO_STYLES } from './demo-css.js'
import { DEMO_PAGE } from './demo-page.js'
import { DEMO_SCRIPT } from './demo-script.js'

/**
 * The demo app's own policy: its page, module and styles come from this server only, its
 * fetches go to this server only (discovery, token, UserInfo, revocation), nothing may frame it,
 * and no inline script or style runs. Going to /authorize and /end-session are top-level
 * navigations, which CSP does not govern.
 */
export const DEMO_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ')

/** The page, and the client's registered redirect and post-logout redirect URI (core's DEMO_PATH). */
const PAGE = '/demo/'

interface Asset { body: Buffer; type: string; cache: string }

const ASSETS: Record<string, Asset> = {
  // The page is where the authorization code arrives (in its URL): no copy of it is kept.
  [PAGE]: { body: Buffer.from(DEMO_PAGE, 'utf8'), type: 'text/html; charset=utf-8', cache: 'no-store' },
  '/demo/app.js': { body: Buffer.from(DEMO_SCRIPT, 'utf8'), type: 'text/javascript; charset=utf-8', cache: 'no-cache' },
  '/demo/demo.css': { body: Buffer.from(DEMO_STYLES, 'utf8'), type: 'text/css; charset=utf-8', cache: 'no-cache' },
}

/**
 * GET /demo/ (and /demo, redirected), /demo/app.js, /demo/demo.css: the example relying party,
 * served as written. Registered only in demo mode, beside the `demo-app` client (core's
 * ensureDemoClient).
 */
export const demoRoutes: FastifyPluginAsync = async (app) => {
  const send = (reply: FastifyReply, path: string) => {
    const asset = ASSETS[path] as Asset
    return reply.type(asset.type).header('cache-control', asset.cache).header('content-security-policy', DEMO_CSP).send(asset.body)
  }

  // The router ignores trailing slashes, so this route also answers /demo: sent on to /demo/
  // (308 keeps the method), because the redirect URI registered for demo-app is /demo/ exactly
  // and the page compares its own address with it.
  app.get(PAGE, { schema: { hide: true } }, async (request, reply) => {
    const [path, query] = splitUrl(request.url)
    if (!path.endsWith('/')) return reply.redirect(`${PAGE}${query}`, 308)
    return send(reply, PAGE)
  })
  for (const path of Object.keys(ASSETS).filter((p) => p !== PAGE)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => send(reply, path))
  }
}

function splitUrl(url: string): [string, string] {
  const mark = url.indexOf('?')
  return mark === -1 ? [url, ''] : [url.slice(0, mark), url.slice(mark)]
}
