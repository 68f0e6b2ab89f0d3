import { InvalidArgumentError, type Command } from 'commander'
import { AUDIT_EVENTS, toPublicAuditEntry, type AuditEventName, type AuditFilter, type AuditRecord, type Store } from '../core/index.js'
import { CliError } from './cli-error.js'
import { withStore } from './command-context.js'
import { table } from './table.js'

const LIMIT_MAX = 10_000
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

function parseEvent(value: string): AuditEventName {
  const event = AUDIT_EVENTS.find((e) => e === value)
  if (event === undefined) throw new InvalidArgumentError(`unknown event (known: ${AUDIT_EVENTS.join(', ')})`)
  return event
}

function parseCount(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`)
    return n
  }
}

/**
 * A point in time, three ways: a duration back from now (`90m`, `24h`, `7d`), a day (`2026-01-31`,
 * midnight UTC), or an RFC 3339 date-time with its zone (`2026-01-31T12:00:00+01:00`).
 */
export function parseInstant(value: string, now: number = Date.now()): number {
  const ago = /^(\d{1,9})([smhd])$/.exec(value)
  if (ago !== null) return now - Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Number.NaN
  if (!Number.isNaN(day)) return day
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) ? Date.parse(value.toUpperCase()) : Number.NaN
  if (!Number.isNaN(zoned)) return zoned
  throw new InvalidArgumentError('expected a duration back from now (30m, 24h, 7d), a date (2026-01-31) or a date-time with zone (2026-01-31T12:00:00Z)')
}

interface AuditOptions {
  event?: AuditEventName
  user?: string
  actor?: string
  client?: string
  ip?: string
  since?: number
  until?: number
  limit: number
  offset: number
  json?: boolean
}

/** A user id as given, or the id of the user with that name (a deleted user is found by id only). */
async function userIdOf(store: Store, given: string): Promise<string> {
  if (UUID.test(given)) return given.toLowerCase()
  const user = await store.users.findByUsername(given)
  if (user === null) throw new CliError(`no user named ${JSON.stringify(given)} (a deleted user's entries are found by id)`)
  return user.id
}

/**
 * What the log holds came from requests: a typed username or a user agent may carry terminal
 * escapes. They are shown as U+FFFD in the table, and as \u escapes in JSON (which leaves
 * DEL and the C1 controls, CSI among them, unescaped).
 */
const CONTROL = /\p{Cc}/gu
const UNESCAPED_IN_JSON = /[\u007F-\u009F\u2028\u2029]/g

function cell(text: string | null): string {
  return text === null || text === '' ? '-' : text.replace(CONTROL, '\uFFFD')
}

function detailsText(record: AuditRecord): string {
  const facts = Object.entries(record.details).map(([key, value]) => `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`)
  return (record.actorId === null ? facts : [`actor=${record.actorId}`, ...facts]).join(' ')
}

function render(records: readonly AuditRecord[], json: boolean): string {
  if (json) {
    const text = JSON.stringify(records.map(toPublicAuditEntry), null, 2)
    return `${text.replace(UNESCAPED_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`
  }
  if (records.length === 0) return 'No audit entries.\n'
  const header = ['TIME', 'EVENT', 'USER', 'CLIENT', 'IP', 'DETAILS']
  const rows = records.map((r) => [
    new Date(r.at).toISOString(), r.event, cell(r.username ?? r.userId), cell(r.clientId), cell(r.ip), cell(detailsText(r)),
  ])
  return `${table([header, ...rows])}\n`
}

export function addAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('show the audit log, newest first (never a password, token or secret: none is recorded)')
    .option('--event <event>', 'only this event (e.g. login.failed)', parseEvent)
    .option('--user <user>', 'only entries about this user (username, or id for a deleted user)')
    .option('--actor <user>', 'only admin actions by this administrator (username or id)')
    .option('--client <client_id>', 'only entries about this client')
    .option('--ip <address>', 'only requests from this address')
    .option('--since <when>', 'from this time on (30m, 24h, 7d, 2026-01-31 or 2026-01-31T12:00:00Z)', (v) => parseInstant(v))
    .option('--until <when>', 'up to this time, inclusive (same forms as --since)', (v) => parseInstant(v))
    .option('--limit <n>', `how many entries, 1 to ${LIMIT_MAX}`, parseCount(1, LIMIT_MAX), 50)
    .option('--offset <n>', 'skip this many newest entries first', parseCount(0, Number.MAX_SAFE_INTEGER), 0)
    .option('--json', 'print JSON (the same entries as GET /admin/audit) instead of a table')
    .action(async (options: AuditOptions) => {
      const records = await withStore(async ({ store }) => {
        const filter: AuditFilter = {
          limit: options.limit,
          offset: options.offset,
          ...(options.event === undefined ? {} : { event: options.event }),
          ...(options.user === undefined ? {} : { userId: await userIdOf(store, options.user) }),
          ...(options.actor === undefined ? {} : { actorId: await userIdOf(store, options.actor) }),
          ...(options.client === undefined ? {} : { clientId: options.client }),
          ...(options.ip === undefined ? {} : { ip: options.ip }),
          ...(options.since === undefined ? {} : { since: options.since }),
          ...(options.until === undefined ? {} : { until: options.until }),
        }
        return store.audit.list(filter)
      })
      process.stdout.write(render(records, options.json === true))
    })
}
