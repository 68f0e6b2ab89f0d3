import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEvent } from '../../src/core/index.js'
import { parseInstant } from '../../src/cli/audit.js'
import { openStore } from '../../src/storage/index.js'
import { cleanEnv, runCli, type CliResult } from './run-cli.js'

// `tessera audit`, spawned for real against a database the test filled.
let dir: string
let env: NodeJS.ProcessEnv
let johnId: string

const T = Date.UTC(2026, 0, 1)
const ADMIN = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const DELETED = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd'

function tessera(args: string[]): Promise<CliResult> {
  return runCli(['audit', ...args], { env })
}

function event(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    event: 'login.succeeded', at: T, userId: null, username: null, clientId: null, actorId: null, ip: '203.0.113.7',
    userAgent: 'curl/8.5.0', details: {}, ...overrides,
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-audit-'))
  const databaseUrl = `sqlite:${join(dir, 'audit.db')}`
  env = cleanEnv({ TESSERA_DATABASE_URL: databaseUrl })
  const store = await openStore(databaseUrl)
  try {
    johnId = (await store.users.create({ username: 'johndoe', passwordHash: 'not-a-real-hash' })).id
    await store.audit.record(event({ at: T, userId: johnId, username: 'johndoe', details: { scope: 'me items' } }))
    await store.audit.record(event({ at: T + 60_000, event: 'login.failed', userId: johnId, username: 'JohnDoe', details: { reason: 'invalid_credentials' } }))
    await store.audit.record(event({ at: T + 120_000, event: 'login.failed', username: 'evil\u001b[31mred', ip: '198.51.100.2', userAgent: '\u009b2J', details: { reason: 'invalid_credentials' } }))
    await store.audit.record(event({
      at: T + 180_000, event: 'admin.user_deleted', userId: DELETED, username: 'gone', actorId: ADMIN, clientId: 'console', details: { changed: ['disabled', 'scopes'] },
    }))
  } finally {
    await store.close()
  }
})

afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('tessera audit', () => {
  it('prints the log newest first as a table, terminal escapes from requests defused', async () => {
    const result = await tessera([])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.split('\n')
    expect(lines).toHaveLength(6)
    expect(lines[0]).toMatch(/^TIME +EVENT +USER +CLIENT +IP +DETAILS$/)
    expect(lines[1]).toMatch(new RegExp(`^2026-01-01T00:03:00\\.000Z +admin\\.user_deleted +gone +console +203\\.0\\.113\\.7 +actor=${ADMIN} changed=disabled,scopes$`))
    expect(lines[2]).toMatch(/^2026-01-01T00:02:00\.000Z +login\.failed +evil\uFFFD\[31mred +- +198\.51\.100\.2 +reason=invalid_credentials$/)
    expect(lines[3]).toMatch(/^2026-01-01T00:01:00\.000Z +login\.failed +JohnDoe +- +203\.0\.113\.7 +reason=invalid_credentials$/)
    expect(lines[4]).toMatch(/^2026-01-01T00:00:00\.000Z +login\.succeeded +johndoe +- +203\.0\.113\.7 +scope=me items$/)
    expect(lines[5]).toBe('')
    expect(result.stdout).not.toMatch(/[\u001b\u009b]/)
  })

  it('prints JSON in GET /admin/audit\'s entry shape, C1 controls escaped', async () => {
    const result = await tessera(['--json', '--limit', '2'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(result.stdout).not.toMatch(/[\u001b\u009b]/)
    expect(result.stdout).toContain('"user_agent": "\\u009b2J"')
    expect(JSON.parse(result.stdout)).toEqual([
      {
        id: 4, at: '2026-01-01T00:03:00.000Z', event: 'admin.user_deleted', user_id: DELETED, username: 'gone', client_id: 'console',
        actor_id: ADMIN, ip: '203.0.113.7', user_agent: 'curl/8.5.0', details: { changed: ['disabled', 'scopes'] },
      },
      {
        id: 3, at: '2026-01-01T00:02:00.000Z', event: 'login.failed', user_id: null, username: 'evil\u001b[31mred', client_id: null,
        actor_id: null, ip: '198.51.100.2', user_agent: '\u009b2J', details: { reason: 'invalid_credentials' },
      },
    ])
  })

  it('filters by event, user (name or id), actor, ip and time, combined', async () => {
    const ids = async (args: string[]) => {
      const result = await tessera([...args, '--json'])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      return (JSON.parse(result.stdout) as { id: number }[]).map((e) => e.id)
    }
    expect(await ids(['--event', 'login.failed', '--user', 'JOHNDOE'])).toEqual([2])
    expect(await ids(['--user', DELETED])).toEqual([4])
    expect(await ids(['--actor', ADMIN, '--ip', '203.0.113.7'])).toEqual([4])
    expect(await ids(['--since', '2026-01-01T00:01:00Z', '--until', '2026-01-01T01:02:00+01:00', '--offset', '0'])).toEqual([3, 2])
  })

  it('exits 2 on a bad option value and 1 for an unknown user; says so when nothing matches', async () => {
    const since = await tessera(['--since', 'yesterday'])
    expect(since.code).toBe(2)
    expect(since.stderr).toMatch(/^error: option '--since <when>' argument 'yesterday' is invalid\. expected a duration back from now/)
    const event = await tessera(['--event', 'login'])
    expect(event.code).toBe(2)
    expect(event.stderr).toMatch(/unknown event \(known: login\.succeeded, login\.failed, /)
    expect((await tessera(['--limit', '0'])).code).toBe(2)
    expect(await tessera(['--user', 'nobody'])).toEqual({
      code: 1, signal: null, stdout: '', stderr: 'error: no user named "nobody" (a deleted user\'s entries are found by id)\n',
    })
    expect(await tessera(['--since', '2027-01-01'])).toEqual({ code: 0, signal: null, stdout: 'No audit entries.\n', stderr: '' })
  })
})

describe('--since and --until forms', () => {
  const now = Date.UTC(2026, 5, 15, 12, 0, 0)
  it.each([
    ['90m', now - 90 * 60_000],
    ['24h', now - 86_400_000],
    ['7d', now - 7 * 86_400_000],
    ['30s', now - 30_000],
    ['2026-01-31', Date.UTC(2026, 0, 31)],
    ['2026-01-31T12:00:00Z', Date.UTC(2026, 0, 31, 12)],
    ['2026-01-31T12:00:00.250+01:00', Date.UTC(2026, 0, 31, 11, 0, 0, 250)],
  ])('%s', (value, expected) => {
    expect(parseInstant(value, now)).toBe(expected)
  })

  it.each(['yesterday', '2026-01-31T12:00:00', '7w', '-1d', '2026-13-01', '1767225600000'])('refuses %s', (value) => {
    expect(() => parseInstant(value, now)).toThrow(/expected a duration back from now/)
  })
})

describe('making an administrator', () => {
  it('tessera users add --scopes takes the admin scopes', async () => {
    const result = await runCli(['users', 'add', 'root', '--scopes', 'me items users:read users:write'], { env, input: 'a root password\n' })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const store = await openStore(env.TESSERA_DATABASE_URL as string)
    try {
      expect((await store.users.findByUsername('root'))?.scopes).toEqual(['me', 'items', 'users:read', 'users:write'])
    } finally {
      await store.close()
    }
  })
})
