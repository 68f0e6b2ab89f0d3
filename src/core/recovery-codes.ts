import { createHash, randomBytes } from 'node:crypto'

/*
 * Recovery codes: what signs someone in who lost their authenticator app. Each is 80 random
 * bits, shown once as four groups of four lower-case base32 characters (`abcd-efgh-ijkl-mnop`:
 * no 0/1/8/9 to confuse with O/I/B/g), stored as the SHA-256 of its normalised form. 80 bits
 * leave nothing to guess or precompute, so no salt or slow hash is needed (as for refresh tokens).
 */

export const RECOVERY_CODE_COUNT = 10
const CODE_BYTES = 10
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const NORMALISED = /^[a-z2-7]{16}$/

/** RFC 4648 base32 of exactly 10 bytes (80 bits: 16 characters, no padding), lower case. */
function base32(bytes: Buffer): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  return out
}

/** A fresh set of codes, formatted for reading (`abcd-efgh-ijkl-mnop`). */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => base32(randomBytes(CODE_BYTES)).replace(/(.{4})(?=.)/g, '$1-'))
}

/**
 * The code as it is hashed: lower case, without the dashes and spaces people type or paste with
 * it. Null when what is left cannot be a recovery code (so it is refused without a lookup).
 */
export function normalizeRecoveryCode(input: string): string | null {
  const normalised = input.toLowerCase().replace(/[\s-]/g, '')
  return NORMALISED.test(normalised) ? normalised : null
}

/** SHA-256 hex of a normalised code: what RecoveryCodeStore keeps. */
export function hashRecoveryCode(normalised: string): string {
  return createHash('sha256').update(normalised, 'utf8').digest('hex')
}
