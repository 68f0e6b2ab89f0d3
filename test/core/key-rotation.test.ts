import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { Conflict, NotFound } from '../../src/core/errors.js'
import {
  addSigningKey, ensureIdTokenKey, listSigningKeys, retireSigningKey, rotateSigningKey,
} from '../../src/core/key-rotation.js'
import type { Store } from '../../src/core/ports.js'
import { buildKeySet } from '../../src/core/signing-keys.js'
import { openStore } from '../../src/storage/index.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { inMemorySigningKeys } from './in-memory-signing-keys.js'

const T0 = Date.UTC(2026, 0, 1)

function setup() {
  const store = inMemorySigningKeys()
  const clock = fixedClock(T0)
  return { store, clock, deps: { keys: store, clock } }
}

const statuses = async (deps: ReturnType<typeof setup>['deps']) =>
  (await listSigningKeys(deps)).map((k) => [k.kid, k.status])

describe('addSigningKey (keys generate)', () => {
  it('makes the first key active, later ones verifying (published ahead of a rotation)', async () => {
    const { deps, clock, store } = setup()
    const first = await addSigningKey('EdDSA', deps)
    expect(first).toEqual({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), algorithm: 'EdDSA', purpose: 'access_token', status: 'active', createdAt: T0 })
    clock.advance(1000)
    const second = await addSigningKey('ES256', deps)
    expect(second).toMatchObject({ algorithm: 'ES256', status: 'verifying', createdAt: T0 + 1000 })
    expect(await statuses(deps)).toEqual([[first.kid, 'active'], [second.kid, 'verifying']])
    expect(buildKeySet(store.records).jwks.keys.map((k) => k.kid)).toEqual([first.kid, second.kid])
  })

  it('never returns the private key', async () => {
    const { deps } = setup()
    const key = await addSigningKey('RS256', deps)
    expect(Object.keys(key).sort()).toEqual(['algorithm', 'createdAt', 'kid', 'purpose', 'status'])
    expect(Object.keys((await listSigningKeys(deps))[0] ?? {}).sort()).toEqual(['algorithm', 'createdAt', 'kid', 'purpose', 'status'])
  })
})

describe('rotateSigningKey (keys rotate)', () => {
  it('generates a new active key of the active key\'s algorithm; the previous one keeps verifying', async () => {
    const { deps, clock } = setup()
    const first = await addSigningKey('ES256', deps)
    clock.advance(1000)
    const { active, previous } = await rotateSigningKey({}, deps)
    expect(active).toMatchObject({ algorithm: 'ES256', status: 'active', createdAt: T0 + 1000 })
    expect(previous).toEqual({ ...first, status: 'verifying' })
    expect(await statuses(deps)).toEqual([[first.kid, 'verifying'], [active.kid, 'active']])
  })

  it('uses --alg when given, EdDSA when there was no key (leaving HS256 mode)', async () => {
    const { deps } = setup()
    const { active, previous } = await rotateSigningKey({}, deps)
    expect(active.algorithm).toBe('EdDSA')
    expect(previous).toBeNull()
    expect((await rotateSigningKey({ algorithm: 'RS256' }, deps)).active.algorithm).toBe('RS256')
  })

  it('promotes a pre-published key by kid', async () => {
    const { deps, clock } = setup()
    const first = await addSigningKey('EdDSA', deps)
    clock.advance(1000)
    const next = await addSigningKey('EdDSA', deps)
    const { active, previous } = await rotateSigningKey({ kid: next.kid }, deps)
    expect(active).toEqual({ ...next, status: 'active' })
    expect(previous).toEqual({ ...first, status: 'verifying' })
    expect(await statuses(deps)).toEqual([[first.kid, 'verifying'], [next.kid, 'active']])
  })

  it('refuses an unknown kid, the active key, and a retired key (which never signs again)', async () => {
    const { deps, clock } = setup()
    const first = await addSigningKey('EdDSA', deps)
    clock.advance(1000)
    const next = await addSigningKey('EdDSA', deps)
    await retireSigningKey(next.kid, deps)
    await expect(rotateSigningKey({ kid: 'nope' }, deps)).rejects.toThrow(new NotFound('No signing key with kid nope'))
    await expect(rotateSigningKey({ kid: first.kid }, deps)).rejects.toThrow(Conflict)
    await expect(rotateSigningKey({ kid: first.kid }, deps)).rejects.toThrow(`Signing key ${first.kid} is already active`)
    await expect(rotateSigningKey({ kid: next.kid }, deps)).rejects.toThrow(`Signing key ${next.kid} is retired and cannot sign again`)
    expect(await statuses(deps)).toEqual([[first.kid, 'active'], [next.kid, 'retired']])
  })
})

describe('retireSigningKey (keys retire)', () => {
  it('retires a verifying key: it leaves the set, so its tokens stop verifying', async () => {
    const { deps, store } = setup()
    const first = await addSigningKey('EdDSA', deps)
    const { active } = await rotateSigningKey({}, deps)
    expect(await retireSigningKey(first.kid, deps)).toEqual({ key: { ...first, status: 'retired' }, alreadyRetired: false })
    expect([...buildKeySet(store.records).byKid.keys()]).toEqual([active.kid])
  })

  it('says so when the key was already retired', async () => {
    const { deps } = setup()
    const first = await addSigningKey('EdDSA', deps)
    await rotateSigningKey({}, deps)
    await retireSigningKey(first.kid, deps)
    expect(await retireSigningKey(first.kid, deps)).toEqual({ key: { ...first, status: 'retired' }, alreadyRetired: true })
  })

  it('refuses the active key (that would silently return to HS256) and an unknown kid', async () => {
    const { deps } = setup()
    const first = await addSigningKey('EdDSA', deps)
    await expect(retireSigningKey(first.kid, deps)).rejects.toThrow(new Conflict(`Signing key ${first.kid} is the active key: rotate to another key first`))
    await expect(retireSigningKey('nope', deps)).rejects.toThrow(NotFound)
    expect(await statuses(deps)).toEqual([[first.kid, 'active']])
  })
})

// ---- Purposes (issue 9): one active access-token key, one active id_token key per algorithm.
// On the real stores: the demotion that decides which key a new one takes over from is theirs.

interface Backend { url: string; drop(): Promise<void> }

const backends: Record<string, () => Promise<Backend>> = {
  'SQLite file': async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-key-rotation-'))
    return { url: `sqlite:${join(dir, 'tessera.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  },
  PostgreSQL: async () => {
    const database: TestDatabase = await createTestDatabase('keyrot')
    return { url: database.url, drop: () => database.drop() }
  },
}

describe.each(Object.keys(backends))('key purposes on %s', (name) => {
  let backend: Backend
  const opened: Store[] = []
  const clock = fixedClock(T0)

  /** A fresh database per test, opened `count` times (as that many server instances would). */
  async function open(count = 1): Promise<Store[]> {
    for (const store of opened.splice(0)) await store.close()
    await backend?.drop()
    backend = await backends[name]!()
    for (let i = 0; i < count; i += 1) opened.push(await openStore(backend.url, { clock }))
    return [...opened]
  }

  const depsOf = (store: Store) => ({ keys: store.signingKeys, settings: store.settings, clock })
  /** Keys list oldest first: a second apart, they list in the order they were made. */
  const tick = () => clock.advance(1000)
  const rows = async (store: Store) => (await store.signingKeys.list()).map((k) => [k.purpose, k.algorithm, k.status])

  beforeAll(async () => { backend = await backends[name]!() })
  afterAll(async () => {
    for (const store of opened) await store.close()
    await backend.drop()
  })

  it('an access-token key and id_token keys coexist, each the first of its slot and so active', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const access = await addSigningKey('EdDSA', deps)
    const rs = await addSigningKey('RS256', deps, { purpose: 'id_token' })
    const es = await addSigningKey('ES256', deps, { purpose: 'id_token' })
    const rsNext = await addSigningKey('RS256', deps, { purpose: 'id_token' })
    expect([access, rs, es, rsNext].map((k) => [k.purpose, k.algorithm, k.status])).toEqual([
      ['access_token', 'EdDSA', 'active'], ['id_token', 'RS256', 'active'], ['id_token', 'ES256', 'active'], ['id_token', 'RS256', 'verifying'],
    ])
    const set = buildKeySet(await store!.signingKeys.list())
    expect(set.active?.kid).toBe(access.kid)
    expect([...set.idTokenSigners.values()].map((k) => k.kid).sort()).toEqual([rs.kid, es.kid].sort())
  })

  it('an id_token key is no access-token key: the first access key generated afterwards is still active', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    await addSigningKey('RS256', deps, { purpose: 'id_token' })
    expect((await addSigningKey('EdDSA', deps)).status).toBe('active')
  })

  it('rotating the RS256 id_token key leaves the access key and the ES256 id_token key alone', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const access = await addSigningKey('EdDSA', deps)
    tick()
    const rs = await addSigningKey('RS256', deps, { purpose: 'id_token' })
    tick()
    const es = await addSigningKey('ES256', deps, { purpose: 'id_token' })
    tick()
    const { active, previous } = await rotateSigningKey({ purpose: 'id_token' }, deps) // RS256 by default
    tick()
    expect(active).toMatchObject({ purpose: 'id_token', algorithm: 'RS256', status: 'active' })
    expect(previous).toEqual({ ...rs, status: 'verifying' })
    const byKid = new Map((await listSigningKeys(deps)).map((k) => [k.kid, k.status]))
    expect(Object.fromEntries(byKid)).toEqual({ [access.kid]: 'active', [rs.kid]: 'verifying', [es.kid]: 'active', [active.kid]: 'active' })
    // And an access-token rotation keeps the access key's algorithm, touching no id_token key.
    const accessRotation = await rotateSigningKey({}, deps)
    expect(accessRotation.active).toMatchObject({ purpose: 'access_token', algorithm: 'EdDSA' })
    expect(accessRotation.previous).toEqual({ ...access, status: 'verifying' })
    expect(await rows(store!)).toEqual([
      ['access_token', 'EdDSA', 'verifying'], ['id_token', 'RS256', 'verifying'], ['id_token', 'ES256', 'active'],
      ['id_token', 'RS256', 'active'], ['access_token', 'EdDSA', 'active'],
    ])
  })

  it('rotate --kid: the key\'s own purpose and algorithm decide what it takes over from; a different --purpose is refused', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const access = await addSigningKey('ES256', deps)
    const es = await addSigningKey('ES256', deps, { purpose: 'id_token' })
    const esNext = await addSigningKey('ES256', deps, { purpose: 'id_token' })
    await expect(rotateSigningKey({ kid: esNext.kid, purpose: 'access_token' }, deps))
      .rejects.toThrow(new Conflict(`Signing key ${esNext.kid} signs id_tokens, not access tokens`))
    const { active, previous } = await rotateSigningKey({ kid: esNext.kid }, deps)
    expect(active).toEqual({ ...esNext, status: 'active' })
    expect(previous).toEqual({ ...es, status: 'verifying' })
    expect((await listSigningKeys(deps)).find((k) => k.kid === access.kid)?.status).toBe('active')
  })

  it('retire refuses an active id_token key, naming it; a demoted one retires', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const rs = await addSigningKey('RS256', deps, { purpose: 'id_token' })
    await expect(retireSigningKey(rs.kid, deps))
      .rejects.toThrow(new Conflict(`Signing key ${rs.kid} is the active RS256 id_token key: rotate to another key first`))
    await rotateSigningKey({ purpose: 'id_token', algorithm: 'RS256' }, deps)
    expect((await retireSigningKey(rs.kid, deps)).key.status).toBe('retired')
  })

  it('ensureIdTokenKey creates an active id_token key once, then returns it; per algorithm; access keys untouched', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const access = await addSigningKey('EdDSA', deps)
    tick()
    const rs = await ensureIdTokenKey('RS256', deps)
    expect(rs).toMatchObject({ purpose: 'id_token', algorithm: 'RS256', status: 'active', createdAt: clock.now() })
    tick()
    expect(await ensureIdTokenKey('RS256', deps)).toEqual(rs)
    const es = await ensureIdTokenKey('ES256', deps)
    expect(es).toMatchObject({ purpose: 'id_token', algorithm: 'ES256', status: 'active' })
    expect(await listSigningKeys(deps)).toEqual([access, rs, es])
    // After a rotation it returns the key that signs now, and creates nothing.
    const { active } = await rotateSigningKey({ purpose: 'id_token' }, deps)
    expect(await ensureIdTokenKey('RS256', deps)).toEqual(active)
    expect(await listSigningKeys(deps)).toHaveLength(4)
  })

  /** One key served to every caller, and only it live: the losers' candidates never signed and are retired, out of the JWKS. */
  async function expectOneKey(store: Store, kids: string[]): Promise<void> {
    expect(new Set(kids).size).toBe(1)
    const keys = await store.signingKeys.list()
    expect(keys.filter((k) => k.status !== 'retired').map((k) => [k.kid, k.purpose, k.algorithm, k.status])).toEqual([[kids[0], 'id_token', 'RS256', 'active']])
    expect(buildKeySet(keys).jwks.keys.map((k) => k.kid)).toEqual([kids[0]])
  }

  it('ensureIdTokenKey: calls at once get the same key (every call lists before any inserts)', async () => {
    // PostgreSQL: three pools, as three instances would hold. SQLite: one connection, since a
    // second synchronous connection in this process would block the loop the first one commits on.
    const stores = await open(name === 'PostgreSQL' ? 3 : 1)
    const callers = [...stores, ...stores, stores[0]!].slice(0, 4)
    const results = await Promise.all(callers.map((store) => ensureIdTokenKey('RS256', depsOf(store))))
    await expectOneKey(stores[0]!, results.map((k) => k.kid))
    expect(await ensureIdTokenKey('RS256', depsOf(stores.at(-1)!))).toEqual(results[0])
  })

  it('ensureIdTokenKey: two server processes starting at once on one database both succeed with one key', async () => {
    const [store] = await open() // migrated: the race under test is the keys'
    const startAt = Date.now() + 3000 // both processes are loaded by then, and call in the same millisecond
    const kids = await Promise.all([1, 2].map(() => ensureInChild(backend.url, startAt)))
    await expectOneKey(store!, kids)
  })

  it('ensureIdTokenKey ignores a claim naming a key that can no longer sign (a retired one)', async () => {
    const [store] = await open()
    const deps = depsOf(store!)
    const first = await ensureIdTokenKey('ES256', deps)
    await rotateSigningKey({ purpose: 'id_token', algorithm: 'ES256' }, deps)
    await retireSigningKey(first.kid, deps)
    // A hand edit leaves no active ES256 key; the next start makes a new one rather than reviving the retired one.
    const [current] = (await store!.signingKeys.list()).filter((k) => k.status === 'active')
    await store!.signingKeys.setStatus(current!.kid, 'retired')
    const fresh = await ensureIdTokenKey('ES256', deps)
    expect(fresh.kid).not.toBe(first.kid)
    expect(fresh.kid).not.toBe(current!.kid)
    expect((await store!.signingKeys.list()).filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([fresh.kid])
  })
})

const run = promisify(execFile)
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** `ensureIdTokenKey('RS256')` in a process of its own, as a starting server calls it; its kid. */
async function ensureInChild(url: string, startAt: number): Promise<string> {
  const script = `
    import { ensureIdTokenKey, systemClock } from './src/core/index.ts'
    import { openStore } from './src/storage/index.ts'
    const store = await openStore(process.env.URL)
    await new Promise((resolve) => setTimeout(resolve, Number(process.env.START_AT) - Date.now()))
    const key = await ensureIdTokenKey('RS256', { keys: store.signingKeys, settings: store.settings, clock: systemClock })
    process.stdout.write(key.kid)
    await store.close()`
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT, env: { ...process.env, URL: url, START_AT: String(startAt) }, timeout: 30_000,
  })
  return stdout
}
