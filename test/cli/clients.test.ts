import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientSecretMatches, hashRefreshToken, startSession, type Store } from '../../src/core/index.js'
import { openStore } from '../../src/storage/index.js'
import { cleanEnv, runCli, type CliResult } from './run-cli.js'

// `tessera clients add|list|remove|rotate-secret`, run as a user would (issue 3, part 5).
let dir: string
let databaseUrl: string
let env: NodeJS.ProcessEnv

function tessera(args: string[]): Promise<CliResult> {
  return runCli(args, { env })
}

async function inStore<T>(look: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl)
  try {
    return await look(store)
  } finally {
    await store.close()
  }
}

const SHOWN_ONCE = 'The secret is shown only this once and stored as a hash: keep it now.\n'
const ID = '[0-9a-f]{32}'
const SECRET = '[A-Za-z0-9_-]{43}'

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-clients-'))
  databaseUrl = `sqlite:${join(dir, 'cli.db')}`
  env = cleanEnv({ TESSERA_DATABASE_URL: databaseUrl })
})
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

describe('tessera clients', () => {
  let billing: { id: string; secret: string }

  it('add: a confidential client, its id and secret printed once, only the secret\'s hash stored', async () => {
    const result = await tessera(['clients', 'add', 'Billing service', '--scopes', 'items'])
    expect(result).toMatchObject({ code: 0, stderr: SHOWN_ONCE })
    const match = new RegExp(`^Created confidential client "Billing service" \\(grant types: client_credentials; scopes: items\\)\\.\\nclient_id:     (${ID})\\nclient_secret: (${SECRET})\\n$`).exec(result.stdout)
    expect(match, result.stdout).not.toBeNull()
    billing = { id: match![1]!, secret: match![2]! }
    const stored = await inStore((store) => store.clients.findById(billing.id))
    expect(stored).toMatchObject({ name: 'Billing service', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['items'] })
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/)
    expect(stored?.secretHash).not.toContain(billing.secret)
    expect(clientSecretMatches(billing.secret, stored!.secretHash)).toBe(true)
  })

  it('add --type public --grant-types: no secret; --json prints the same facts', async () => {
    const result = await tessera(['clients', 'add', 'SPA', '--type', 'public', '--grant-types', 'password,refresh_token', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const printed = JSON.parse(result.stdout)
    expect(printed).toEqual({
      client_id: expect.stringMatching(new RegExp(`^${ID}$`)), name: 'SPA', type: 'public', grant_types: ['password', 'refresh_token'],
      scopes: ['me', 'items'], created_at: expect.any(String), client_secret: null,
    })
  })

  it('add refuses what core refuses, naming the field: exit 1', async () => {
    expect(await tessera(['clients', 'add', 'x', '--type', 'public', '--grant-types', 'client_credentials'])).toMatchObject({
      code: 1, stdout: '', stderr: 'error: grant_types: Value error, A public client cannot use client_credentials\n',
    })
    expect(await tessera(['clients', 'add', 'x', '--scopes', 'admin'])).toMatchObject({
      code: 1, stderr: 'error: scopes: Value error, Scopes are any of me, items, users:read, users:write\n',
    })
    const usage = await tessera(['clients', 'add', 'x', '--type', 'secretive'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("option '--type <type>' argument 'secretive' is invalid")
  })

  it('list: a table and JSON, never a secret or a hash', async () => {
    const result = await tessera(['clients', 'list'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^CLIENT ID\s+NAME\s+TYPE\s+GRANT TYPES\s+SCOPES\s+CREATED$/)
    expect(lines).toHaveLength(3)
    expect(result.stdout).toContain('Billing service')
    expect(result.stdout).not.toContain(billing.secret)
    const json = await tessera(['clients', 'list', '--json'])
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[]
    expect(listed.map((c) => c.name)).toEqual(['Billing service', 'SPA'])
    expect(Object.keys(listed[0]!)).toEqual(['client_id', 'name', 'type', 'grant_types', 'scopes', 'created_at'])
    expect(json.stdout).not.toMatch(/secret|hash/i)
  })

  it('rotate-secret: a new secret printed once; the old one stops matching', async () => {
    const result = await tessera(['clients', 'rotate-secret', billing.id])
    expect(result).toMatchObject({ code: 0, stderr: SHOWN_ONCE })
    const secret = new RegExp(`client_secret: (${SECRET})\\n$`).exec(result.stdout)?.[1]
    expect(result.stdout.startsWith(`New secret for client "Billing service" (${billing.id}).\n`)).toBe(true)
    const stored = await inStore((store) => store.clients.findById(billing.id))
    expect(clientSecretMatches(secret!, stored!.secretHash)).toBe(true)
    expect(clientSecretMatches(billing.secret, stored!.secretHash)).toBe(false)
  })

  it('rotate-secret refuses a public client and an unknown id', async () => {
    const spa = (await inStore((store) => store.clients.list())).find((c) => c.name === 'SPA')!
    expect(await tessera(['clients', 'rotate-secret', spa.id])).toMatchObject({ code: 1, stdout: '', stderr: 'error: A public client has no secret\n' })
    expect(await tessera(['clients', 'rotate-secret', 'ghost'])).toMatchObject({ code: 1, stderr: 'error: no client with id "ghost"\n' })
  })

  it('remove: the client and its refresh tokens are gone; an unknown id is an error', async () => {
    const spa = (await inStore((store) => store.clients.list())).find((c) => c.name === 'SPA')!
    const refreshToken = await inStore(async (store) => {
      const user = await store.users.create({ username: 'johndoe', passwordHash: 'x' })
      return startSession({ userId: user.id, clientId: spa.id, scopes: ['me'] }, null, {
        refreshTokens: store.refreshTokens, refreshPolicy: { idleSeconds: 60, absoluteSeconds: 120 }, clock: { now: () => Date.now() },
      })
    })
    expect(refreshToken).toMatch(new RegExp(`^${SECRET}$`))
    expect(await tessera(['clients', 'remove', spa.id])).toEqual({
      code: 0, signal: null, stdout: `Removed client "SPA" (${spa.id}) and its refresh tokens.\n`, stderr: '',
    })
    expect(await inStore((store) => store.clients.findById(spa.id))).toBeNull()
    expect(await inStore((store) => store.refreshTokens.findByHash(hashRefreshToken(refreshToken)))).toBeNull()
    expect(await tessera(['clients', 'remove', spa.id])).toMatchObject({ code: 1, stderr: `error: no client with id "${spa.id}"\n` })
  })
})
