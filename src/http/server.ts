import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { DestinationStream, Logger } from 'pino'
import { postgresOptions, type Config } from '../config.js'
import {
  DEFAULT_ID_TOKEN_ALGORITHM, HashAdmission, createAccessTokens, createPasswordHasher, ensureDemoClient, ensureDocsClient,
  ensureIdTokenKey, noMetrics, resolveSecretKey, seedDemo, systemClock, type Clock, type SigningKeyRing,
} from '../core/index.js'
import { MemoryThrottleStore, RedisThrottleStore, openStore, type KeyChangeSubscription } from '../storage/index.js'
import { buildApp } from './app.js'
import { startHousekeeping } from './housekeeping.js'
import { createLogger } from './logger.js'
import { PrometheusMetrics } from './metrics.js'
import { createMailer, type ServerMailer } from '../mail/index.js'
import { connectRedis } from './redis-connection.js'
import { followKeyChanges, openServerSigningKeys } from './signing-keys.js'

export interface ServerOptions {
  /** A pino logger to use, or where the server's own redacting logger writes (default stdout). */
  logger?: Logger | DestinationStream
  /** Drain and close on SIGTERM/SIGINT (default true). Tests that own the lifecycle turn it off. */
  handleSignals?: boolean
  clock?: Clock
}

export interface RunningServer {
  app: FastifyInstance
  /** Where it listens, e.g. `http://127.0.0.1:8000` (the real port when 0 was asked for). */
  url: string
  /** Stops accepting, lets in-flight requests finish, then closes the store. Idempotent. */
  close(): Promise<void>
  /** Settles once the server has closed, whoever asked (a signal or `close()`); rejects if closing failed. */
  closed: Promise<void>
}

/** In-flight requests get this long to finish after a shutdown signal; then the store closes regardless. */
const DRAIN_TIMEOUT_MS = 10_000

/** Mails still queued at shutdown get this long to go out; the rest are logged and counted as failed. */
const MAIL_DRAIN_TIMEOUT_MS = 5_000

/** How often, while draining, connections that have finished their last answer are closed. */
const IDLE_SWEEP_MS = 25

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']

function isLogger(value: ServerOptions['logger']): value is Logger {
  return value !== undefined && typeof (value as Logger).child === 'function'
}

/**
 * `tessera serve`: everything the app needs, built from config in order, then listening.
 * Secrets never reach the log: only whether the signing key was generated.
 */
export async function startServer(config: Config, options: ServerOptions = {}): Promise<RunningServer> {
  const logger = isLogger(options.logger) ? options.logger : createLogger(config, options.logger)
  const clock = options.clock ?? systemClock

  const store = await openStore(config.databaseUrl, { clock, postgres: postgresOptions(config) })              // applies pending migrations
  let signingKeys: SigningKeyRing | undefined
  let redis: Redis | null = null
  let keyChanges: KeyChangeSubscription | null = null
  let mailer: ServerMailer | null = null
  try {
    redis = await connectRedis(config, logger)                            // null without TESSERA_REDIS_URL
    // Brute-force limits: shared by every instance through Redis, else kept in this process.
    const throttle = redis === null ? new MemoryThrottleStore({ clock }) : new RedisThrottleStore(redis, `${config.redisKeyPrefix}throttle:`)
    const secret = await resolveSecretKey(config.secretKey, store.settings)
    if (secret.generated) logger.info('generated a signing key and stored it in the database; tokens survive restarts')
    // OIDC Core §15.1: an OpenID Provider signs id_tokens with RS256; the first start makes that key.
    await ensureIdTokenKey(DEFAULT_ID_TOKEN_ALGORITHM, { keys: store.signingKeys, settings: store.settings, clock })
    signingKeys = await openServerSigningKeys(store.signingKeys, config, clock, logger)
    await ensureDocsClient(store.clients, config.issuer)                        // /docs' code flow (Swagger UI, PKCE)
    keyChanges = await followKeyChanges(signingKeys, config, logger)            // with Redis: reload at once on `tessera keys`
    const tokens = createAccessTokens({
      secretKey: secret.key, issuer: config.issuer, expiresInSeconds: config.accessTokenExpireMinutes * 60, clock, signingKeys,
      // RFC 9068 §2.2: tokens for clients name their audience; the client-less password grant stays FastAPI-decodable.
      audience: config.audience, audienceWithoutClient: false,
    })
    const metrics = config.metrics ? new PrometheusMetrics() : noMetrics
    const admission = new HashAdmission({
      concurrency: config.hashConcurrency, queueLimit: config.hashQueueLimit, onAdmitted: (seconds) => metrics.hashAdmitted(seconds),
    })
    const hasher = createPasswordHasher({ admission })
    mailer = createMailer(config, { logger, metrics, clock })
    if (mailer !== null) logger.info(`mail: ${mailer.description}`)
    else logger.warn('mail is off (no TESSERA_SMTP_URL or TESSERA_MAIL_DIR): email verification, password reset and email change are not offered')
    if (config.demo) {
      await seedDemo({ users: store.users, items: store.items, hasher })
      await ensureDemoClient(store.clients, config.issuer)
      logger.warn(`demo mode: the tutorial users johndoe and alice exist with their published passwords; the demo app is at ${config.issuer.replace(/\/+$/, '')}/demo/`)
    }
    const app = await buildApp({ config, store, tokens, hasher, clock, logger, signingKeys, metrics, admission, redis: redis ?? undefined, throttle, mailer: mailer ?? undefined })
    let url: string
    try {
      url = await listen(app, config)
    } catch (err) {
      await app.close()                                                  // e.g. EADDRINUSE
      throw err
    }
    logger.info({ url }, `Tessera listening on ${url}`)
    const housekeeping = startHousekeeping(store, clock, logger, { auditRetentionDays: config.auditRetentionDays, sessionIdleHours: config.sessionIdleHours }) // expired sessions, codes, old audit
    const keys = signingKeys
    const shared = redis
    const following = keyChanges
    const mail = mailer
    return withShutdown(app, async () => {
      housekeeping.stop(); keys.close(); following?.close(); shared?.disconnect()
      await mail?.close(MAIL_DRAIN_TIMEOUT_MS)
      return store.close()
    }, url, logger, options.handleSignals ?? true)
  } catch (err) {
    signingKeys?.close()
    keyChanges?.close()
    await mailer?.close(0)
    redis?.disconnect()
    await store.close()
    throw err
  }
}

async function listen(app: FastifyInstance, config: Config): Promise<string> {
  await app.listen({ host: config.host, port: config.port })
  const address = app.server.address()
  if (address === null || typeof address === 'string') return `http://${config.host}:${config.port}`
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

function withShutdown(
  app: FastifyInstance, closeStore: () => Promise<void>, url: string, logger: Logger, handleSignals: boolean,
): RunningServer {
  let closing: Promise<void> | undefined
  let closedBy: (outcome: Promise<void>) => void = () => undefined

  const onSignal = (signal: NodeJS.Signals) => {
    // A terminal's ^C may arrive twice (to a relaunching parent and to us): one shutdown is enough.
    if (closing !== undefined) return
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    close().catch((err: unknown) => { logger.error({ err }, 'shutdown failed') })
  }

  function close(): Promise<void> {
    if (closing === undefined) {
      closing = (async () => {
        try {
          // Fastify stops accepting, answers 503 to requests arriving on kept-alive connections,
          // and resolves once every connection has ended. It closes only the connections idle at
          // this moment: one whose request is still running would then sit in keep-alive (72 s
          // by default) after its answer. Sweeping idle connections until closed ends each one
          // as soon as its answer is sent.
          const sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS)
          const drained = await Promise.race([app.close().then(() => true), delay(DRAIN_TIMEOUT_MS).then(() => false)])
          clearInterval(sweep)
          if (!drained) {
            logger.warn(`requests still running after ${DRAIN_TIMEOUT_MS} ms; closing their connections`)
            app.server.closeAllConnections()
          }
          await closeStore()
          logger.info('stopped')
        } finally {
          // Only now: a repeated signal during the drain must find our handler, not the default (exit).
          if (handleSignals) for (const signal of SHUTDOWN_SIGNALS) process.off(signal, onSignal)
        }
      })()
      closedBy(closing)
    }
    return closing
  }

  const closed = new Promise<void>((resolve, reject) => {
    closedBy = (outcome) => outcome.then(resolve, reject)
  })
  // Handled here so an unobserved failure is not an unhandled rejection; awaiting it still throws.
  closed.catch(() => undefined)

  if (handleSignals) for (const signal of SHUTDOWN_SIGNALS) process.on(signal, onSignal)
  return { app, url, close, closed }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
