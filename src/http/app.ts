import { createRequire } from 'node:module'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { DestinationStream, Logger } from 'pino'
import { frameworkErrors, installErrorHandler, tesseraAuth } from '../fastify/index.js'
import type { AppDeps } from './deps.js'
import { REQUEST_ID_HEADER, createLogger, requestIdFor } from './logger.js'
import { docsRoutes, registerOpenApi } from './routes/docs.js'
import { healthRoutes } from './routes/health.js'
import { itemRoutes } from './routes/items.js'
import { statusRoutes } from './routes/status.js'
import { tokenRoutes } from './routes/token.js'
import { userRoutes } from './routes/users.js'

export interface BuildAppOptions extends AppDeps {
  /** A pino logger to use as is, or where to write the app's own redacting logger (default stdout). */
  logger?: Logger | DestinationStream
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
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store, tokens } = options
  const logger: FastifyBaseLogger = isLogger(options.logger) ? options.logger : createLogger(config, options.logger)
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimit,
    // SPEC.md: /users/me and /users/me/ are one resource (the tutorials use both), without redirects.
    routerOptions: { ignoreTrailingSlash: true },
    requestIdHeader: false,
    genReqId: requestIdFor,
    frameworkErrors,
    ajv: {
      customOptions: {
        // pydantic reports every invalid field at once. Safe here: request schemas are small
        // objects with no arrays and bodies are capped by bodyLimit.
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
  app.addHook('onRequest', async (request, reply) => { reply.header(REQUEST_ID_HEADER, request.id) })
  // JSON is the only body outside /token (which reads forms): text/plain is refused with 415 too.
  app.removeContentTypeParser('text/plain')

  await registerOpenApi(app, { title: 'Tessera', version })
  await app.register(tesseraAuth, { tokens, users: store.users })

  await app.register(tokenRoutes, options)
  await app.register(userRoutes, options)
  await app.register(itemRoutes, options)
  await app.register(statusRoutes)
  await app.register(healthRoutes, options)
  await app.register(docsRoutes)

  await app.ready()
  return app
}
