import { availableParallelism } from 'node:os'
import { ARGON2ID_PARAMS } from './core/password.js'
import {
  ConfigError, audience, boolean, corsOrigins, databaseUrl, host, integer, issuer, mailDir, mailFrom, metricsToken, oneOf, productName, redisKeyPrefix, redisUrl,
  secretKey, smtpUrl, trustProxy, type Range,
} from './config-values.js'

export { ConfigError } from './config-values.js'

/**
 * Tessera's settings: read from the environment once, here and nowhere else (DESIGN.md rule 7),
 * validated, defaulted and frozen, then passed down. A bad value stops the process at startup
 * with a message naming the variable to fix.
 */
export interface Config {
  host: string
  port: number
  /** `sqlite:<path>` (default `sqlite:tessera.db`, `sqlite::memory:` for tests) or `postgres://…`. */
  databaseUrl: string
  /** PostgreSQL only: connections per instance, and the per-statement time limit (ms). */
  databasePoolSize: number
  databaseStatementTimeoutMs: number
  /** UTF-8 secret for HS256; null means "generate once and keep it in the store". */
  secretKey: string | null
  accessTokenExpireMinutes: number
  /**
   * Refresh tokens: days one may lie unused (idle), and days a login lasts in all however often
   * it is refreshed (absolute). The idle lifetime never exceeds the absolute one.
   */
  refreshIdleDays: number
  refreshAbsoluteDays: number
  /** Every token request (and revocation) must name a registered client; false keeps the tutorial's client-less login. */
  requireClient: boolean
  registration: 'open' | 'closed'
  /** `iss` of every token; defaults to `http://<host>:<port>`. */
  issuer: string
  /** Largest accepted request body, bytes (default 64 KiB). */
  bodyLimit: number
  /** Longest accepted password in UTF-8 bytes (default 1024), refused before any hashing. */
  passwordMaxBytes: number
  /** Concurrent argon2 hashes (default: cores ÷ 4, at least 1: see defaultHashConcurrency) and how many may wait (default 64). */
  hashConcurrency: number
  hashQueueLimit: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  demo: boolean
  /**
   * How often a running server re-reads its signing keys (default 5 s; 0: only at start and when a
   * token names an unknown kid), so `tessera keys rotate` takes effect without a restart.
   */
  keysReloadSeconds: number
  /** GET /metrics (Prometheus) on or off (default on), and the bearer token scrapers must send (null: none). */
  metrics: boolean
  metricsToken: string | null
  /** Send Strict-Transport-Security: only when clients reach Tessera over TLS (default off). */
  hsts: boolean
  /** Exact origins browsers may call from (`https://app.example.com`); empty: no CORS headers at all. */
  corsOrigins: readonly string[]
  /** Fastify's `trustProxy`: which `X-Forwarded-For` hops to believe for the client IP (default false). */
  trustProxy: boolean | readonly string[]
  /**
   * Brute-force limits (0 turns each off): failed logins per username and client address, and per
   * client address, within the window; registrations per client address per hour.
   */
  loginMaxFailures: number
  loginWindowSeconds: number
  loginIpMaxFailures: number
  registrationsPerIpPerHour: number
  /** `redis://…` or `rediss://…`: limits shared by every instance; null keeps them in this process. */
  redisUrl: string | null
  /** Starts every Redis key Tessera writes (default `tessera:`), so deployments can share one Redis. */
  redisKeyPrefix: string
  /** Days an audit entry is kept before housekeeping deletes it (default 365; 0 keeps every entry forever). */
  auditRetentionDays: number
  /** The name the hosted sign-in, consent and error pages show (default "Tessera"). */
  productName: string
  /**
   * The `aud` of access tokens issued to a client that asked for no `resource` (RFC 9068 §2.2,
   * RFC 8707), and what Tessera's own endpoints require of a token's `aud`. Default: the issuer.
   */
  audience: string
  /** The browser sign-in session (single sign-on): hours it may go unused, and hours it lasts in all. */
  sessionIdleHours: number
  sessionAbsoluteHours: number
  /**
   * Mail (issue 10): `smtp://…`/`smtps://…` (null: no SMTP), the From address, and a folder the
   * mails are written to instead (`--demo` uses `./tessera-mail` unless set). With neither, the
   * features that need mail (verification, reset, email change) are off and the server says so.
   */
  smtpUrl: string | null
  mailFrom: string
  mailDir: string | null
  /**
   * `off`: no verification mails; `optional` (default): new and changed addresses get a link,
   * nothing waits for it; `required`: sign-in and the password grant refuse an unverified
   * address. Needs mail unless `off`.
   */
  emailVerification: 'off' | 'optional' | 'required'
}

/** Values given on the command line (`tessera serve --port 0`): they win over the environment. */
export type ConfigOverrides = Partial<Config>

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Every variable Tessera reads. Any other TESSERA_* variable is a typo and refused. */
const VARIABLES = [
  'TESSERA_HOST', 'TESSERA_PORT', 'TESSERA_DATABASE_URL', 'TESSERA_DATABASE_POOL_SIZE',
  'TESSERA_DATABASE_STATEMENT_TIMEOUT_MS', 'TESSERA_SECRET_KEY', 'TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES',
  'TESSERA_REGISTRATION', 'TESSERA_ISSUER', 'TESSERA_BODY_LIMIT', 'TESSERA_PASSWORD_MAX_BYTES',
  'TESSERA_HASH_CONCURRENCY', 'TESSERA_HASH_QUEUE_LIMIT', 'TESSERA_LOG_LEVEL', 'TESSERA_DEMO',
  'TESSERA_KEYS_RELOAD_SECONDS',
  'TESSERA_METRICS', 'TESSERA_METRICS_TOKEN', 'TESSERA_HSTS', 'TESSERA_CORS_ORIGINS', 'TESSERA_TRUST_PROXY',
  'TESSERA_LOGIN_MAX_FAILURES', 'TESSERA_LOGIN_WINDOW_SECONDS', 'TESSERA_LOGIN_IP_MAX_FAILURES',
  'TESSERA_REGISTRATIONS_PER_IP_PER_HOUR', 'TESSERA_REDIS_URL', 'TESSERA_REDIS_KEY_PREFIX',
  'TESSERA_REFRESH_IDLE_DAYS', 'TESSERA_REFRESH_ABSOLUTE_DAYS', 'TESSERA_REQUIRE_CLIENT', 'TESSERA_AUDIT_RETENTION_DAYS',
  'TESSERA_PRODUCT_NAME', 'TESSERA_AUDIENCE', 'TESSERA_SESSION_IDLE_HOURS', 'TESSERA_SESSION_ABSOLUTE_HOURS',
  'TESSERA_SMTP_URL', 'TESSERA_MAIL_FROM', 'TESSERA_MAIL_DIR', 'TESSERA_EMAIL_VERIFICATION',
] as const

type Variable = (typeof VARIABLES)[number]
type Env = Readonly<Record<string, string | undefined>>

/** Set-but-empty counts as unset: `TESSERA_SECRET_KEY=` in a compose file means "no value". */
function raw(env: Env, name: Variable): string | undefined {
  const value = env[name]
  return value === undefined || value.trim() === '' ? undefined : value
}

function defaultIssuer(h: string, port: number): string {
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`
}

const LIMITS = {
  port: [0, 65535],
  databasePoolSize: [1, 1000],
  databaseStatementTimeoutMs: [100, 600_000],
  accessTokenExpireMinutes: [1, 7 * 24 * 60],
  refreshIdleDays: [1, 3650],
  refreshAbsoluteDays: [1, 3650],
  bodyLimit: [1024, 100 * 1024 * 1024],
  // At least the policy's 8 characters; argon2 accepts far more, the body limit caps it anyway.
  passwordMaxBytes: [8, 65536],
  hashConcurrency: [1, 256],
  hashQueueLimit: [0, 100_000],
  keysReloadSeconds: [0, 24 * 60 * 60],
  loginMaxFailures: [0, 1_000_000],
  loginWindowSeconds: [1, 7 * 24 * 60 * 60],
  loginIpMaxFailures: [0, 1_000_000],
  registrationsPerIpPerHour: [0, 1_000_000],
  auditRetentionDays: [0, 36_500],
  sessionIdleHours: [1, 24 * 365],
  sessionAbsoluteHours: [1, 24 * 365],
} satisfies Record<string, Range>

/**
 * Builds the Config from `env` (callers pass `process.env`) and the command line's overrides.
 * Every variable is checked even when an override replaces it, so a broken environment is
 * found on the first run, not on the first run without flags.
 */
export function loadConfig(env: Env, overrides: ConfigOverrides = {}): Config {
  const unknown = Object.keys(env).filter((k) => k.startsWith('TESSERA_') && !(VARIABLES as readonly string[]).includes(k))
  if (unknown.length > 0) {
    throw new ConfigError(unknown.sort()[0] as string, `is not a Tessera setting (known: ${VARIABLES.join(', ')})`)
  }
  const read = <T>(name: Variable, parse: (name: string, value: string) => T, fallback: T): T => {
    const value = raw(env, name)
    return value === undefined ? fallback : parse(name, value)
  }
  const int = (key: keyof typeof LIMITS) => (name: string, value: string | number) => integer(name, value, LIMITS[key])

  const fromEnv: Omit<Config, 'issuer' | 'audience'> & { issuer: string | null; audience: string | null } = {
    host: read('TESSERA_HOST', host, '127.0.0.1'),
    port: read('TESSERA_PORT', int('port'), 8000),
    databaseUrl: read('TESSERA_DATABASE_URL', databaseUrl, 'sqlite:tessera.db'),
    databasePoolSize: read('TESSERA_DATABASE_POOL_SIZE', int('databasePoolSize'), 10),
    databaseStatementTimeoutMs: read('TESSERA_DATABASE_STATEMENT_TIMEOUT_MS', int('databaseStatementTimeoutMs'), 5000),
    secretKey: read<string | null>('TESSERA_SECRET_KEY', secretKey, null),
    accessTokenExpireMinutes: read('TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES', int('accessTokenExpireMinutes'), 30),
    refreshIdleDays: read('TESSERA_REFRESH_IDLE_DAYS', int('refreshIdleDays'), 14),
    refreshAbsoluteDays: read('TESSERA_REFRESH_ABSOLUTE_DAYS', int('refreshAbsoluteDays'), 90),
    requireClient: read('TESSERA_REQUIRE_CLIENT', boolean, false),
    registration: read('TESSERA_REGISTRATION', (n, v) => oneOf(n, v, ['open', 'closed'] as const), 'open'),
    issuer: read<string | null>('TESSERA_ISSUER', issuer, null),
    bodyLimit: read('TESSERA_BODY_LIMIT', int('bodyLimit'), 64 * 1024),
    passwordMaxBytes: read('TESSERA_PASSWORD_MAX_BYTES', int('passwordMaxBytes'), 1024),
    hashConcurrency: read('TESSERA_HASH_CONCURRENCY', int('hashConcurrency'), defaultHashConcurrency(availableParallelism())),
    hashQueueLimit: read('TESSERA_HASH_QUEUE_LIMIT', int('hashQueueLimit'), 64),
    logLevel: read('TESSERA_LOG_LEVEL', (n, v) => oneOf(n, v, LOG_LEVELS), 'info'),
    demo: read('TESSERA_DEMO', boolean, false),
    keysReloadSeconds: read('TESSERA_KEYS_RELOAD_SECONDS', int('keysReloadSeconds'), 5),
    metrics: read('TESSERA_METRICS', boolean, true),
    metricsToken: read<string | null>('TESSERA_METRICS_TOKEN', metricsToken, null),
    hsts: read('TESSERA_HSTS', boolean, false),
    corsOrigins: read('TESSERA_CORS_ORIGINS', corsOrigins, Object.freeze([]) as readonly string[]),
    trustProxy: read<Config['trustProxy']>('TESSERA_TRUST_PROXY', trustProxy, false),
    loginMaxFailures: read('TESSERA_LOGIN_MAX_FAILURES', int('loginMaxFailures'), 5),
    loginWindowSeconds: read('TESSERA_LOGIN_WINDOW_SECONDS', int('loginWindowSeconds'), 15 * 60),
    // High enough for many people behind one NAT, low enough that one address cannot spray many usernames.
    loginIpMaxFailures: read('TESSERA_LOGIN_IP_MAX_FAILURES', int('loginIpMaxFailures'), 100),
    registrationsPerIpPerHour: read('TESSERA_REGISTRATIONS_PER_IP_PER_HOUR', int('registrationsPerIpPerHour'), 20),
    redisUrl: read<string | null>('TESSERA_REDIS_URL', redisUrl, null),
    redisKeyPrefix: read('TESSERA_REDIS_KEY_PREFIX', redisKeyPrefix, 'tessera:'),
    // A year of who-did-what, then the table stops growing: failed logins alone can add a row a request.
    auditRetentionDays: read('TESSERA_AUDIT_RETENTION_DAYS', int('auditRetentionDays'), 365),
    productName: read('TESSERA_PRODUCT_NAME', productName, 'Tessera'),
    audience: read<string | null>('TESSERA_AUDIENCE', audience, null),
    // A browser sign-in lasts 3 days unused (Auth0's default) and 14 days in all, as long as a refresh token may idle.
    sessionIdleHours: read('TESSERA_SESSION_IDLE_HOURS', int('sessionIdleHours'), 72),
    sessionAbsoluteHours: read('TESSERA_SESSION_ABSOLUTE_HOURS', int('sessionAbsoluteHours'), 14 * 24),
    smtpUrl: read<string | null>('TESSERA_SMTP_URL', smtpUrl, null),
    mailFrom: read('TESSERA_MAIL_FROM', mailFrom, 'Tessera <no-reply@localhost>'),
    mailDir: read<string | null>('TESSERA_MAIL_DIR', mailDir, null),
    emailVerification: read('TESSERA_EMAIL_VERIFICATION', (n, v) => oneOf(n, v, ['off', 'optional', 'required'] as const), 'optional'),
  }

  const merged = { ...fromEnv, ...checkOverrides(overrides) }
  // The demo writes its mails where a newcomer can open them; a real deployment says where.
  if (merged.demo && merged.smtpUrl === null && merged.mailDir === null) merged.mailDir = 'tessera-mail'
  if (merged.emailVerification === 'required' && merged.smtpUrl === null && merged.mailDir === null) {
    throw new ConfigError('TESSERA_EMAIL_VERIFICATION', 'is required, but no mail can be sent: set TESSERA_SMTP_URL (or TESSERA_MAIL_DIR)')
  }
  const issuerUrl = merged.issuer ?? defaultIssuer(merged.host, merged.port)
  return Object.freeze({ ...merged, issuer: issuerUrl, audience: merged.audience ?? issuerUrl })
}

/** Overrides come from code or already-parsed flags; they still pass the same checks, under their field's name. */
function checkOverrides(overrides: ConfigOverrides): ConfigOverrides {
  const checked: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue
    if (key === 'host') checked[key] = host(key, value as string)
    else if (key === 'databaseUrl') checked[key] = databaseUrl(key, value as string)
    else if (key === 'secretKey') checked[key] = value === null ? null : secretKey(key, value as string)
    else if (key === 'issuer') checked[key] = issuer(key, value as string)
    else if (key === 'redisUrl') checked[key] = value === null ? null : redisUrl(key, value as string)
    else if (key === 'redisKeyPrefix') checked[key] = redisKeyPrefix(key, value as string)
    else if (key === 'productName') checked[key] = productName(key, value as string)
    else if (key === 'audience') checked[key] = audience(key, value as string)
    else if (key === 'smtpUrl') checked[key] = value === null ? null : smtpUrl(key, value as string)
    else if (key === 'mailFrom') checked[key] = mailFrom(key, value as string)
    else if (key === 'mailDir') checked[key] = value === null ? null : mailDir(key, value as string)
    else if (key in LIMITS) checked[key] = integer(key, value as number, LIMITS[key as keyof typeof LIMITS])
    else checked[key] = value
  }
  return checked as ConfigOverrides
}

/**
 * Hashes at once by default: cores ÷ argon2's parallelism (at least one). Each hash runs its p=4
 * lanes on threads of their own, so one hash already keeps 4 cores busy; more at once only
 * contend for the cores and the memory bus (measured on 2 cores, issue 5: one at a time 35
 * logins/s at 53 ms of CPU each, two at a time 30/s at 63 ms).
 */
export function defaultHashConcurrency(cores: number): number {
  return Math.min(Math.max(1, Math.floor(cores / ARGON2ID_PARAMS.parallelism)), LIMITS.hashConcurrency[1])
}

/** libuv's own cap on UV_THREADPOOL_SIZE. */
const THREADPOOL_MAX = 1024

/**
 * How big the libuv thread pool should be for `config`, and whether the environment already
 * says. Every argon2 hash occupies a pool thread for its whole ~100 ms; the pool (default 4)
 * also serves async fs, dns.lookup and crypto. So: one thread per admitted hash plus two spare,
 * so a login storm never leaves the rest of the process queueing behind hashes.
 * libuv reads the variable once, when the pool first starts, so it must be in the environment
 * at process start (see src/cli/threadpool.ts).
 */
export function threadpoolSize(env: Env, config: Pick<Config, 'hashConcurrency'>): { size: number; inEnvironment: boolean; sufficient: boolean } {
  const set = env.UV_THREADPOOL_SIZE
  if (set !== undefined && set.trim() !== '') {
    return { size: integer('UV_THREADPOOL_SIZE', set, [1, THREADPOOL_MAX]), inEnvironment: true, sufficient: true }
  }
  const size = Math.min(config.hashConcurrency + 2, THREADPOOL_MAX)
  // libuv's default pool already fits small machines (2 cores: 2 hashes + 2 spare = 4), and then
  // there is nothing to relaunch for.
  return { size, inEnvironment: false, sufficient: size <= LIBUV_DEFAULT_THREADPOOL }
}

const LIBUV_DEFAULT_THREADPOOL = 4

/** For callers outside config.ts, which never touch process.env themselves (DESIGN.md rule 7). */
export function loadProcessConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig(process.env, overrides)
}

export function processThreadpoolSize(config: Pick<Config, 'hashConcurrency'>): ReturnType<typeof threadpoolSize> {
  return threadpoolSize(process.env, config)
}

/** The PostgreSQL pool settings openStore takes (ignored for SQLite). */
export function postgresOptions(config: Pick<Config, 'databasePoolSize' | 'databaseStatementTimeoutMs'>): { poolSize: number; statementTimeoutMs: number } {
  return { poolSize: config.databasePoolSize, statementTimeoutMs: config.databaseStatementTimeoutMs }
}

/** Whether mail can be sent at all: the features that need it are off otherwise (said at start). */
export function mailEnabled(config: Pick<Config, 'smtpUrl' | 'mailDir'>): boolean {
  return config.smtpUrl !== null || config.mailDir !== null
}
