import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { DOCS_CLIENT_ID } from '../../core/index.js'
import { withOAuth2PasswordSecurity, type SecuritySchemeOptions } from '../../fastify/index.js'

const OPENAPI_URL = '/openapi.json'
const REDOC_BUNDLE_URL = '/redoc/redoc.standalone.js'

/**
 * Tessera's two ways in, as FastAPI declares them: `OAuth2PasswordBearer(tokenUrl="token")` and
 * `OAuth2AuthorizationCodeBearer(authorizationUrl="authorize", tokenUrl="token")`, relative to
 * the docs page. Give the same options to the tesseraAuth plugin (every protected operation then
 * lists both) and to registerOpenApi (which declares both).
 */
export const OPENAPI_SECURITY: SecuritySchemeOptions = { authorizationCode: { authorizationUrl: 'authorize' } }

/**
 * @fastify/swagger collects routes through an onRoute hook, so this runs on the root instance
 * before any route. Each operation's `security` comes from its `config.auth` via the tesseraAuth
 * plugin.
 */
export async function registerOpenApi(app: FastifyInstance, info: { title: string; version: string }): Promise<void> {
  await app.register(swagger, withOAuth2PasswordSecurity({
    openapi: { openapi: '3.1.0', info: { ...info, description: 'OAuth2 + JWT authentication server.' } },
  }, OPENAPI_SECURITY))
}

/**
 * Swagger UI's `requestInterceptor`, run in the browser: @fastify/swagger-ui writes its source
 * into swagger-initializer.js, so it must be self-contained (no closure, no nested function).
 * The Authorize dialog fills every flow's client_id from initOAuth, and its password flow sends
 * it as `Authorization: Basic base64("tessera-docs:")`. The docs client is for the code flow
 * only (RFC 9700 §2.4), so that header is dropped and the password flow stays FastAPI's,
 * client-less, exactly as before the code flow existed. Anything else passes untouched.
 */
export function docsRequestInterceptor(request: { headers?: Record<string, string>; body?: unknown; curlOptions?: unknown[] }) {
  // Swagger UI's default interceptor starts the list its request snippets read.
  request.curlOptions = []
  const headers = request.headers
  if (headers !== undefined && headers.Authorization === 'Basic dGVzc2VyYS1kb2NzOg=='
    && typeof request.body === 'string' && /(?:^|&)grant_type=password(?:&|$)/.test(request.body)) {
    delete headers.Authorization
  }
  return request
}

/**
 * The Authorize dialog's code flow: the built-in public client (ensureDocsClient registers it,
 * redirected to /docs/static/oauth2-redirect.html) with PKCE (RFC 7636), so no secret is needed
 * (Swagger UI 5.34 still shows a client_secret field; left empty, it is not sent). No scopes are
 * preselected: initOAuth's list applies to the password flow as well, which does not know openid.
 */
const DOCS_OAUTH = { clientId: DOCS_CLIENT_ID, usePkceWithAuthorizationCodeGrant: true }

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

/**
 * /docs/ → /docs (308). Swagger UI resolves the relative `tokenUrl: "token"` and
 * `authorizationUrl: "authorize"` against the page's address, as FastAPI's docs do: from /docs/
 * they would be /docs/token and /docs/authorize, and both Authorize flows would fail. FastAPI's
 * Starlette redirects /docs/ the same way. The router ignores trailing slashes, hence the check here.
 */
async function docsPageWithoutSlash(request: FastifyRequest, reply: FastifyReply) {
  const mark = request.url.indexOf('?')
  const path = mark === -1 ? request.url : request.url.slice(0, mark)
  if (path === '/docs/') return reply.redirect(`/docs${mark === -1 ? '' : request.url.slice(mark)}`, 308)
}

/** The packaged assets are immutable for a given install: browsers may keep them a day. */
const ASSET_CACHE = 'public, max-age=86400'

/** GET /openapi.json, /docs (Swagger UI, packaged assets) and /redoc. None of them is in the document. */
export const docsRoutes: FastifyPluginAsync = async (app) => {
  app.get(OPENAPI_URL, { schema: { hide: true } }, async () => app.swagger())

  // Swagger UI loads the document from /docs/json (the same document) and its assets from
  // /docs/static; with `tokenUrl: "token"` its Authorize dialog posts to /token, and its code flow
  // opens /authorize in a popup that comes back to /docs/static/oauth2-redirect.html (which loads
  // oauth2-redirect.js from 'self': no inline script, so DOCS_CSP serves it too).
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { deepLinking: true, requestInterceptor: docsRequestInterceptor },
    initOAuth: DOCS_OAUTH,
    uiHooks: { onRequest: docsPageWithoutSlash },
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
