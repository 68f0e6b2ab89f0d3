import type { FastifyInstance, FastifyServerOptions } from 'fastify'

/**
 * For answers that are data, never a page: nothing may load from them and no page may frame
 * them. The docs pages (/docs, /redoc) set a policy of their own, which is kept.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'"

/** One year, subdomains included: what browsers' preload lists ask for; sent only when TESSERA_HSTS is on. */
export const HSTS = 'max-age=31536000; includeSubDomains'

export interface SecurityHeaderOptions {
  /** Clients reach Tessera over TLS (TESSERA_HSTS). */
  hsts: boolean
}

/**
 * What helmet sends, chosen for an API: no MIME sniffing (a JSON body must not run as a script),
 * no framing, no Referer to other sites (URLs may carry codes), and HSTS only when we are told
 * clients come over TLS (a plain-HTTP deployment would otherwise be unreachable for a year from
 * any browser that saw it). The CSP is separate: a route may set its own.
 */
function fixedHeaders(options: SecurityHeaderOptions): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    ...(options.hsts ? { 'strict-transport-security': HSTS } : {}),
  }
}

/**
 * Every answer gets the fixed headers and API_CSP, set as the request arrives (onRequest runs for
 * unmatched paths too, and Fastify's error path keeps headers already set, so error answers carry
 * them). A route with a policy of its own sets it later, replacing ours: /redoc in its handler,
 * @fastify/swagger-ui in its onSend hook under /docs. A synchronous hook: this runs on every
 * request, and an async one costs a promise and a microtask each time.
 */
export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  const headers = { ...fixedHeaders(options), 'content-security-policy': API_CSP }
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers)
    done()
  })
}

type FrameworkErrors = NonNullable<FastifyServerOptions['frameworkErrors']>

/** Errors raised before routing (a malformed URL) skip every hook: they get the headers here. */
export function withSecurityHeaders(handler: FrameworkErrors, options: SecurityHeaderOptions): FrameworkErrors {
  const headers = { ...fixedHeaders(options), 'content-security-policy': API_CSP }
  return (error, request, reply) => {
    reply.headers(headers)
    handler(error, request, reply)
  }
}
