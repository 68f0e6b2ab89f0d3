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
      scopes: ['me', 'items'], redirect_uris: [], post_logout_redirect_uris: [], first_party: false, id_token_signed_response_alg: 'RS256',
      resources: [], created_at: expect.any(String), client_secret: null,
    })
  })

  it('add refuses what core refuses, naming the field: exit 1', async () => {
    expect(await tessera(['clients', 'add', 'x', '--type', 'public', '--grant-types', 'client_credentials'])).toMatchObject({
      code: 1, stdout: '', stderr: 'error: grant_types: Value error, A public client cannot use client_credentials\n',
    })
    expect(await tessera(['clients', 'add', 'x', '--scopes', 'admin'])).toMatchObject({
      code: 1, stderr: 'error: scopes: Value error, Scopes are any of me, items, users:read, users:write, openid, profile, email, offline_access\n',
    })
    const usage = await tessera(['clients', 'add', 'x', '--type', 'secretive'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("option '--type <type>' argument 'secretive' is invalid")
  })

  it('list: a table and JSON, never a secret or a hash', async () => {
    const result = await tessera(['clients', 'list'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^CLIENT ID\s+NAME\s+TYPE\s+GRANT TYPES\s+SCOPES\s+REDIRECT URIS\s+FIRST PARTY\s+ID TOKEN ALG\s+CREATED$/)
    expect(lines).toHaveLength(3)
    expect(result.stdout).toContain('Billing service')
    expect(result.stdout).not.toContain(billing.secret)
    const json = await tessera(['clients', 'list', '--json'])
    const listed = JSON.parse(json.stdout) as Record<string, unknown>[]
    expect(listed.map((c) => c.name)).toEqual(['Billing service', 'SPA'])
    expect(Object.keys(listed[0]!)).toEqual([
      'client_id', 'name', 'type', 'grant_types', 'scopes', 'redirect_uris', 'post_logout_redirect_uris', 'first_party',
      'id_token_signed_response_alg', 'resources', 'created_at',
    ])
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

// Issue 9 part 7: the sign-in fields from the command line.
describe('tessera clients: sign-in fields', () => {
  const APP = 'https://app.example/callback'
  let web: string

  it('add: repeated --redirect-uri, --post-logout-redirect-uri, --resource collect; --first-party, --id-token-alg; printed and stored', async () => {
    const result = await tessera([
      'clients', 'add', 'Web app', '--type', 'public', '--grant-types', 'authorization_code refresh_token',
      '--redirect-uri', APP, '--redirect-uri', 'http://127.0.0.1/callback', '--post-logout-redirect-uri', 'https://app.example/',
      '--first-party', '--id-token-alg', 'es256', '--resource', 'https://api.example/',
    ])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const match = new RegExp(
      '^Created public client "Web app" \\(grant types: authorization_code refresh_token; scopes: me items openid profile email offline_access\\)\\.\\n'
        + `redirect URIs: {4}${APP} http://127\\.0\\.0\\.1/callback\\n`
        + 'post-logout URIs: https://app\\.example/\\n'
        + 'first-party: {6}yes \\(its users are not asked for consent\\)\\n'
        + 'id_token alg: {5}ES256\\n'
        + 'resources: {8}https://api\\.example/\\n'
        + `client_id: {5}(${ID})\\n$`,
    ).exec(result.stdout)
    expect(match, result.stdout).not.toBeNull()
    web = match![1]!
    expect(await inStore((store) => store.clients.findById(web))).toMatchObject({
      name: 'Web app', type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['me', 'items', 'openid', 'profile', 'email', 'offline_access'], redirectUris: [APP, 'http://127.0.0.1/callback'],
      postLogoutRedirectUris: ['https://app.example/'], firstParty: true, idTokenSignedResponseAlg: 'ES256', resources: ['https://api.example/'],
    })
  })

  it('add with --redirect-uri alone: the code flow by default; list shows redirect URIs, first-party and the algorithm', async () => {
    const result = await tessera(['clients', 'add', 'Portal', '--redirect-uri', 'https://portal.example/cb', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      type: 'confidential', client_secret: expect.stringMatching(new RegExp(`^${SECRET}$`)), grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://portal.example/cb'], first_party: false, id_token_signed_response_alg: 'RS256',
    })
    const rows = (await tessera(['clients', 'list'])).stdout.trimEnd().split('\n')
    expect(rows.find((row) => row.includes('Web app'))).toMatch(new RegExp(`${APP} http://127\\.0\\.0\\.1/callback\\s+yes\\s+ES256\\s`))
    expect(rows.find((row) => row.includes('Portal'))).toMatch(/https:\/\/portal\.example\/cb\s+no\s+RS256\s/)
    expect(rows.find((row) => row.includes('Billing service'))).toMatch(/client_credentials\s+items\s+-\s+no\s+RS256\s/)
  })

  it('add refuses bad sign-in fields, naming the field: exit 1, nothing stored', async () => {
    const before = (await inStore((store) => store.clients.list())).length
    expect(await tessera(['clients', 'add', 'x', '--redirect-uri', 'http://app.example/cb', '--redirect-uri', 'https://app.example/#frag'])).toEqual({
      code: 1, signal: null, stdout: '',
      stderr: 'error: redirect_uris: Value error, The redirect URI "http://app.example/cb" may use http only for a loopback host (127.0.0.1, [::1], localhost); use https\n'
        + 'error: redirect_uris: Value error, The redirect URI "https://app.example/#frag" must not contain a fragment (RFC 6749 §3.1.2)\n',
    })
    expect(await tessera(['clients', 'add', 'x', '--grant-types', 'authorization_code'])).toMatchObject({
      code: 1, stderr: 'error: redirect_uris: Value error, A client using authorization_code needs at least one redirect URI\n',
    })
    expect(await tessera(['clients', 'add', 'x', '--redirect-uri', 'com.example.app:/cb'])).toMatchObject({
      code: 1, stderr: 'error: redirect_uris: Value error, The redirect URI "com.example.app:/cb" a private-use scheme is for native (public) clients only\n',
    })
    expect(await tessera(['clients', 'add', 'x', '--resource', 'api'])).toMatchObject({
      code: 1, stderr: 'error: resources: Value error, The resource "api" must be an absolute URI (RFC 8707 §2)\n',
    })
    const alg = await tessera(['clients', 'add', 'x', '--id-token-alg', 'HS256'])
    expect(alg.code).toBe(2)
    expect(alg.stderr).toContain("error: option '--id-token-alg <alg>' argument 'HS256' is invalid. must be one of EdDSA, ES256, RS256")
    expect((await inStore((store) => store.clients.list())).length).toBe(before)
  })

  it('update: only the options given change, a repeated option replaces that list, --no-first-party clears the flag', async () => {
    const result = await tessera([
      'clients', 'update', web, '--name', 'Web app 2', '--redirect-uri', 'https://app.example/new', '--redirect-uri', 'com.example.app:/cb',
      '--no-first-party', '--scopes', 'openid me',
    ])
    expect(result).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `Updated client "Web app 2" (${web}): changed name, scopes, redirect_uris, first_party (grant types: authorization_code refresh_token; scopes: openid me).\n`
        + 'redirect URIs:    https://app.example/new com.example.app:/cb\n'
        + 'post-logout URIs: https://app.example/\n'
        + 'id_token alg:     ES256\n'
        + 'resources:        https://api.example/\n',
    })
    expect(await inStore((store) => store.clients.findById(web))).toMatchObject({
      name: 'Web app 2', scopes: ['openid', 'me'], redirectUris: ['https://app.example/new', 'com.example.app:/cb'], firstParty: false,
      postLogoutRedirectUris: ['https://app.example/'], idTokenSignedResponseAlg: 'ES256', resources: ['https://api.example/'],
    })
    const json = await tessera(['clients', 'update', web, '--id-token-alg', 'RS256', '--first-party', '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ client_id: web, first_party: true, id_token_signed_response_alg: 'RS256', changed: ['first_party', 'id_token_signed_response_alg'] })
    expect(json.stdout).not.toMatch(/secret|hash/i)
    expect((await tessera(['clients', 'update', web, '--name', 'Web app 2'])).stdout).toMatch(/^Updated client "Web app 2" \([0-9a-f]{32}\): nothing changed /)
  })

  it('update refuses what the merged client may not be, and unknown ids: exit 1, unchanged', async () => {
    const before = await inStore((store) => store.clients.findById(web))
    expect(await tessera(['clients', 'update', web, '--grant-types', 'client_credentials'])).toMatchObject({
      code: 1, stdout: '', stderr: 'error: grant_types: Value error, A public client cannot use client_credentials\n',
    })
    expect(await tessera(['clients', 'update', web, '--redirect-uri', 'http://evil.example/'])).toMatchObject({ code: 1, stdout: '' })
    expect(await tessera(['clients', 'update', 'ghost', '--name', 'x'])).toMatchObject({ code: 1, stderr: 'error: no client with id "ghost"\n' })
    expect(await inStore((store) => store.clients.findById(web))).toEqual(before)
  })
})
