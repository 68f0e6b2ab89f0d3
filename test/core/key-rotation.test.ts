import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { Conflict, NotFound } from '../../src/core/errors.js'
import {
  addSigningKey, listSigningKeys, retireSigningKey, rotateSigningKey,
} from '../../src/core/key-rotation.js'
import { buildKeySet } from '../../src/core/signing-keys.js'
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
    expect(first).toEqual({ kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), algorithm: 'EdDSA', status: 'active', createdAt: T0 })
    clock.advance(1000)
    const second = await addSigningKey('ES256', deps)
    expect(second).toMatchObject({ algorithm: 'ES256', status: 'verifying', createdAt: T0 + 1000 })
    expect(await statuses(deps)).toEqual([[first.kid, 'active'], [second.kid, 'verifying']])
    expect(buildKeySet(store.records).jwks.keys.map((k) => k.kid)).toEqual([first.kid, second.kid])
  })

  it('never returns the private key', async () => {
    const { deps } = setup()
    const key = await addSigningKey('RS256', deps)
    expect(Object.keys(key).sort()).toEqual(['algorithm', 'createdAt', 'kid', 'status'])
    expect(Object.keys((await listSigningKeys(deps))[0] ?? {}).sort()).toEqual(['algorithm', 'createdAt', 'kid', 'status'])
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
