import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ValidationFailed, toPublicAuditEntry, type AuditFilter } from '../../core/index.js'
import { AuditPage, AuditQuery, PAGE_LIMIT_DEFAULT } from '../admin-schemas.js'
import { noStore } from './admin-users.js'
import type { AppDeps } from '../deps.js'
import { coerceIntegerQuery } from '../query-integers.js'
import { HTTPValidationError } from '../schemas.js'

/**
 * Epoch milliseconds of an RFC 3339 date-time the schema accepted. A few spellings the format
 * allows are beyond Date.parse (a leap second, a lower-case `t`): those are a 422 like any other.
 */
function instant(value: string, name: string): number {
  const ms = Date.parse(value.toUpperCase())
  if (Number.isNaN(ms)) {
    throw new ValidationFailed([{ type: 'datetime_parsing', loc: ['query', name], msg: 'Input should be a valid datetime', input: value }])
  }
  return ms
}

/** GET /admin/audit: the audit log, newest first, narrowed by any of its filters (all must match). */
export const adminAuditRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { audit } = deps.store

  app.addHook('onRequest', noStore)
  app.addHook('preValidation', coerceIntegerQuery)

  app.get('/admin/audit', {
    schema: {
      summary: 'Read Audit Log',
      description: 'Newest first. `since` and `until` are RFC 3339 date-times (inclusive); the other filters match exactly.',
      querystring: AuditQuery, response: { 200: AuditPage, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:read'] } },
  }, async (request) => {
    const { event, user_id, actor_id, client_id, ip, since, until, limit = PAGE_LIMIT_DEFAULT, offset = 0 } = request.query
    const filter: AuditFilter = {
      ...(event === undefined ? {} : { event }),
      ...(user_id === undefined ? {} : { userId: user_id }),
      ...(actor_id === undefined ? {} : { actorId: actor_id }),
      ...(client_id === undefined ? {} : { clientId: client_id }),
      ...(ip === undefined ? {} : { ip }),
      ...(since === undefined ? {} : { since: instant(since, 'since') }),
      ...(until === undefined ? {} : { until: instant(until, 'until') }),
      // One more than the page: whether there is a next page, without counting an ever-growing log.
      limit: limit + 1,
      offset,
    }
    const records = await audit.list(filter)
    return { events: records.slice(0, limit).map(toPublicAuditEntry), limit, offset, has_more: records.length > limit }
  })
}
