import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createPasswordHasher, DUMMY_HASH } from '../../src/core/password.js'
import { CountingAdmission } from './counting-admission.js'

// Hashes made by the Python stacks Tessera replaces, at production parameters (~0.1 s of CPU per
// argon2id verification here; the bcrypt cost-12 one ~0.25 s): kept to the few that prove the point.

/** FastAPI's JWT tutorial: pwdlib's `PasswordHash.recommended()` hash of "secret". */
const TUTORIAL_HASH = '$argon2id$v=19$m=65536,t=3,p=4$wagCPXjifgvUFBzq4hqe3w$CYaIb8sB+wtD+Vu/P4uod1+Qof8h+1g7bbDlBID48Rc'

/** Made with Debian's python3-passlib; the file records the commands and versions. */
const passlib = JSON.parse(readFileSync(new URL('../fixtures/passlib-bcrypt.json', import.meta.url), 'utf8')) as {
  password: string
  hashes: { command: string; hash: string }[]
}

const hasher = () => createPasswordHasher({ admission: new CountingAdmission({ concurrency: 2, queueLimit: 8 }) })

describe('pwdlib (the FastAPI tutorial)', () => {
  it('verifies the tutorial\'s hash of "secret" as current, needing no rehash', async () => {
    await expect(hasher().verify('secret', TUTORIAL_HASH)).resolves.toEqual({ valid: true, needsRehash: false })
  })

  it('rejects a wrong password against it', async () => {
    await expect(hasher().verify('wrong', TUTORIAL_HASH)).resolves.toEqual({ valid: false, needsRehash: false })
  })

  it('produces hashes in pwdlib\'s exact format and parameters', async () => {
    // Checked once by hand against Python: argon2-cffi 21.1 (Debian python3-argon2)
    // PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, hash_len=32, salt_len=16)
    // .verify(tessera_hash, 'secret') -> True, check_needs_rehash -> False.
    const h = hasher()
    const phc = await h.hash('secret')
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  })
})

describe('passlib bcrypt', () => {
  it('has the fixture the tests rely on', () => {
    expect(passlib.password).toBe('secret')
    expect(passlib.hashes.map((h) => h.hash.slice(0, 7))).toEqual(['$2b$12$', '$2a$04$', '$2y$04$'])
  })

  it.each(passlib.hashes.map((h) => [h.hash.slice(0, 7), h.hash]))('verifies passlib\'s %s hash of "secret" and asks for the argon2id upgrade', async (_, stored) => {
    await expect(hasher().verify('secret', stored)).resolves.toEqual({ valid: true, needsRehash: true })
  })

  it('rejects a wrong password against passlib\'s default hash', async () => {
    await expect(hasher().verify('wrong', passlib.hashes[0]?.hash as string)).resolves.toEqual({ valid: false, needsRehash: false })
  })
})

describe('verifyDummy at production parameters', () => {
  it('verifies against a precomputed hash: one verification, no hashing, nothing returned', async () => {
    const admission = new CountingAdmission({ concurrency: 2, queueLimit: 8 })
    const h = createPasswordHasher({ admission })
    await expect(h.verifyDummy('secret')).resolves.toBeUndefined()
    expect(admission.tasks).toBe(1)
    expect(DUMMY_HASH).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  })
})
