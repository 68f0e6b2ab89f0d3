import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { withOAuth2PasswordSecurity } from '../../fastify/index.js'

const OPENAPI_URL = '/openapi.json'
const REDOC_BUNDLE_URL = '/redoc/redoc.standalone.js'

/**
 * @fastify/swagger collects routes through an onRoute hook, so this runs on the root instance
 * before any route. The security scheme is FastAPI's `OAuth2PasswordBearer(tokenUrl="token")`;
 * each operation's `security` comes from its `config.auth` via the tesseraAuth plugin.
 */
export async function registerOpenApi(app: FastifyInstance, info: { title: string; version: string }): Promise<void> {
  await app.register(swagger, withOAuth2PasswordSecurity({
    openapi: { openapi: '3.1.0', info: { ...info, description: 'OAuth2 + JWT authentication server.' } },
  }))
}

/**
 * FastAPI's get_redoc_html, minus its web fonts and CDN: the bundle comes from the redoc package
 * and is served by us, so the page works with no network.
 */
const REDOC_HTML = `<!DOCTYPE html>
<html>
<head>
<title>Tessera - ReDoc</title>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<noscript>ReDoc requires Javascript to function. Please enable it to browse the documentation.</noscript>
<redoc spec-url="${OPENAPI_URL}"></redoc>
<script src="${REDOC_BUNDLE_URL}"></script>
</body>
</html>
`

/**
 * Both UIs run entirely from this server: the policy forbids any other origin, which also stops
 * ReDoc's footer logo (hard-wired to a CDN) from being fetched. Styles are injected at runtime by
 * both UIs; ReDoc's search runs in a blob: worker.
 */
const DOCS_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:", "object-src 'none'",
  "base-uri 'self'", "frame-ancestors 'self'", "form-action 'self'",
].join('; ')

/** The packaged assets are immutable for a given install: browsers may keep them a day. */
const ASSET_CACHE = 'public, max-age=86400'

/** GET /openapi.json, /docs (Swagger UI, packaged assets) and /redoc. None of them is in the document. */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  app.get(OPENAPI_URL, { schema: { hide: true } }, async () => app.swagger())

  // Swagger UI loads the document from /docs/json (the same document) and its assets from
  // /docs/static; with `tokenUrl: "token"` its Authorize dialog posts to /token.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true },
    theme: { title: 'Tessera - Swagger UI' },
    staticCSP: DOCS_CSP,
  })

  // Found at startup, so a missing package fails the boot, not a visitor's request; read (once)
  // when first asked for, so its megabyte is not on every start's path (issue 5).
  const bundlePath = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js')
  let bundle: Promise<Buffer> | undefined
  app.get(REDOC_BUNDLE_URL, { schema: { hide: true } }, async (_request, reply) => {
    bundle ??= readFile(bundlePath).catch((err: unknown) => { bundle = undefined; throw err })
    return reply.type('application/javascript; charset=utf-8').header('cache-control', ASSET_CACHE).send(await bundle)
  })
  app.get('/redoc', { schema: { hide: true } }, async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(REDOC_HTML)
  })
}
