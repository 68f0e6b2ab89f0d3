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
 * Every answer gets the fixed headers, and API_CSP unless its route set a policy. onSend, so
 * error answers carry them too. Root hooks run before an encapsulated plugin's onSend, so
 * @fastify/swagger-ui's own CSP still replaces ours under /docs.
 */
export function installSecurityHeaders(app: FastifyInstance, options: SecurityHeaderOptions): void {
  const fixed = fixedHeaders(options)
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(fixed)
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', API_CSP)
    return payload
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
