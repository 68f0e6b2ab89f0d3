import { describe, expect, it } from 'vitest'
import { assertUsableSecretKey, resolveSecretKey, TUTORIAL_SECRET_KEY } from '../../src/core/secret-key.js'
import { inMemorySettings } from './in-memory-stores.js'

const GOOD_KEY = 'k'.repeat(32)

describe('assertUsableSecretKey', () => {
  it('accepts 32 characters or more', () => {
    expect(() => assertUsableSecretKey(GOOD_KEY)).not.toThrow()
  })

  it.each([['an empty key', ''], ['31 characters', 'k'.repeat(31)], ['the tutorial\'s published key', TUTORIAL_SECRET_KEY]])(
    'refuses %s with an Error naming TESSERA_SECRET_KEY',
    (_, key) => {
      let caught: unknown
      try { assertUsableSecretKey(key) } catch (err) { caught = err }
      expect(caught).toBeInstanceOf(Error)
      expect(caught).not.toBeInstanceOf(TypeError)
      expect((caught as Error).message).toContain('TESSERA_SECRET_KEY')
    },
  )

  it('never puts the key itself in the message', () => {
    expect(() => assertUsableSecretKey(TUTORIAL_SECRET_KEY)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(TUTORIAL_SECRET_KEY) }))
  })
})

describe('resolveSecretKey', () => {
  it('uses a configured key and stores nothing', async () => {
    const settings = inMemorySettings()
    await expect(resolveSecretKey(GOOD_KEY, settings)).resolves.toEqual({ key: GOOD_KEY, generated: false })
    expect(settings.values.size).toBe(0)
  })

  it('refuses an unusable configured key', async () => {
    await expect(resolveSecretKey('short', inMemorySettings())).rejects.toThrow('TESSERA_SECRET_KEY')
  })

  it('generates 32 random bytes once, stores them, and reuses them after a restart', async () => {
    const settings = inMemorySettings()
    const first = await resolveSecretKey(null, settings)
    expect(first.generated).toBe(true)
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(Buffer.from(first.key, 'base64url')).toHaveLength(32)
    expect([...settings.values]).toEqual([['hs256_secret_key', first.key]])
    await expect(resolveSecretKey(null, settings)).resolves.toEqual({ key: first.key, generated: false })
  })

  it('keeps whichever key another instance stored first', async () => {
    const settings = inMemorySettings()
    // The other instance inserts between our read and our insert.
    const racing = { ...settings, get: async () => null, getOrInsert: async (key: string, _value: string) => settings.getOrInsert(key, 'theirs'.padEnd(43, 'x')) }
    await expect(resolveSecretKey(null, racing)).resolves.toEqual({ key: 'theirs'.padEnd(43, 'x'), generated: false })
  })
})
