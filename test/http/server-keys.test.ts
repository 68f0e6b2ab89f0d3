import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../../src/config.js'
import { addSigningKey, rotateSigningKey, systemClock, type Store } from '../../src/core/index.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { openStore } from '../../src/storage/index.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { SECRET_KEY, TEST_BACKEND } from './test-server.js'
import { logSink } from '../support/log-sink.js'

// startServer wires the signing keys: loaded at start, reloaded while running, shared by every
// instance on one database. Real listening servers, real fetch; the keys change through the
// store, as `tessera keys` changes them from another process.
const dir = mkdtempSync(join(tmpdir(), 'tessera-server-keys-'))
let database: TestDatabase | null = null
let databaseUrl = `sqlite:${join(dir, 'tessera.db')}`
beforeAll(async () => {
  if (TEST_BACKEND !== 'postgres') return
  database = await createTestDatabase('serverkeys')
  databaseUrl = database.url
})
afterAll(async () => {
  await database?.drop()
  rmSync(dir, { recursive: true, force: true })
})

function config(overrides: Partial<Config> = {}): Config {
  return loadConfig({}, { port: 0, databaseUrl, secretKey: SECRET_KEY, demo: true, logLevel: 'info', ...overrides })
}


async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl)
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

async function login(server: RunningServer): Promise<string> {
  const res = await fetch(`${server.url}/token`, { method: 'POST', body: new URLSearchParams({ username: 'johndoe', password: 'secret' }) })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

async function me(server: RunningServer, token: string): Promise<number> {
  const res = await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  await res.arrayBuffer()
  return res.status
}

/** The access-token keys the JWKS publishes (the RS256 id_token key every server makes at start is left out). */
async function publishedKids(server: RunningServer): Promise<string[]> {
  const res = await fetch(`${server.url}/.well-known/jwks.json`)
  const idTokenKids = await withStore(async (store) => (await store.signingKeys.list()).filter((k) => k.purpose === 'id_token').map((k) => k.kid))
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid).filter((kid) => !idTokenKids.includes(kid))
}

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid as string | undefined

describe('startServer and signing keys', () => {
  it('starts in HS256 mode, then follows keys added and rotated from outside: periodically, and on an unknown kid', async () => {
    const logA = logSink()
    const a = await startServer(config({ keysReloadSeconds: 1 }), { handleSignals: false, logger: logA.stream })
    const b = await startServer(config({ keysReloadSeconds: 0 }), { handleSignals: false, logger: logSink().stream })
    try {
      expect(logA.messages).toContain('signing access tokens with HS256 and the secret key (no asymmetric key is active)')
      expect(await publishedKids(a)).toEqual([])
      expect(kidOf(await login(a))).toBeUndefined()

      // `tessera keys generate` from another process: A notices by itself within a second.
      const first = await withStore((store) => addSigningKey('EdDSA', { keys: store.signingKeys, clock: systemClock }))
      await expect.poll(() => publishedKids(a), { timeout: 5000, interval: 100 }).toEqual([first.kid])
      expect(logA.messages).toContain('signing keys changed')
      const tokenA = await login(a)
      expect(kidOf(tokenA)).toBe(first.kid)
      expect(await me(a, tokenA)).toBe(200)

      // B never reloads on a timer: the first token with a kid it has not loaded is refused and
      // makes it reload; the next one passes.
      expect(await me(b, tokenA)).toBe(401)
      await expect.poll(() => me(b, tokenA), { timeout: 5000, interval: 100 }).toBe(200)
      expect(await publishedKids(b)).toEqual([first.kid])

      // `tessera keys rotate`: old tokens keep verifying on both instances.
      const { active } = await withStore((store) => rotateSigningKey({}, { keys: store.signingKeys, clock: systemClock }))
      await expect.poll(async () => kidOf(await login(a)), { timeout: 5000, interval: 200 }).toBe(active.kid)
      expect(await me(a, tokenA)).toBe(200)
      expect(await me(b, tokenA)).toBe(200)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('starts with the active key and says so; refuses to start on a broken key, naming it', async () => {
    const log = logSink()
    const server = await startServer(config(), { handleSignals: false, logger: log.stream })
    const active = await withStore(async (store) => (await store.signingKeys.list()).find((k) => k.status === 'active' && k.purpose === 'access_token'))
    try {
      expect(log.messages).toContain(`signing access tokens with EdDSA key ${active?.kid}`)
      expect(kidOf(await login(server))).toBe(active?.kid)
    } finally {
      await server.close()
    }

    await withStore(async (store) => {
      const key = (await store.signingKeys.list()).find((k) => k.purpose === 'access_token')
      await store.signingKeys.insert({ ...(key as NonNullable<typeof key>), kid: 'A'.repeat(43), status: 'verifying', createdAt: 1 })
    })
    await expect(startServer(config(), { handleSignals: false, logger: logSink().stream }))
      .rejects.toThrow(`signing key ${'A'.repeat(43)}: the kid is not the thumbprint of the key (RFC 7638)`)
  })
})
