import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Status } from '../schemas.js'

/** GET /status: the scopes tutorial's endpoint for any valid token (OpenAPI `security: [[]]`-style `[]`). */
export const statusRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/status', {
    schema: { summary: 'Read System Status', response: { 200: Status } },
    config: { auth: true },
  }, async () => ({ status: 'ok' as const }))
}
