import { describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../src/core/audit.js'
import type { Store } from '../../src/core/ports.js'

const T = Date.UTC(2026, 0, 1)
const JOHN = '11111111-1111-4111-8111-111111111111'
const ADMIN = '22222222-2222-4222-8222-222222222222'

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    event: 'login.succeeded', at: T, userId: JOHN, username: 'johndoe', clientId: null, actorId: null,
    ip: '203.0.113.7', userAgent: 'curl/8.5.0', details: { scope: 'me items' }, ...overrides,
  }
}

const ALL = { limit: 100, offset: 0 }

/** The audit log: append, then read newest first through filters and pages. */
export function describeAuditContract(current: () => Store): void {
  describe('audit', () => {
    it('records an event and reads every field back, with an id', async () => {
      const store = current()
      expect(await store.audit.list(ALL)).toEqual([])
      const details = { reason: 'invalid_credentials', scopes: ['me', 'items'], attempts: 3, admin: false, note: null }
      await store.audit.record(event({ event: 'login.failed', clientId: 'web', actorId: ADMIN, details }))
      expect(await store.audit.list(ALL)).toEqual([{
        id: expect.any(Number), event: 'login.failed', at: T, userId: JOHN, username: 'johndoe', clientId: 'web', actorId: ADMIN,
        ip: '203.0.113.7', userAgent: 'curl/8.5.0', details,
      }])
    })

    it('keeps nulls as nulls and epoch milliseconds past 2038 exactly', async () => {
      const store = current()
      const at = Date.UTC(2100, 5, 15, 12, 0, 0, 123)
      await store.audit.record(event({ at, userId: null, username: null, ip: null, userAgent: null, details: {} }))
      expect(await store.audit.list(ALL)).toEqual([expect.objectContaining({ at, userId: null, username: null, ip: null, userAgent: null, details: {} })])
    })

    it('lists newest first; events of one millisecond in the order they were recorded, newest first', async () => {
      const store = current()
      await store.audit.record(event({ at: T + 2, username: 'second' }))
      await store.audit.record(event({ at: T, username: 'first-a' }))
      await store.audit.record(event({ at: T, username: 'first-b' }))
      await store.audit.record(event({ at: T + 5, username: 'third' }))
      expect((await store.audit.list(ALL)).map((e) => e.username)).toEqual(['third', 'second', 'first-b', 'first-a'])
      const ids = (await store.audit.list(ALL)).map((e) => e.id)
      expect(new Set(ids).size).toBe(4)
    })

    it('filters by event, user, actor, client, ip and an inclusive time range, combined', async () => {
      const store = current()
      await store.audit.record(event({ at: T, event: 'login.failed', username: 'a' }))
      await store.audit.record(event({ at: T + 1000, username: 'b', ip: '198.51.100.1' }))
      await store.audit.record(event({ at: T + 2000, event: 'admin.user_updated', actorId: ADMIN, username: 'c' }))
      await store.audit.record(event({ at: T + 3000, userId: ADMIN, username: 'd', clientId: 'svc' }))
      const names = async (filter: Partial<Parameters<Store['audit']['list']>[0]>) =>
        (await store.audit.list({ ...ALL, ...filter })).map((e) => e.username)

      expect(await names({ event: 'login.failed' })).toEqual(['a'])
      expect(await names({ event: 'logout' })).toEqual([])
      expect(await names({ userId: JOHN })).toEqual(['c', 'b', 'a'])
      expect(await names({ actorId: ADMIN })).toEqual(['c'])
      expect(await names({ clientId: 'svc' })).toEqual(['d'])
      expect(await names({ ip: '198.51.100.1' })).toEqual(['b'])
      expect(await names({ since: T + 1000 })).toEqual(['d', 'c', 'b'])
      expect(await names({ until: T + 1000 })).toEqual(['b', 'a'])
      expect(await names({ since: T + 1000, until: T + 2000 })).toEqual(['c', 'b'])
      expect(await names({ since: T + 1001, until: T + 1999 })).toEqual([])
      expect(await names({ userId: JOHN, event: 'login.succeeded', since: T + 500 })).toEqual(['b'])
    })

    it('pages with limit and offset', async () => {
      const store = current()
      for (let i = 0; i < 5; i += 1) await store.audit.record(event({ at: T + i, username: `u${i}` }))
      const names = async (limit: number, offset: number) => (await store.audit.list({ limit, offset })).map((e) => e.username)
      expect(await names(2, 0)).toEqual(['u4', 'u3'])
      expect(await names(2, 2)).toEqual(['u2', 'u1'])
      expect(await names(2, 4)).toEqual(['u0'])
      expect(await names(2, 5)).toEqual([])
    })

    it('deletes the entries recorded before a cutoff (retention), counting them; the cutoff itself and later stay', async () => {
      const store = current()
      for (const [at, username] of [[T - 2, 'oldest'], [T - 1, 'old'], [T, 'at-cutoff'], [T + 1, 'new']] as const) {
        await store.audit.record(event({ at, username }))
      }
      expect(await store.audit.deleteOlderThan(T)).toBe(2)
      expect((await store.audit.list(ALL)).map((e) => e.username)).toEqual(['new', 'at-cutoff'])
      expect(await store.audit.deleteOlderThan(T)).toBe(0)
    })

    it('takes hostile filter values as plain values', async () => {
      const store = current()
      await store.audit.record(event())
      expect(await store.audit.list({ ...ALL, userId: "' OR '1'='1" })).toEqual([])
      expect(await store.audit.list({ ...ALL, ip: '%' })).toEqual([])
      expect(await store.audit.list({ ...ALL, clientId: 'a\u0000b' })).toEqual([])
    })

    it('records text no database type holds everywhere (NUL, lone surrogates) with U+FFFD in its place', async () => {
      const store = current()
      const details = { typed: 'x\u0000y\uD800z' }
      await store.audit.record(event({ username: 'ev\u0000il\uDC00', userAgent: 'agent\u0000/1 💥', details }))
      const [stored] = await store.audit.list(ALL)
      expect(stored).toMatchObject({ username: 'ev\uFFFDil\uFFFD', userAgent: 'agent\uFFFD/1 💥' })
      // Details travel as JSON text, which escapes both, so they come back exactly.
      expect(stored?.details).toEqual(details)
    })

    it('refuses an event name outside the closed set as a programming error', async () => {
      const store = current()
      await expect(store.audit.record(event({ event: 'made.up' as 'logout' }))).rejects.toThrow(TypeError)
      expect(await store.audit.list(ALL)).toEqual([])
    })
  })
}
