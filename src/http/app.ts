import { createRequire } from 'node:module'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { noMetrics, type Metrics } from '../core/index.js'
import { noMailer, type Mailer } from '../core/mail.js'
import { frameworkErrors, installErrorHandler, tesseraAuth } from '../fastify/index.js'
import { installCors } from './cors.js'
import type { AppDeps } from './deps.js'
import { REQUEST_ID_HEADER, TesseraLogController, createLogger, requestIdFor, requestLoggerFactory } from './logger.js'
import { memoryThrottle } from './limits.js'
import { PrometheusMetrics, installRequestMetrics, type HashLoad } from './metrics.js'
import { accountRoutes } from './routes/account.js'
import { adminAuditRoutes } from './routes/admin-audit.js'
import { adminClientRoutes } from './routes/admin-clients.js'
import { adminProviderRoutes } from './routes/admin-providers.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { emailRoutes } from './routes/email.js'
import { authorizeRoutes } from './routes/authorize.js'
import { OPENAPI_SECURITY, docsRoutes, registerOpenApi } from './routes/docs.js'
import { demoRoutes } from './demo/demo-routes.js'
import { pageAssetRoutes } from './pages/assets.js'
import { endSessionRoutes } from './routes/end-session.js'
import { healthRoutes } from './routes/health.js'
import { itemRoutes } from './routes/items.js'
import { metadataRoutes } from './routes/metadata.js'
import { metricsRoutes } from './routes/metrics.js'
import { passwordResetRoutes } from './routes/password-reset.js'
import { jwksRoutes } from './routes/jwks.js'
import { revocationRoutes } from './routes/revocation.js'
import { sessionRoutes } from './routes/sessions.js'
import { signUpRoutes } from './routes/sign-up.js'
import { statusRoutes } from './routes/status.js'
import { tokenRoutes } from './routes/token.js'
import { userInfoRoutes } from './routes/userinfo.js'
import { userRoutes } from './routes/users.js'
import { serverIdTokens } from './id-tokens.js'
import { installSecurityHeaders, withSecurityHeaders } from './security-headers.js'

export interface BuildAppOptions extends Omit<AppDeps, 'metrics' | 'mailer'> {
  /** Where mails go; default noMailer (mail features off). */
  mailer?: Mailer | undefined
  /** A pino logger to use as is, or where to write the app's own redacting logger (default stdout). */
  logger?: Logger | DestinationStream
  /**
   * Where routes count; default: a fresh PrometheusMetrics when config.metrics is on, else none.
   * GET /metrics is served when config.metrics is on and this is a PrometheusMetrics.
   */
  metrics?: Metrics
  /** The hash gate whose queue depth and in-flight count /metrics reports. */
  admission?: HashLoad
}

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

function isLogger(value: BuildAppOptions['logger']): value is Logger {
  return value !== undefined && typeof (value as Logger).child === 'function'
}

/**
 * Tessera's HTTP server, ready but not listening: tests call `inject()`, `startServer` listens.
 * Order matters: the error handler, the OpenAPI collector and the auth plugin all watch routes
 * through onRoute hooks, so they are in place before the first route.
 */
export async function buildApp(given: BuildAppOptions): Promise<FastifyInstance> {
  const metrics = given.metrics ?? (given.config.metrics ? new PrometheusMetrics() : noMetrics)
  // One brute-force store for every route when none is shared (see limits.ts).
  const options: BuildAppOptions & AppDeps = { ...given, metrics, mailer: given.mailer ?? noMailer, throttle: given.throttle ?? memoryThrottle(given.clock) }
  const withIdTokens = { ...options, idTokens: serverIdTokens(options) }
  const prometheus = given.config.metrics && metrics instanceof PrometheusMetrics ? metrics : null
  if (prometheus !== null && given.admission !== undefined) prometheus.watchHashAdmission(given.admission)
  const { config, store, tokens } = options
  const logger: FastifyBaseLogger = isLogger(options.logger) ? options.logger : createLogger(config, options.logger)
  const app = Fastify({
    loggerInstance: logger,
    // Successful reads are logged at debug, state changes and failures at info (logger.ts), and
    // each request's pino child is made only when it logs something.
    logController: new TesseraLogController(),
    childLoggerFactory: requestLoggerFactory,
    bodyLimit: config.bodyLimit,
    // SPEC.md: /users/me and /users/me/ are one resource (the tutorials use both), without redirects.
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: requestIdFor,
    // request.ip is the client behind the load balancer only for the hops config says to believe.
    trustProxy: typeof config.trustProxy === 'object' ? [...config.trustProxy] : config.trustProxy,
    frameworkErrors: withSecurityHeaders(frameworkErrors, { hsts: config.hsts }),
    ajv: {
      customOptions: {
        // pydantic reports every invalid field at once. Safe here: request schemas are small
        // objects, their arrays are bounded (maxItems) and bodies are capped by bodyLimit.
        allErrors: true,
        // pydantic refuses 123 for a str field (string_type); ajv's default would turn it into "123".
        coerceTypes: false,
        // OpenAPI's `format: password` only tells UIs to mask the field.
        formats: { password: true },
      },
    },
  })

  installErrorHandler(app)
  // Echoed on every answer, errors included, so a client's report can be found in the logs.
  app.addHook('onRequest', (request, reply, done) => { reply.header(REQUEST_ID_HEADER, request.id); done() })
  installSecurityHeaders(app, { hsts: config.hsts })
  installCors(app, config.corsOrigins)
  if (prometheus !== null) installRequestMetrics(app, prometheus)
  // JSON is the only body outside /token (which reads forms): text/plain is refused with 415 too.
  app.removeContentTypeParser('text/plain')

  await registerOpenApi(app, { title: 'Tessera', version })
  await app.register(tesseraAuth, { tokens, users: store.users, revokedTokens: store.revokedTokens, ...OPENAPI_SECURITY })

  await app.register(tokenRoutes, withIdTokens)
  await app.register(authorizeRoutes, options)
  await app.register(endSessionRoutes, withIdTokens)
  await app.register(pageAssetRoutes)                                // the hosted pages' stylesheet
  await app.register(accountRoutes, options)                         // /account: profile, password, second factor, sessions, apps
  await app.register(signUpRoutes, options)                          // /signup: open registration as a page
  await app.register(emailRoutes, options)                           // /email/verify, /email/verify/resend, /email/change: mailed links
  await app.register(passwordResetRoutes, options)                   // /password/forgot, /password/reset
  await app.register(userInfoRoutes, options)
  await app.register(revocationRoutes, options)
  await app.register(sessionRoutes, options)
  await app.register(metadataRoutes, options)
  await app.register(userRoutes, options)
  await app.register(itemRoutes, options)
  await app.register(adminUserRoutes, options)
  await app.register(adminClientRoutes, options)
  await app.register(adminProviderRoutes, options)
  await app.register(adminAuditRoutes, options)
  await app.register(statusRoutes)
  await app.register(healthRoutes, options)
  if (prometheus !== null) await app.register(metricsRoutes, { metrics: prometheus, token: config.metricsToken })
  await app.register(jwksRoutes, options)
  await app.register(docsRoutes)
  if (config.demo) await app.register(demoRoutes)                    // the /demo/ example app

  await app.ready()
  return app
}
