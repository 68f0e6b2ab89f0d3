import { afterEach, describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { openSigningKeyRing, type SigningKeyRing } from '../../src/core/signing-key-ring.js'
import { EMPTY_KEY_SET, generateSigningKey, type KeySet } from '../../src/core/signing-keys.js'
import { inMemorySigningKeys } from './in-memory-signing-keys.js'

const T0 = Date.UTC(2026, 0, 1)
const A = generateSigningKey('EdDSA', { status: 'active', createdAt: T0 })
const B = generateSigningKey('ES256', { status: 'active', createdAt: T0 + 1 })

const rings: SigningKeyRing[] = []
afterEach(() => { for (const ring of rings.splice(0)) ring.close() })

async function open(store: ReturnType<typeof inMemorySigningKeys>, options: { reloadIntervalMs?: number } = {}) {
  const clock = fixedClock(T0)
  const changes: Array<{ set: KeySet; previous: KeySet }> = []
  const errors: unknown[] = []
  const ring = await openSigningKeyRing(store, {
    clock, reloadIntervalMs: options.reloadIntervalMs ?? 0,
    onChange: (set, previous) => changes.push({ set, previous }),
    onError: (error) => errors.push(error),
  })
  rings.push(ring)
  return { ring, clock, changes, errors }
}

/** Lets queued reloads (a store read, then the swap) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('openSigningKeyRing', () => {
  it('reads the store once at start', async () => {
    const store = inMemorySigningKeys([A])
    const { ring } = await open(store)
    expect(store.reads).toBe(1)
    expect(ring.current().active?.kid).toBe(A.kid)
  })

  it('starts in HS256 mode with an empty store', async () => {
    const { ring } = await open(inMemorySigningKeys())
    expect(ring.current()).toBe(EMPTY_KEY_SET)
  })

  it('fails at start on a broken key, naming it', async () => {
    const store = inMemorySigningKeys([{ ...A, algorithm: 'RS256' }])
    await expect(openSigningKeyRing(store, { clock: fixedClock(T0), reloadIntervalMs: 0 })).rejects.toThrow(`signing key ${A.kid}: RS256 needs an RSA key`)
  })

  it('reload() swaps in a new set when the keys changed, and keeps the same set object when not', async () => {
    const store = inMemorySigningKeys([A])
    const { ring, changes } = await open(store)
    const first = ring.current()
    expect(await ring.reload()).toBe(first)
    expect(changes).toEqual([])

    await store.insert(B) // rotation by another process: A now verifies, B signs
    const second = await ring.reload()
    expect(second).not.toBe(first)
    expect(second.active?.kid).toBe(B.kid)
    expect([...second.byKid.keys()]).toEqual([B.kid, A.kid])
    expect(changes).toEqual([{ set: second, previous: first }])
  })

  it('joins a reload already under way instead of reading twice', async () => {
    const store = inMemorySigningKeys([A])
    const { ring } = await open(store)
    const [x, y] = await Promise.all([ring.reload(), ring.reload()])
    expect(x).toBe(y)
    expect(store.reads).toBe(2)
  })

  it('reload({ fresh: true }) reads again after a read begun before an announced change, instead of joining it', async () => {
    const store = inMemorySigningKeys([A])
    const { ring } = await open(store)
    const stale = ring.reload()                         // under way: its read predates B
    const inserted = store.insert(B)                    // then `tessera keys rotate`, announced on Redis (the fake stores at once)
    const joined = ring.reload()
    const fresh = ring.reload({ fresh: true })
    expect((await stale).active?.kid).toBe(A.kid)
    expect((await joined).active?.kid).toBe(A.kid)      // a plain reload joined the stale read
    expect((await fresh).active?.kid).toBe(B.kid)
    expect(ring.current().active?.kid).toBe(B.kid)
    expect(store.reads).toBe(3)
    await inserted
  })

  it('reloads in the background on an unknown kid, at most once per second however many arrive', async () => {
    const store = inMemorySigningKeys([A])
    const { ring, clock } = await open(store)
    await store.insert(B)
    ring.unknownKid(B.kid)
    expect(ring.current().active?.kid).toBe(A.kid) // never waits: the current request is not held
    await settle()
    expect(ring.current().active?.kid).toBe(B.kid)
    expect(store.reads).toBe(2)

    for (let i = 0; i < 50; i++) ring.unknownKid('x'.repeat(43))
    clock.advance(999)
    ring.unknownKid('y'.repeat(43))
    await settle()
    expect(store.reads).toBe(2)
    clock.advance(1)
    ring.unknownKid('y'.repeat(43))
    await settle()
    expect(store.reads).toBe(3)
  })

  it('ignores kids that cannot be a thumbprint: they are never ours', async () => {
    const store = inMemorySigningKeys([A])
    const { ring } = await open(store)
    for (const kid of ['', 'short', 'x'.repeat(44), `${'x'.repeat(42)}=`, `${'x'.repeat(42)}/`]) ring.unknownKid(kid)
    await settle()
    expect(store.reads).toBe(1)
  })

  it('reloads periodically, and stops when closed', async () => {
    const store = inMemorySigningKeys([A])
    const { ring } = await open(store, { reloadIntervalMs: 10 })
    await store.insert(B)
    await until(() => ring.current().active?.kid === B.kid)
    ring.close()
    const reads = store.reads
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(store.reads).toBe(reads)
  })

  it('keeps the current set when a reload fails, and reports the failure', async () => {
    const store = inMemorySigningKeys([A])
    const { ring, errors, clock } = await open(store)
    const before = ring.current()
    store.failNextRead = new Error('database is down')
    await expect(ring.reload()).rejects.toThrow('database is down')
    expect(ring.current()).toBe(before)

    store.failNextRead = new Error('still down')
    ring.unknownKid(B.kid)
    await settle()
    expect(errors).toEqual([new Error('still down')])
    expect(ring.current()).toBe(before)

    store.records.push({ ...B, status: 'verifying', algorithm: 'EdDSA' }) // a broken row: reported, not used
    clock.advance(1000)
    ring.unknownKid(B.kid)
    await settle()
    expect(errors).toHaveLength(2)
    expect(String(errors[1])).toContain(`signing key ${B.kid}: EdDSA needs an Ed25519 key`)
    expect(ring.current()).toBe(before)
  })

  it('refuses a negative or fractional interval', async () => {
    await expect(openSigningKeyRing(inMemorySigningKeys(), { clock: fixedClock(T0), reloadIntervalMs: -1 })).rejects.toThrow(TypeError)
    await expect(openSigningKeyRing(inMemorySigningKeys(), { clock: fixedClock(T0), reloadIntervalMs: 0.5 })).rejects.toThrow(TypeError)
  })
})
