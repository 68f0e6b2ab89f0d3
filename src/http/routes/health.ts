import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ServiceUnavailable } from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { Status } from '../schemas.js'

/** GET /healthz: for load balancers. It asks the store, since a server that cannot reach it is not healthy. */
export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get('/healthz', {
    schema: { summary: 'Health', response: { 200: Status } },
    logLevel: 'warn', // probes every few seconds would drown the request log
  }, async (request) => {
    try {
      await deps.store.ping()
    } catch (err) {
      request.log.error({ err }, 'health check: store unreachable')
      throw new ServiceUnavailable(5, 'Store unavailable')
    }
    return { status: 'ok' as const }
  })
}
