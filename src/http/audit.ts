import type { FastifyRequest } from 'fastify'
import type { Audit, AuditContext, AuditEvent, AuditEventName } from '../core/index.js'

/** Where the request came from, as the audit log records it (`request.ip` honours trustProxy). */
export function auditContext(request: FastifyRequest): AuditContext {
  const userAgent = request.headers['user-agent']
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 512) : null }
}

export type AuditFields = Partial<Omit<AuditEvent, 'event' | 'at' | 'ip' | 'userAgent'>>

/**
 * Records one audit event for `request`. The audit log is a record of what happened, not a
 * gate: if writing it fails, the failure is logged (without the event's details) and the
 * request's own answer stands.
 */
export async function recordAudit(audit: Audit, request: FastifyRequest, event: AuditEventName, fields: AuditFields, now: number): Promise<void> {
  try {
    await audit.record({
      event, at: now, userId: null, username: null, clientId: null, actorId: null, details: {},
      ...fields, ...auditContext(request),
    })
  } catch (err) {
    request.log.error({ event, err: { name: (err as Error)?.name } }, 'could not write the audit log')
  }
}
