import type { FastifyRequest } from 'fastify'

/** A plain decimal integer, as FastAPI parses an `int` query parameter (no sign games, no spaces). */
const DECIMAL = /^-?\d{1,15}$/

interface QuerySchema { properties?: Record<string, { type?: unknown }> }

/**
 * A preValidation hook: turns the query parameters the route's schema declares as `integer`
 * from text into numbers, so the schema (and OpenAPI) can say `integer` while ajv stays
 * configured not to coerce (a JSON body's "123" must stay a string_type error, as in pydantic).
 * Anything that is not a plain decimal stays text and fails validation as an integer would.
 */
export async function coerceIntegerQuery(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema?.querystring as QuerySchema | undefined
  const query = request.query as Record<string, unknown> | undefined
  if (schema?.properties === undefined || query === undefined || query === null) return
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = query[name]
    if (property.type === 'integer' && typeof value === 'string' && DECIMAL.test(value)) query[name] = Number(value)
  }
}
