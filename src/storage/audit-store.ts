import type { Selectable } from 'kysely'
import { AUDIT_EVENTS, type AuditEvent, type AuditEventName, type AuditFilter, type AuditRecord } from '../core/audit.js'
import type { AuditStore } from '../core/ports.js'
import type { Backend } from './backend.js'
import type { AuditLogTable } from './schema.js'

const AUDIT_COLUMNS = ['id', 'at', 'event', 'user_id', 'username', 'client_id', 'actor_id', 'ip', 'user_agent', 'details'] as const

type AuditRow = Selectable<AuditLogTable>

/**
 * The log records what a request carried (a typed username, a user agent), and those may hold
 * bytes no database text type takes everywhere: NUL (refused by PostgreSQL) and lone UTF-16
 * surrogates (not UTF-8). An audit entry must never fail for that, so they become U+FFFD.
 */
function storable(text: string | null): string | null {
  return text === null ? null : text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

function toDetails(raw: string): AuditEvent['details'] {
  const parsed: unknown = JSON.parse(raw)
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as AuditEvent['details']) : {}
}

function isEventName(value: string): value is AuditEventName {
  return (AUDIT_EVENTS as readonly string[]).includes(value)
}

function toAuditRecord(row: AuditRow): AuditRecord {
  // A name retired from AUDIT_EVENTS still reads back (the row is history); the type is the closed set.
  const event = row.event as AuditEventName
  return {
    id: Number(row.id),
    at: Number(row.at),
    event,
    userId: row.user_id,
    username: row.username,
    clientId: row.client_id,
    actorId: row.actor_id,
    ip: row.ip,
    userAgent: row.user_agent,
    details: toDetails(row.details),
  }
}

export function createAuditStore(backend: Backend): AuditStore {
  const { db } = backend
  return {
    async record(event) {
      if (!isEventName(event.event)) throw new TypeError('AuditEvent.event is not one of AUDIT_EVENTS')
      if (!Number.isSafeInteger(event.at)) throw new TypeError('AuditEvent.at must be epoch milliseconds')
      await db
        .insertInto('audit_log')
        .values({
          at: event.at,
          event: event.event,
          user_id: storable(event.userId),
          username: storable(event.username),
          client_id: storable(event.clientId),
          actor_id: storable(event.actorId),
          ip: storable(event.ip),
          user_agent: storable(event.userAgent),
          // JSON.stringify escapes NUL and lone surrogates itself (well-formed JSON.stringify, ES2019).
          details: JSON.stringify(event.details),
        })
        .execute()
    },

    async list(filter: AuditFilter) {
      const unrepresentable = [filter.userId, filter.actorId, filter.clientId, filter.ip]
        .some((value) => value !== undefined && backend.representable?.(value) === false)
      if (unrepresentable) return []                       // nothing stored can hold it
      let query = db.selectFrom('audit_log').select(AUDIT_COLUMNS)
      if (filter.event !== undefined) query = query.where('event', '=', filter.event)
      if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId)
      if (filter.actorId !== undefined) query = query.where('actor_id', '=', filter.actorId)
      if (filter.clientId !== undefined) query = query.where('client_id', '=', filter.clientId)
      if (filter.ip !== undefined) query = query.where('ip', '=', filter.ip)
      if (filter.since !== undefined) query = query.where('at', '>=', filter.since)
      if (filter.until !== undefined) query = query.where('at', '<=', filter.until)
      // id breaks ties between events of one millisecond: the later insert is the newer event.
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).offset(filter.offset).execute()
      return rows.map(toAuditRecord)
    },

    async deleteOlderThan(cutoff) {
      const result = await db.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
