import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import type { Config } from '../../src/config.js'
import {
  DEFAULT_ID_TOKEN_ALGORITHM, HashAdmission, createAccessTokens, createPasswordHasher, ensureIdTokenKey, fixedClock, openSigningKeyRing,
  type AccessTokens, type PasswordHasher, type Scope, type SigningKeyRing, type Store, type UserRecord,
} from '../../src/core/index.js'
import { buildApp } from '../../src/http/app.js'
import { createLogger } from '../../src/http/logger.js'
import { PrometheusMetrics } from '../../src/http/metrics.js'
import { createMailer, type ServerMailer } from '../../src/mail/index.js'
import { openStore } from '../../src/storage/index.js'
import { createTestDatabase } from '../support/postgres.js'

/** Which backend the HTTP suite runs on: `sqlite` (default) or `postgres`. */
export const TEST_BACKEND = process.env.TESSERA_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'

/** 2026-01-01T00:00:00Z: tokens are issued and verified against this frozen clock. */
export const T0 = Date.UTC(2026, 0, 1)

export const ISSUER = 'http://tessera.test'
export const SECRET_KEY = 'test-secret-key-0123456789abcdef0123456789abcdef'

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    host: '127.0.0.1', port: 0, databaseUrl: 'sqlite::memory:', secretKey: SECRET_KEY, accessTokenExpireMinutes: 30,
    registration: 'open', issuer: ISSUER, bodyLimit: 64 * 1024, passwordMaxBytes: 1024, hashConcurrency: 2,
    hashQueueLimit: 64, logLevel: 'silent', demo: false, keysReloadSeconds: 0, databasePoolSize: 10, databaseStatementTimeoutMs: 5000,
    metrics: true, metricsToken: null, hsts: false, corsOrigins: [], trustProxy: false,
    // Off: these suites log in many times from one address. test/http/limits.test.ts turns them on.
    loginMaxFailures: 0, loginWindowSeconds: 900, loginIpMaxFailures: 0, registrationsPerIpPerHour: 0, redisUrl: null, redisKeyPrefix: 'tessera:',
    refreshIdleDays: 14, refreshAbsoluteDays: 90, requireClient: false, auditRetentionDays: 365,
    productName: 'Tessera', audience: ISSUER, sessionIdleHours: 72, sessionAbsoluteHours: 14 * 24,
    // No mail unless a suite starts an SMTP sink (test/support/smtp-sink.ts) and says where it is.
    smtpUrl: null, mailFrom: 'Tessera <no-reply@tessera.test>', mailDir: null, emailVerification: 'optional',
    ...overrides,
  }
}

/** A hasher that counts the work it is asked for, so a test can prove "refused before hashing". */
export interface CountingHasher extends PasswordHasher { readonly calls: { hash: number; verify: number; verifyDummy: number } }

function counting(hasher: PasswordHasher): CountingHasher {
  const calls = { hash: 0, verify: 0, verifyDummy: 0 }
  return {
    calls,
    hash: (password) => { calls.hash += 1; return hasher.hash(password) },
    verify: (password, hash) => { calls.verify += 1; return hasher.verify(password, hash) },
    verifyDummy: (password) => { calls.verifyDummy += 1; return hasher.verifyDummy(password) },
  }
}

/** The password every seeded user has: one argon2id hash (~100 ms here) serves them all. */
export const PASSWORD = 'correct horse battery'

export interface TestServer {
  app: FastifyInstance
  config: Config
  store: Store
  tokens: AccessTokens
  /** The app's signing keys: a test changes them in the store, then calls `reload()`. */
  signingKeys: SigningKeyRing
  hasher: CountingHasher
  clock: ReturnType<typeof fixedClock>
  /** johndoe: active, scopes me + items. alice: disabled. bob: active, may only have `me`. */
  users: { johndoe: UserRecord; alice: UserRecord; bob: UserRecord }
  /** A bearer header for a token minted directly (no login, no hashing). */
  /** The app's mailer when the config names an SMTP server or a mail folder (retries after 50 and 100 ms), else null. */
  mailer: ServerMailer | null
  bearer(user: UserRecord, scopes?: readonly Scope[]): string
  close(): Promise<void>
}

/**
 * Tessera's real app on a real SQLite file in a temporary directory, with the real argon2id
 * hasher. Seeding costs one hash per file; tests mint tokens instead of logging in unless the
 * login is what they test.
 */
export async function startTestServer(options: { config?: Partial<Config>; logger?: DestinationStream } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-http-'))
  // The same suite runs on each backend (vitest.config.ts's projects): a SQLite file here, or a
  // fresh PostgreSQL database of this file's own.
  const database = TEST_BACKEND === 'postgres' ? await createTestDatabase('http') : null
  const config = testConfig({ databaseUrl: database?.url ?? `sqlite:${join(dir, 'tessera.db')}`, ...options.config })
  const store = await openStore(config.databaseUrl)
  const clock = fixedClock(T0)
  // As the server wires them: an RS256 id_token key, and HS256 access tokens until a test adds a key to the store and reloads.
  await ensureIdTokenKey(DEFAULT_ID_TOKEN_ALGORITHM, { keys: store.signingKeys, settings: store.settings, clock })
  const signingKeys = await openSigningKeyRing(store.signingKeys, { clock, reloadIntervalMs: config.keysReloadSeconds * 1000 })
  const tokens = createAccessTokens({
    secretKey: SECRET_KEY, issuer: ISSUER, expiresInSeconds: config.accessTokenExpireMinutes * 60, clock, signingKeys,
    audience: config.audience, audienceWithoutClient: false,
  })
  const hasher = counting(createPasswordHasher({
    admission: new HashAdmission({ concurrency: config.hashConcurrency, queueLimit: config.hashQueueLimit }),
  }))
  const passwordHash = await hasher.hash(PASSWORD)
  const users = {
    johndoe: await store.users.create({ username: 'johndoe', passwordHash, email: 'johndoe@example.com', fullName: 'John Doe', scopes: ['me', 'items'] }),
    alice: await store.users.create({ username: 'alice', passwordHash, email: 'alice@example.com', fullName: 'Alice Wonderson', disabled: true, scopes: ['me', 'items'] }),
    bob: await store.users.create({ username: 'bob', passwordHash, scopes: ['me'] }),
  }
  hasher.calls.hash = 0
  // The app's logger and metrics, shared with the mailer so its lines and counts land where the app's do.
  const logger = createLogger(config, options.logger)
  const metrics = config.metrics ? new PrometheusMetrics() : undefined
  const mailer = createMailer(config, { logger, metrics: metrics ?? { mailSent: () => undefined, mailFailed: () => undefined }, clock, retryDelaysMs: [50, 100] })
  const app = await buildApp({
    config, store, tokens, hasher, clock, signingKeys, logger, ...(metrics ? { metrics } : {}), ...(mailer ? { mailer } : {}),
  })
  return {
    app, config, store, tokens, signingKeys, hasher, clock, users, mailer,
    bearer: (user, scopes = user.scopes) => `Bearer ${tokens.issue(user.id, scopes).token}`,
    async close() {
      signingKeys.close()
      await app.close()
      await mailer?.close(1000)
      await store.close()
      await database?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * The security headers every answer carries (security-headers.test.ts asserts them on every
 * kind of answer): dropped by stableHeaders only when they hold exactly these values.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
}

/** Headers every answer carries that a test does not assert value by value. */
export function stableHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const { date: _date, connection: _connection, 'content-length': _length, 'x-request-id': _id, 'keep-alive': _keepAlive, ...rest } = headers
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) if (rest[name] === value) delete rest[name]
  return rest
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString()
}
