import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AuthError, InvalidRequest, toErrorResponse } from '../core/index.js'
import { toClientError } from '../fastify/index.js'
import { pageCsp } from './pages/csp.js'
import { renderError } from './pages/error.js'

/*
 * What every hosted page route shares, in its own encapsulated context: cookies, HTML forms,
 * `Cache-Control: no-store` (a page holds a CSRF token and, after sign-in, personal data), the
 * page CSP, and errors rendered as the error page. The status and message still come from
 * core's one mapping (toErrorResponse); only the representation is HTML.
 */

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

export interface PageContextOptions {
  bodyLimit: number
  productName: string
  /**
   * Requests that are an API call rather than a page's form (a JSON body to a path that serves
   * both): their errors are answered as JSON, like every API route's.
   */
  api?: (request: FastifyRequest) => boolean
}

/** A request whose body is JSON: an API client, not a page's form (forms are urlencoded). */
export function sentJson(request: FastifyRequest): boolean {
  return /^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '')
}

export async function usePageContext(app: FastifyInstance, options: PageContextOptions): Promise<void> {
  await app.register(cookie)
  await app.register(formbody, { bodyLimit: options.bodyLimit })
  app.addHook('onRequest', (_request, reply, done) => { reply.headers(NO_STORE); done() })
  app.setErrorHandler(async (err, request, reply) => {
    const known = toClientError(err, request)
    if (known === null) request.log.error({ err }, 'unhandled error')
    const { status, headers, body } = toErrorResponse(known ?? err)
    if (options.api?.(request)) return reply.code(status).headers(headers).send(body)
    const message = known instanceof AuthError ? known.detail : 'Something went wrong on our side. Try again later.'
    const title = status === 403 ? 'This form has expired' : status >= 500 ? 'Something went wrong' : 'This request cannot be completed'
    // A 401/403 challenge header means nothing to a browser page; Retry-After does.
    const kept = headers['retry-after'] === undefined ? {} : { 'retry-after': headers['retry-after'] }
    return sendPage(reply.code(status).headers(kept), renderError({ productName: options.productName, title, message, requestId: request.id }))
  })
}

/**
 * Sends a rendered page with the page CSP. `formAction` lists where the page's form may lead:
 * Chromium applies form-action to the redirect that answers a POST, so a page whose form ends
 * in a redirect to the client must allow the client's origin.
 */
export function sendPage(reply: FastifyReply, html: string, formAction: readonly string[] = []): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('content-security-policy', pageCsp({ formAction })).send(html)
}

/** A form field sent once, as text, or absent (an empty value counts as absent, as browsers send untouched fields). */
export function formField(request: FastifyRequest, name: string): string | undefined {
  const body = request.body
  if (body === null || typeof body !== 'object') return undefined
  const value = (body as Record<string, unknown>)[name]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new InvalidRequest(`The form field ${name} must be sent once`)
  return value
}

/** A text field of a JSON body (its shape checked by the route's schema) or of a form (formField). */
export function bodyField(request: FastifyRequest, name: string): string | undefined {
  if (!sentJson(request)) return formField(request, name)
  const value = (request.body as Record<string, unknown> | null)?.[name]
  return typeof value === 'string' ? value : undefined
}

/** The raw query string of the request (exactly as sent: redirect_uri is compared as a string). */
export function queryOf(request: FastifyRequest): URLSearchParams {
  const start = request.url.indexOf('?')
  return new URLSearchParams(start === -1 ? '' : request.url.slice(start + 1))
}
