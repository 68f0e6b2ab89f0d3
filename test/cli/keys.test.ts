import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildKeySet, type SigningKeyRecord } from '../../src/core/index.js'
import { openStore } from '../../src/storage/index.js'
import { cleanEnv, runCli, type CliResult } from './run-cli.js'

// `tessera keys ...`, spawned for real against a SQLite file, checked through the server's store.
const KID = /[A-Za-z0-9_-]{43}/
const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/

let dir: string
let databaseUrl: string

function tessera(args: string[]): Promise<CliResult> {
  return runCli(['keys', ...args], { env: cleanEnv({ TESSERA_DATABASE_URL: databaseUrl }) })
}

async function stored(): Promise<SigningKeyRecord[]> {
  const store = await openStore(databaseUrl)
  try {
    return await store.signingKeys.list()
  } finally {
    await store.close()
  }
}

function kidIn(output: string): string {
  return KID.exec(output)?.[0] ?? ''
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-keys-'))
  databaseUrl = `sqlite:${join(dir, 'keys.db')}`
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

// One story, in order: each step starts from the keys the previous ones left.
describe('tessera keys', () => {
  let first: string
  let second: string
  let third: string

  it('lists no keys in HS256 mode', async () => {
    expect(await tessera(['list'])).toEqual({
      code: 0, signal: null, stdout: 'No signing keys: access tokens are signed with HS256 and the secret key.\n', stderr: '',
    })
    expect(await tessera(['list', '--json'])).toMatchObject({ code: 0, stdout: '[]\n' })
  })

  it('generate: the first key (EdDSA by default) becomes active', async () => {
    const result = await tessera(['generate'])
    first = kidIn(result.stdout)
    expect(result).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `Generated EdDSA key ${first}: active. Access tokens are signed with it; HS256 tokens are no longer accepted. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`,
    })
    const keys = await stored()
    expect(keys.map((k) => [k.kid, k.algorithm, k.status])).toEqual([[first, 'EdDSA', 'active']])
    expect(buildKeySet(keys).active?.kid).toBe(first) // a real, consistent key: the server will load it
  })

  it('generate --alg: later keys are published as verifying, ahead of a rotation', async () => {
    const result = await tessera(['generate', '--alg', 'es256'])
    second = kidIn(result.stdout)
    expect(result).toMatchObject({
      code: 0, stderr: '',
      stdout: `Generated ES256 key ${second}: verifying (published, not signing yet). Start signing with it: tessera keys rotate --kid ${second}\n`,
    })
    expect((await stored()).map((k) => [k.kid, k.status])).toEqual([[first, 'active'], [second, 'verifying']])
  })

  it('list: kid, purpose, algorithm, status and creation time; never a private key', async () => {
    const table = await tessera(['list'])
    expect(table).toMatchObject({ code: 0, stderr: '' })
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^KID {42}PURPOSE {7}ALG {4}STATUS {5}CREATED$/)
    expect(lines[1]).toMatch(new RegExp(`^${first} {2}access-token {2}EdDSA {2}active {5}${ISO.source}$`))
    expect(lines[2]).toMatch(new RegExp(`^${second} {2}access-token {2}ES256 {2}verifying {2}${ISO.source}$`))
    expect(lines).toHaveLength(3)

    const json = await tessera(['list', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([
      { kid: first, purpose: 'access_token', alg: 'EdDSA', status: 'active', created_at: expect.stringMatching(ISO) },
      { kid: second, purpose: 'access_token', alg: 'ES256', status: 'verifying', created_at: expect.stringMatching(ISO) },
    ])
    for (const output of [table.stdout, json.stdout]) expect(output).not.toMatch(/PRIVATE KEY|"d"|"x"/)
  })

  it('rotate --kid: the pre-published key signs; the previous one keeps verifying', async () => {
    const result = await tessera(['rotate', '--kid', second])
    expect(result).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `ES256 key ${second} is now active. ${first} keeps verifying until: tessera keys retire ${first} Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`,
    })
    expect((await stored()).map((k) => [k.kid, k.status])).toEqual([[first, 'verifying'], [second, 'active']])
  })

  it('rotate --alg: a new key signs at once', async () => {
    const result = await tessera(['rotate', '--alg', 'RS256'])
    third = kidIn(result.stdout)
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(`RS256 key ${third} is now active. ${second} keeps verifying until: tessera keys retire ${second} Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`)
    const keys = await stored()
    expect(keys.map((k) => [k.kid, k.algorithm, k.status])).toEqual([[first, 'EdDSA', 'verifying'], [second, 'ES256', 'verifying'], [third, 'RS256', 'active']])
    expect(buildKeySet(keys).jwks.keys.map((k) => k.kid)).toEqual([third, second, first])
  })

  it('retire: the key stops verifying and leaves the JWKS; again is harmless', async () => {
    expect(await tessera(['retire', first])).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `Retired key ${first}: tokens it signed are no longer accepted. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`,
    })
    expect(await tessera(['retire', first])).toMatchObject({ code: 0, stdout: `Key ${first} was already retired.\n` })
    const keys = await stored()
    expect(keys.map((k) => [k.kid, k.status])).toEqual([[first, 'retired'], [second, 'verifying'], [third, 'active']])
    expect(buildKeySet(keys).jwks.keys.map((k) => k.kid)).toEqual([third, second])
  })

  it('refuses to retire the active key, to revive a retired one, and unknown kids (exit 1, no stack trace)', async () => {
    expect(await tessera(['retire', third])).toEqual({
      code: 1, signal: null, stdout: '', stderr: `error: Signing key ${third} is the active key: rotate to another key first\n`,
    })
    expect(await tessera(['rotate', '--kid', first])).toMatchObject({ code: 1, stdout: '', stderr: `error: Signing key ${first} is retired and cannot sign again\n` })
    expect(await tessera(['rotate', '--kid', third])).toMatchObject({ code: 1, stderr: `error: Signing key ${third} is already active\n` })
    expect(await tessera(['retire', 'nope'])).toMatchObject({ code: 1, stderr: 'error: No signing key with kid nope\n' })
    // One kid in 64 starts with '-' (base64url): it is still the argument, not an unknown option.
    expect(await tessera(['retire', '-nope'])).toMatchObject({ code: 1, stderr: 'error: No signing key with kid -nope\n' })
    expect((await stored()).map((k) => k.status)).toEqual(['retired', 'verifying', 'active'])
  })

  it('refuses usage errors with exit 2: an unknown algorithm, --alg with --kid, retire without a kid', async () => {
    const badAlg = await tessera(['generate', '--alg', 'HS256'])
    expect(badAlg.code).toBe(2)
    expect(badAlg.stderr).toContain("error: option '--alg <alg>' argument 'HS256' is invalid. must be one of EdDSA, ES256, RS256")
    expect(await tessera(['rotate', '--alg', 'EdDSA', '--kid', second])).toMatchObject({ code: 2, stderr: 'error: give --alg or --kid, not both\n' })
    expect((await tessera(['retire'])).code).toBe(2)
    expect((await stored()).length).toBe(3)
  })
})

// Issue 9: id_token keys, one active per algorithm, beside (and never instead of) the access-token key.
describe('tessera keys --purpose id-token', () => {
  let rs: string
  let es: string
  let rsNext: string
  let rsRotated: string
  let access: string

  beforeAll(() => {
    databaseUrl = `sqlite:${join(dir, 'id-token-keys.db')}`
  })

  const rows = async () => (await stored()).map((k) => [k.kid, k.purpose, k.algorithm, k.status])

  it('generate --purpose id-token: RS256 by default, active; access tokens stay on HS256, and list says so', async () => {
    const result = await tessera(['generate', '--purpose', 'id-token'])
    rs = kidIn(result.stdout)
    expect(result).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: `Generated RS256 id_token key ${rs}: active. id_tokens of clients registered for RS256 are signed with it. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`,
    })
    expect(await rows()).toEqual([[rs, 'id_token', 'RS256', 'active']])
    const list = await tessera(['list'])
    const lines = list.stdout.trimEnd().split('\n')
    expect(lines[1]).toMatch(new RegExp(`^${rs} {2}id-token {2}RS256 {2}active {2}${ISO.source}$`))
    expect(lines[2]).toBe('No access-token key is active: access tokens are signed with HS256 and the secret key.')
  })

  it('one active id_token key per algorithm: ES256 is active too, a second RS256 one verifies; the first access key is active', async () => {
    const esResult = await tessera(['generate', '--purpose', 'id_token', '--alg', 'ES256'])
    es = kidIn(esResult.stdout)
    expect(esResult.stdout).toBe(`Generated ES256 id_token key ${es}: active. id_tokens of clients registered for ES256 are signed with it. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`)
    const next = await tessera(['generate', '--purpose', 'id-token'])
    rsNext = kidIn(next.stdout)
    expect(next.stdout).toBe(`Generated RS256 id_token key ${rsNext}: verifying (published, not signing yet). Start signing with it: tessera keys rotate --kid ${rsNext}\n`)
    access = kidIn((await tessera(['generate'])).stdout)
    expect(await rows()).toEqual([
      [rs, 'id_token', 'RS256', 'active'], [es, 'id_token', 'ES256', 'active'], [rsNext, 'id_token', 'RS256', 'verifying'],
      [access, 'access_token', 'EdDSA', 'active'],
    ])
    const set = buildKeySet(await stored())
    expect(set.active?.kid).toBe(access)
    expect([...set.idTokenSigners.keys()].sort()).toEqual(['ES256', 'RS256'])
  })

  it('rotate --purpose id-token: a new RS256 id_token key; the access key and the ES256 key are untouched', async () => {
    const result = await tessera(['rotate', '--purpose', 'id-token'])
    rsRotated = kidIn(result.stdout)
    expect(result).toMatchObject({
      code: 0, stderr: '',
      stdout: `RS256 id_token key ${rsRotated} is now active. ${rs} keeps verifying until: tessera keys retire ${rs} Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`,
    })
    expect(await rows()).toEqual([
      [rs, 'id_token', 'RS256', 'verifying'], [es, 'id_token', 'ES256', 'active'], [rsNext, 'id_token', 'RS256', 'verifying'],
      [access, 'access_token', 'EdDSA', 'active'], [rsRotated, 'id_token', 'RS256', 'active'],
    ])
  })

  it('rotate --kid promotes an id_token key over its own algorithm\'s; list --json names each purpose', async () => {
    expect((await tessera(['rotate', '--kid', rsNext])).stdout)
      .toBe(`RS256 id_token key ${rsNext} is now active. ${rsRotated} keeps verifying until: tessera keys retire ${rsRotated} Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n`)
    const json = JSON.parse((await tessera(['list', '--json'])).stdout) as { kid: string; purpose: string; status: string }[]
    expect(json.map((k) => [k.kid, k.purpose, k.status])).toEqual([
      [rs, 'id_token', 'verifying'], [es, 'id_token', 'active'], [rsNext, 'id_token', 'active'],
      [access, 'access_token', 'active'], [rsRotated, 'id_token', 'verifying'],
    ])
  })

  it('refuses: retiring an active id_token key, --kid of another purpose, an unknown purpose (exit 2)', async () => {
    expect(await tessera(['retire', es])).toMatchObject({
      code: 1, stdout: '', stderr: `error: Signing key ${es} is the active ES256 id_token key: rotate to another key first\n`,
    })
    expect(await tessera(['rotate', '--purpose', 'access-token', '--kid', rs])).toMatchObject({
      code: 1, stderr: `error: Signing key ${rs} signs id_tokens, not access tokens\n`,
    })
    const bad = await tessera(['generate', '--purpose', 'refresh-token'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("error: option '--purpose <purpose>' argument 'refresh-token' is invalid. must be one of access-token, id-token")
    expect(await tessera(['retire', rs])).toMatchObject({ code: 0, stdout: `Retired key ${rs}: tokens it signed are no longer accepted. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS.\n` })
    expect((await stored()).map((k) => k.status)).toEqual(['retired', 'active', 'active', 'active', 'verifying'])
  })
})
