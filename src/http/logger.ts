import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import { destination as pinoDestination, pino, stdSerializers, type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino'
import type { Config } from '../config.js'

/**
 * Keys whose values never reach a log line, at any of the first five levels of any logged
 * object: credentials in headers, and the secrets of the token endpoint's form and answer.
 */
export const REDACTED_KEYS = [
  'authorization', 'cookie', 'set-cookie', 'password', 'client_secret', 'access_token', 'refresh_token',
  'token', 'current_password', 'new_password', 'new_password_again', // /revoke and /introspect, the password change and reset (and its pages)
  'code', 'code_verifier', 'id_token', 'id_token_hint', 'csrf', // the code flow, RP-initiated logout, the pages' forms
  'mfa_token', 'otp', 'recovery_code',                      // the second factor (issue 10): the mfa-otp grant, the sign-in's second step
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

/** A request slower than this is logged at info whatever it was (ms). */
export const SLOW_REQUEST_MS = 1000

/** Reads: at 10k a second, one line each would cost more CPU than answering them (issue 5). */
const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Which requests get a log line at info. Everything that changes state — logins, registrations,
 * revocations, admin changes — on arrival and on completion, as Fastify does; a read only when it
 * fails (status ≥ 400), errs or is slow, in one line that names the request. Successful reads
 * are logged at debug (TESSERA_LOG_LEVEL=debug gives Fastify's full two-line access log) and
 * counted by /metrics. Request ids are on every line either way.
 */
export class TesseraLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (READS.has(request.method)) request.log.debug({ req: request }, 'incoming request')
    else request.log.info({ req: request }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const responseTime = reply.elapsedTime
    const read = READS.has(request.method)
    if (error) {
      reply.log.error({ ...(read ? { req: request } : {}), res: reply, err: error, responseTime }, 'request errored')
    } else if (!read || reply.statusCode >= 400 || responseTime >= SLOW_REQUEST_MS) {
      reply.log.info({ ...(read ? { req: request } : {}), res: reply, responseTime }, 'request completed')
    } else {
      reply.log.debug({ req: request, res: reply, responseTime }, 'request completed')
    }
  }
}

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LogArgs = [unknown, ...unknown[]]

/**
 * The logger Fastify gives each request (`request.log`), made only when something is logged at
 * an enabled level: most requests log nothing at info, and a pino child per request (with its
 * bindings serialised) was a measurable share of a request's CPU. Same bindings, same levels,
 * same output as `parent.child(bindings, options)`.
 */
class RequestLogger {
  readonly #parent: Logger
  readonly #bindings: Bindings
  readonly #options: ChildLoggerOptions
  readonly #threshold: number
  #child: Logger | undefined

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent
    this.#bindings = bindings
    this.#options = options
    this.#threshold = options.level === undefined ? parent.levelVal : (parent.levels.values[options.level] ?? Infinity)
  }

  #real(): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options))
  }

  #log(level: LevelName, value: number, args: LogArgs): void {
    if (value < this.#threshold) return
    ;(this.#real()[level] as (...a: unknown[]) => void)(...args)
  }

  get level(): string { return this.#child?.level ?? this.#options.level ?? this.#parent.level }
  set level(level: string) { this.#real().level = level }
  fatal(...args: LogArgs): void { this.#log('fatal', 60, args) }
  error(...args: LogArgs): void { this.#log('error', 50, args) }
  warn(...args: LogArgs): void { this.#log('warn', 40, args) }
  info(...args: LogArgs): void { this.#log('info', 30, args) }
  debug(...args: LogArgs): void { this.#log('debug', 20, args) }
  trace(...args: LogArgs): void { this.#log('trace', 10, args) }
  silent(): void {}
  isLevelEnabled(level: string): boolean { return this.#real().isLevelEnabled(level) }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger { return this.#real().child(bindings, options) }
}

/** Fastify's `childLoggerFactory`: a RequestLogger instead of an eager pino child. */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger
}
