import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import {
  AuthError, InvalidRequest, MethodNotAllowed, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed,
  toErrorResponse, type ValidationIssue,
} from '../core/index.js'
import { validationIssues, type AjvIssue } from './validation-issues.js'

/**
 * A client error Fastify or one of its plugins raised that has no closer match among core's
 * errors (a malformed URL, an impossible header). Fixed text from the status line, never the
 * library's message.
 */
export class ClientError extends AuthError {
  constructor(readonly status: number) {
    super(STATUS_CODES[status] ?? 'Bad Request')
  }
}

/** FastAPI's answer to a body that is not JSON (pydantic's `json_invalid`); the body is not echoed. */
function jsonInvalid(): ValidationFailed {
  return new ValidationFailed([{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Invalid JSON' } }])
}

const BODY_MISSING: ValidationIssue = { type: 'missing', loc: ['body'], msg: 'Field required', input: null }

/** Fastify's and @fastify/multipart's error codes that a client can cause, by what they mean. */
const BY_CODE: Record<string, () => AuthError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => new PayloadTooLarge(),
  FST_PARTS_LIMIT: () => new PayloadTooLarge(),
  FST_FILES_LIMIT: () => new PayloadTooLarge(),
  FST_FIELDS_LIMIT: () => new PayloadTooLarge(),
  FST_REQ_FILE_TOO_LARGE: () => new PayloadTooLarge(),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new UnsupportedMediaType(),
  FST_INVALID_MULTIPART_CONTENT_TYPE: () => new UnsupportedMediaType(),
  FST_ERR_CTP_INVALID_JSON_BODY: jsonInvalid,
  FST_INVALID_JSON_FIELD_ERROR: jsonInvalid,
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ValidationFailed([BODY_MISSING]),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new InvalidRequest('Request body does not match its Content-Length'),
  FST_PROTO_VIOLATION: () => new InvalidRequest('Request field name is not allowed'),
  FST_ERR_BAD_URL: () => new ClientError(400),
  FST_ERR_MAX_PARAM_LENGTH: () => new ClientError(414),
}

/** Where Fastify keeps what it validated, so a 422 can show `input` as FastAPI does. */
function validatedData(request: FastifyRequest, context: string): unknown {
  switch (context) {
    case 'body': return request.body
    case 'querystring': return request.query
    case 'params': return request.params
    case 'headers': return request.headers
    default: return undefined
  }
}

/**
 * The one translation from whatever went wrong to a core error; `null` means "not the client's
 * doing": a bug or an outage, answered with an opaque 500.
 */
export function toClientError(err: unknown, request: FastifyRequest): AuthError | null {
  if (err instanceof AuthError) return err
  if (typeof err !== 'object' || err === null) return null
  const error = err as Partial<FastifyError> & Error & { validation?: AjvIssue[]; validationContext?: string }
  if (Array.isArray(error.validation)) {
    const context = error.validationContext ?? 'body'
    return new ValidationFailed(validationIssues(error.validation, context, validatedData(request, context)))
  }
  if (typeof error.code === 'string' && Object.hasOwn(BY_CODE, error.code)) return (BY_CODE[error.code] as () => AuthError)()
  // secure-json-parse's prototype-poisoning refusal and other parser failures carry a 4xx status.
  if (error instanceof SyntaxError && error.statusCode === 400) return jsonInvalid()
  // Any other error a library marked as the client's (a 4xx status): its status, our text.
  const status = error.statusCode
  if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500) return new ClientError(status)
  return null
}

function send(reply: FastifyReply, err: AuthError, extraHeaders: Record<string, string> = {}): FastifyReply {
  const { status, headers, body } = toErrorResponse(err)
  return reply.code(status).headers({ ...headers, ...extraHeaders }).send(body)
}

async function handleError(this: FastifyInstance, err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const known = toClientError(err, request)
  if (known !== null) return send(reply, known)
  // Unknown: log the whole error next to the request id (the pino child logger adds reqId), and
  // tell the client nothing about it (DESIGN.md: node-oidc-provider's err_out).
  request.log.error({ err }, 'unhandled error')
  const { status, headers, body } = toErrorResponse(err)
  return reply.code(status).headers(headers).send(body)
}

/** Methods served per route pattern, to tell "no such path" (404) from "no such method here" (405). */
class RouteTable {
  readonly #routes: { pattern: RegExp; methods: Set<string> }[] = []

  add(url: string, methods: readonly string[]): void {
    const pattern = patternFor(url)
    const existing = this.#routes.find((r) => r.pattern.source === pattern.source)
    const entry = existing ?? { pattern, methods: new Set<string>() }
    if (existing === undefined) this.#routes.push(entry)
    for (const method of methods) entry.methods.add(method)
  }

  methodsFor(path: string): string[] {
    const methods = new Set<string>()
    for (const route of this.#routes) if (route.pattern.test(path)) route.methods.forEach((m) => methods.add(m))
    return [...methods].sort()
  }
}

/** find-my-way's syntax, enough of it to match a path: `:param`, `*`, and the ignored trailing slash. */
function patternFor(url: string): RegExp {
  const body = url.replace(/\/+$/, '').split('/').map((segment) => {
    if (segment === '*') return '.*'
    return segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+').replace(/\*/g, '.*')
  }).join('/')
  return new RegExp(`^${body}/?$`)
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/)
  return end === -1 ? url : url.slice(0, end)
}

/**
 * THE place Fastify errors become responses (DESIGN.md rule 3): validation errors as pydantic's
 * 422, body and media-type refusals as 413/415, unknown paths as 404 and known paths with
 * another method as 405 + `Allow`, all through core's `toErrorResponse`. Call it on the root
 * instance before any route is added, so the route table sees every route.
 */
export function installErrorHandler(app: FastifyInstance): void {
  const routes = new RouteTable()
  app.addHook('onRoute', (route) => {
    routes.add(route.url, Array.isArray(route.method) ? route.method : [route.method])
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(async (request, reply) => {
    const allowed = routes.methodsFor(pathOf(request.url))
    // A route that serves this method but found nothing (a wildcard's missing file) is a plain 404.
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      return send(reply, new MethodNotAllowed(), { allow: allowed.join(', ') })
    }
    return send(reply, new NotFound())
  })
}

/**
 * For Fastify's `frameworkErrors` option: errors raised before routing (a malformed URL) get the
 * same treatment instead of Fastify's own body, which quotes the URL back.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  const known = toClientError(error, request) ?? new ClientError(400)
  void send(reply, known)
}
