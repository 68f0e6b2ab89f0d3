import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import { destination as pinoDestination, pino, stdSerializers, type DestinationStream, type Logger } from 'pino'
import type { Config } from '../config.js'

/**
 * Keys whose values never reach a log line, at any of the first five levels of any logged
 * object: credentials in headers, and the secrets of the token endpoint's form and answer.
 */
export const REDACTED_KEYS = [
  'authorization', 'cookie', 'set-cookie', 'password', 'client_secret', 'access_token', 'refresh_token',
] as const

const CENSOR = '[Redacted]'

function redactPaths(): string[] {
  const prefixes = ['', '*', '*.*', '*.*.*', '*.*.*.*']
  return REDACTED_KEYS.flatMap((key) => prefixes.map((prefix) => `${prefix}["${key}"]`))
}

/** A query string may carry a secret too (`?access_token=`, RFC 6750 §2.3): its values are dropped. */
function withoutQueryValues(url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return url
  const names = url.slice(start + 1).split('&').map((pair) => pair.split('=')[0]).filter((name) => name !== '')
  return `${url.slice(0, start)}?${names.map((name) => `${name}=${CENSOR}`).join('&')}`
}

/** Fastify's request serializer minus anything that could hold a secret (it never logs headers). */
function serializeRequest(request: FastifyRequest) {
  return {
    method: request.method,
    url: withoutQueryValues(request.url),
    host: request.host,
    remoteAddress: request.ip,
  }
}

/** Credentials in a URL (`scheme://user:password@host`) and anything shaped like a JWT. */
const SECRET_TEXT = [
  { pattern: /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, replacement: `$1${CENSOR}@` },
  { pattern: /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, replacement: CENSOR },
]

function scrub(text: string): string {
  return SECRET_TEXT.reduce((out, { pattern, replacement }) => out.replace(pattern, replacement), text)
}

/**
 * pino's error serializer, with secrets scrubbed from the text: a driver's message may quote its
 * connection URL, a library's may quote the token it choked on.
 */
function serializeError(err: Error): Record<string, unknown> {
  const serialized: Record<string, unknown> = { ...stdSerializers.err(err) }
  for (const key of ['message', 'stack']) {
    if (typeof serialized[key] === 'string') serialized[key] = scrub(serialized[key] as string)
  }
  return serialized
}

/**
 * The pino logger of a Tessera server: level from config, redaction always on. `destination`
 * defaults to stdout; tests pass a stream to read what would have been written.
 */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino({
    level: config.logLevel,
    redact: { paths: redactPaths(), censor: CENSOR },
    serializers: { req: serializeRequest, err: serializeError },
  }, destination ?? pinoDestination(1))
}

/** What a client's `X-Request-Id` may look like to be reused: nothing that could forge a log line. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

export const REQUEST_ID_HEADER = 'x-request-id'

/** Fastify's `genReqId`: the caller's id when it is well-formed (so traces join up), else a UUID. */
export function requestIdFor(raw: IncomingMessage): string {
  const given = raw.headers[REQUEST_ID_HEADER]
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID()
}
