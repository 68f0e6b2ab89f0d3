import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { InvalidToken, extractBearerToken } from '../../core/index.js'
import type { PrometheusMetrics } from '../metrics.js'

export interface MetricsRouteOptions {
  metrics: PrometheusMetrics
  /** The bearer token scrapers must send (TESSERA_METRICS_TOKEN); null: anyone who can reach it. */
  token: string | null
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/**
 * GET /metrics: the Prometheus scrape target. Not part of the API document. The numbers tell an
 * outsider how busy the server is and how many logins fail, so keep it off the public internet
 * (the proxy should not route it) or set TESSERA_METRICS_TOKEN.
 */
export const metricsRoutes: FastifyPluginAsync<MetricsRouteOptions> = async (app, { metrics, token }) => {
  // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token.
  const expected = token === null ? null : digest(token)

  app.get('/metrics', {
    schema: { hide: true },
    logLevel: 'warn', // scraped every few seconds: it would drown the request log
  }, async (request, reply) => {
    if (expected !== null) {
      const given = extractBearerToken(request.headers.authorization)            // none: 401 Not authenticated
      if (!timingSafeEqual(digest(given), expected)) throw new InvalidToken()
    }
    const { contentType, body } = await metrics.scrape()
    return reply.type(contentType).header('cache-control', 'no-store').send(body)
  })
}
