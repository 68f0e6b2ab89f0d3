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

  it('list: kid, algorithm, status and creation time; never a private key', async () => {
    const table = await tessera(['list'])
    expect(table).toMatchObject({ code: 0, stderr: '' })
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^KID {42}ALG {4}STATUS {5}CREATED$/)
    expect(lines[1]).toMatch(new RegExp(`^${first} {2}EdDSA {2}active {5}${ISO.source}$`))
    expect(lines[2]).toMatch(new RegExp(`^${second} {2}ES256 {2}verifying {2}${ISO.source}$`))
    expect(lines).toHaveLength(3)

    const json = await tessera(['list', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([
      { kid: first, alg: 'EdDSA', status: 'active', created_at: expect.stringMatching(ISO) },
      { kid: second, alg: 'ES256', status: 'verifying', created_at: expect.stringMatching(ISO) },
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
