import type { FastifyInstance } from 'fastify'

/** Every method Tessera serves somewhere; the answer to the actual request still decides (404, 405). */
export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE'

/** Bearer tokens and JSON or form bodies: all a browser client needs to send. */
export const CORS_ALLOW_HEADERS = 'Authorization, Content-Type'

/** Headers a browser client may read besides the safelisted ones: the challenge, the back-off, the trace id. */
export const CORS_EXPOSE_HEADERS = 'WWW-Authenticate, Retry-After, X-Request-Id'

/** How long a browser may reuse a preflight answer (Chrome caps it at 2 hours). */
export const CORS_MAX_AGE_SECONDS = 600

/**
 * An allow-list of exact origins (TESSERA_CORS_ORIGINS); with none, no CORS header is ever sent
 * and browsers keep other sites out. Tokens travel in `Authorization`, never in cookies, so
 * credentials mode is never allowed and no origin is ever `*`.
 *
 * Hand-written rather than @fastify/cors: that plugin adds an `OPTIONS *` route answering 204
 * (or 400) to every OPTIONS request, which would turn our 405 + Allow for OPTIONS on a known
 * path into a 204 and add OPTIONS to every Allow list. Here only a real preflight (Origin from
 * the list and Access-Control-Request-Method) is answered; any other OPTIONS falls through to
 * the usual 404/405.
 */
export function installCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return
  const allowed = new Set(origins)
  app.addHook('onRequest', async (request, reply) => {
    // The answer differs by Origin whether or not this one is allowed: caches must keep them apart.
    reply.header('vary', 'Origin')
    const origin = request.headers.origin
    if (origin === undefined || !allowed.has(origin)) return
    reply.header('access-control-allow-origin', origin)
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply.code(204).headers({
        'access-control-allow-methods': CORS_ALLOW_METHODS,
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
      }).send()
    }
    reply.header('access-control-expose-headers', CORS_EXPOSE_HEADERS)
  })
}
