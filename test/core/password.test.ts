import { hash as argon2Hash } from '@node-rs/argon2'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../src/core/errors.js'
import { HashAdmission } from '../../src/core/hash-admission.js'
import { ARGON2ID_PARAMS, createPasswordHasher } from '../../src/core/password.js'
import { CountingAdmission } from './counting-admission.js'

// Cheap parameters keep these tests fast on a shared machine; the production parameters and
// the Python-made hashes are exercised in password-interop.test.ts.
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const passlib = JSON.parse(readFileSync(new URL('../fixtures/passlib-bcrypt.json', import.meta.url), 'utf8')) as {
  hashes: { hash: string }[]
}
const BCRYPT_2A_COST_4 = passlib.hashes.find((h) => h.hash.startsWith('$2a$04$'))?.hash as string

const admission = () => new HashAdmission({ concurrency: 2, queueLimit: 8 })
const cheapHasher = (params: Partial<typeof ARGON2ID_PARAMS> = CHEAP) => createPasswordHasher({ admission: admission(), params })

/** An admission whose only slot is taken and which lets nobody wait. */
function fullAdmission() {
  const full = new HashAdmission({ concurrency: 1, queueLimit: 0 })
  let release!: () => void
  const held = full.run(() => new Promise<void>((resolve) => { release = resolve }))
  return { full, release: async () => { release(); await held } }
}

describe('ARGON2ID_PARAMS', () => {
  it('is pwdlib\'s recommended argon2id profile', () => {
    expect(ARGON2ID_PARAMS).toEqual({ memoryCost: 65536, timeCost: 3, parallelism: 4 })
    expect(Object.isFrozen(ARGON2ID_PARAMS)).toBe(true)
  })
})

describe('createPasswordHasher', () => {
  it('refuses parameters argon2 cannot use', () => {
    for (const params of [{ memoryCost: 0 }, { timeCost: 1.5 }, { parallelism: -1 }]) {
      expect(() => createPasswordHasher({ admission: admission(), params })).toThrow(TypeError)
    }
  })

  it('falls back to the default for a parameter passed as undefined', async () => {
    const phc = await cheapHasher({ ...CHEAP, parallelism: undefined }).hash('pw')
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=4\$/)
  })
})

describe('hash and verify', () => {
  it('hashes to an argon2id PHC string at the configured parameters that verifies back', async () => {
    const hasher = cheapHasher()
    const phc = await hasher.hash('correct horse')
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    await expect(hasher.verify('correct horse', phc)).resolves.toEqual({ valid: true, needsRehash: false })
    await expect(hasher.verify('correct horsf', phc)).resolves.toEqual({ valid: false, needsRehash: false })
  })

  it('salts every hash', async () => {
    const hasher = cheapHasher()
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'))
  })

  it('hashes the UTF-8 bytes of non-ASCII passwords', async () => {
    const hasher = cheapHasher()
    const phc = await hasher.hash('pässwörd ✓ 密码')
    await expect(hasher.verify('pässwörd ✓ 密码', phc)).resolves.toEqual({ valid: true, needsRehash: false })
    await expect(hasher.verify('passwort ✓ 密码', phc)).resolves.toEqual({ valid: false, needsRehash: false })
  })

  it('asks for a rehash of a valid argon2id hash made with other parameters', async () => {
    const old = await cheapHasher({ ...CHEAP, timeCost: 2 }).hash('pw')
    await expect(cheapHasher().verify('pw', old)).resolves.toEqual({ valid: true, needsRehash: true })
    await expect(cheapHasher().verify('nope', old)).resolves.toEqual({ valid: false, needsRehash: false })
  })

  it.each([
    ['argon2i', { algorithm: 1 }],
    ['argon2d', { algorithm: 0 }],
    ['a 16-byte output', { algorithm: 2, outputLen: 16 }],
    ['an 8-byte salt', { algorithm: 2, salt: new Uint8Array(8).fill(7) }],
  ])('asks for a rehash of %s at the same costs', async (_, variant) => {
    const phc = await argon2Hash('pw', { ...CHEAP, ...variant } as Parameters<typeof argon2Hash>[1])
    await expect(cheapHasher().verify('pw', phc)).resolves.toEqual({ valid: true, needsRehash: true })
  })

  it('verifies legacy bcrypt and always asks for the upgrade to argon2id', async () => {
    const hasher = cheapHasher()
    await expect(hasher.verify('secret', BCRYPT_2A_COST_4)).resolves.toEqual({ valid: true, needsRehash: true })
    await expect(hasher.verify('wrong', BCRYPT_2A_COST_4)).resolves.toEqual({ valid: false, needsRehash: false })
  })

  it.each([
    '', 'secret', '$argon2id$v=19$m=65536', '$argon2id$v=19$m=1024,t=1,p=1$!!!!$abc', '$argon2x$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA',
    '$2b$04$junk', '$2b$', '$2x$04$K49SE4nCq3PyRjtTioAcruE3VkoQa3uR9gt54M0fiTRZ352x/fLIa', '$pbkdf2-sha256$29000$abc$def',
  ])('answers invalid, without throwing, for the malformed or unknown hash %j', async (stored) => {
    await expect(cheapHasher().verify('secret', stored)).resolves.toEqual({ valid: false, needsRehash: false })
  })
})

describe('admission', () => {
  it('sends hash, verify and verifyDummy through the admission gate', async () => {
    const { full, release } = fullAdmission()
    const hasher = createPasswordHasher({ admission: full, params: CHEAP })
    const phc = await cheapHasher().hash('pw')
    await expect(hasher.hash('pw')).rejects.toBeInstanceOf(ServiceUnavailable)
    await expect(hasher.verify('pw', phc)).rejects.toBeInstanceOf(ServiceUnavailable)
    await expect(hasher.verify('secret', BCRYPT_2A_COST_4)).rejects.toBeInstanceOf(ServiceUnavailable)
    await expect(hasher.verifyDummy('pw')).rejects.toBeInstanceOf(ServiceUnavailable)
    await release()
    // A refused first dummy must not stick: once capacity is back, unknown-user logins work again.
    await expect(hasher.verifyDummy('pw')).resolves.toBeUndefined()
  })

  it('does not spend a slot on a malformed hash', async () => {
    const { full, release } = fullAdmission()
    const hasher = createPasswordHasher({ admission: full, params: CHEAP })
    await expect(hasher.verify('pw', '$argon2id$broken')).resolves.toEqual({ valid: false, needsRehash: false })
    await release()
  })
})

describe('verifyDummy', () => {
  it('with other parameters, makes a matching dummy hash once, then costs one verification per call', async () => {
    const gate = new CountingAdmission({ concurrency: 2, queueLimit: 8 })
    const hasher = createPasswordHasher({ admission: gate, params: CHEAP })
    await expect(hasher.verifyDummy('whatever')).resolves.toBeUndefined()
    expect(gate.tasks).toBe(2)
    await hasher.verifyDummy('other')
    await hasher.verifyDummy('')
    expect(gate.tasks).toBe(4)
  })
})
