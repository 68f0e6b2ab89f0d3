import { hash as argon2Hash, parseOptions as argon2Parameters, verify as argon2Verify, type Options as Argon2Options } from '@node-rs/argon2'
import { verify as bcryptVerify } from '@node-rs/bcrypt'
import type { HashAdmission } from './hash-admission.js'

/** OWASP's argon2id profile and pwdlib's `PasswordHash.recommended()`: the tutorial's hashes verify as-is. */
export const ARGON2ID_PARAMS: Readonly<{ memoryCost: number; timeCost: number; parallelism: number }> =
  Object.freeze({ memoryCost: 65536, timeCost: 3, parallelism: 4 })

/** `needsRehash` is only ever true for a valid password: then the caller may store a fresh hash. */
export interface PasswordVerification { valid: boolean; needsRehash: boolean }

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<PasswordVerification>
  /** Costs what a real verification costs, for unknown users: login time must not reveal existence. */
  verifyDummy(password: string): Promise<void>
}

// @node-rs/argon2 declares its enums `const`, which isolated modules cannot read: the values are fixed by its ABI.
const ARGON2ID = 2 as NonNullable<Argon2Options['algorithm']>
const ARGON2_VERSION_0x13 = 1 as NonNullable<Argon2Options['version']>
/** argon2-cffi's (and so pwdlib's) defaults, which @node-rs/argon2 shares: part of "same parameters". */
const HASH_BYTES = 32
const SALT_BYTES = 16

/** argon2id at ARGON2ID_PARAMS of a throwaway password; verifying against it costs a real verification. Not public API (tests check its parameters). */
export const DUMMY_HASH = '$argon2id$v=19$m=65536,t=3,p=4$VwlO/SE1g85nXVZ2vrkryA$mGK4DDXeJ3c377oq0sax/W8sPAeRsLTZ+Kl18OrjmI4'

/** passlib/bcrypt's modular-crypt format: 2-digit cost, 22 chars of salt, 31 of checksum. */
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

const INVALID: PasswordVerification = Object.freeze({ valid: false, needsRehash: false })

/**
 * Hashes new passwords with argon2id; verifies argon2 PHC strings (pwdlib's format) and legacy
 * bcrypt, flagging anything not at the current parameters for rehash on login. Every hash and
 * verification goes through `admission`, so a login storm queues boundedly instead of piling up.
 */
export function createPasswordHasher(options: { admission: HashAdmission; params?: Partial<typeof ARGON2ID_PARAMS> }): PasswordHasher {
  const { admission } = options
  const params = {
    memoryCost: options.params?.memoryCost ?? ARGON2ID_PARAMS.memoryCost,
    timeCost: options.params?.timeCost ?? ARGON2ID_PARAMS.timeCost,
    parallelism: options.params?.parallelism ?? ARGON2ID_PARAMS.parallelism,
  }
  if (!Object.values(params).every((v) => Number.isInteger(v) && v >= 1)) throw new TypeError('createPasswordHasher: argon2 parameters must be positive integers')
  const argon2Options: Argon2Options = { algorithm: ARGON2ID, version: ARGON2_VERSION_0x13, outputLen: HASH_BYTES, ...params }
  const usesDefaults = params.memoryCost === ARGON2ID_PARAMS.memoryCost && params.timeCost === ARGON2ID_PARAMS.timeCost
    && params.parallelism === ARGON2ID_PARAMS.parallelism
  // With other parameters the precomputed dummy would cost the wrong amount: make one to match, once.
  let dummyHash: Promise<string> | undefined = usesDefaults ? Promise.resolve(DUMMY_HASH) : undefined

  const hash = (password: string) => admission.run(() => argon2Hash(password, argon2Options))

  function isCurrentArgon2(phc: string): boolean {
    const p = argon2Parameters(phc)
    return p.algorithm === ARGON2ID && p.version === ARGON2_VERSION_0x13 && p.memoryCost === params.memoryCost
      && p.timeCost === params.timeCost && p.parallelism === params.parallelism
      && p.outputLen === HASH_BYTES && p.saltLen === SALT_BYTES
  }

  async function verifyArgon2(password: string, phc: string): Promise<PasswordVerification> {
    let current: boolean
    try {
      current = isCurrentArgon2(phc) // also rejects a malformed PHC string before it takes a slot
    } catch {
      return INVALID
    }
    const valid = await admission.run(() => argon2Verify(phc, password).catch(() => false))
    return valid ? { valid, needsRehash: !current } : INVALID
  }

  async function verifyBcrypt(password: string, mcf: string): Promise<PasswordVerification> {
    if (!BCRYPT.test(mcf)) return INVALID
    const valid = await admission.run(() => bcryptVerify(password, mcf).catch(() => false))
    // Any valid bcrypt login upgrades the user to argon2id.
    return valid ? { valid, needsRehash: true } : INVALID
  }

  return {
    hash,
    async verify(password, stored) {
      if (stored.startsWith('$argon2')) return verifyArgon2(password, stored)
      if (stored.startsWith('$2')) return verifyBcrypt(password, stored)
      return INVALID // unknown scheme: nobody can log in with it, and nothing is thrown to leak its shape
    },
    async verifyDummy(password) {
      dummyHash ??= hash('tessera-dummy-password').catch((err: unknown) => {
        dummyHash = undefined // a full queue must not poison every later unknown-user login
        throw err
      })
      const phc = await dummyHash
      await admission.run(() => argon2Verify(phc, password).catch(() => false))
    },
  }
}
