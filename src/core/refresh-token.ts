import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { RefreshTokenRecord } from './ports.js'

/** 256 random bits (RFC 9700 §4.14: unguessable), as 43 base64url characters. */
export const REFRESH_TOKEN_BYTES = 32

/** How long a refresh token lives: unused (idle), and in all since the login (absolute). */
export interface RefreshPolicy {
  idleSeconds: number
  absoluteSeconds: number
}

/** What a refresh token is bound to (RFC 6749 §6): its user, its client (or none) and its scopes. */
export interface RefreshBinding {
  userId: string
  clientId: string | null
  scopes: readonly string[]
  /** Code flow only (see RefreshTokenRecord): the sign-in's auth_time, the audience, the browser session. */
  authTime?: number | null
  audience?: readonly string[]
  browserSessionId?: string | null
}

/** A new refresh token: the value goes to the client once, only the record (its hash) is stored. */
export interface MintedRefreshToken {
  token: string
  /** Every field filled in, the code flow's too (null / empty for a password-grant login). */
  record: Omit<RefreshTokenRecord, 'rotatedAt' | 'revokedAt'>
}

const SHAPE = /^[A-Za-z0-9_-]{43}$/

export function generateRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url')
}

/**
 * SHA-256, unsalted: the token is 256 random bits, so there is nothing to guess and no table to
 * precompute, and an unsalted hash can be looked up directly by the index.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Whether `token` could be one of ours. A JWT always has dots, a refresh token never does, so
 * /revoke and /introspect tell the two apart without trusting `token_type_hint`.
 */
export function hasRefreshTokenShape(token: string): boolean {
  return SHAPE.test(token)
}

/**
 * Mints a refresh token for `binding`. A login starts a family (absolute lifetime from now); a
 * rotation continues `family`, whose absolute end never moves (RFC 9700 §4.14.2), and passes the
 * record itself as the binding, so what the family is bound to carries over unchanged. Like an access
 * token's `iat`, `createdAt` is never before the user's tokens-not-before, so a token minted in
 * the same second as a logout-all is not taken for one from before it.
 */
export function mintRefreshToken(
  binding: RefreshBinding,
  policy: RefreshPolicy,
  now: number,
  options: {
    family?: Pick<RefreshTokenRecord, 'familyId' | 'expiresAt'>
    notBefore?: number | null
    /** The id of a new family, when the caller had to know it first (a code exchange records it). */
    newFamilyId?: string
  } = {},
): MintedRefreshToken {
  const token = generateRefreshToken()
  const createdAt = Math.max(now, (options.notBefore ?? 0) * 1000)
  const expiresAt = options.family?.expiresAt ?? createdAt + policy.absoluteSeconds * 1000
  return {
    token,
    record: {
      id: randomUUID(),
      familyId: options.family?.familyId ?? options.newFamilyId ?? randomUUID(),
      tokenHash: hashRefreshToken(token),
      userId: binding.userId,
      clientId: binding.clientId,
      scopes: [...binding.scopes],
      authTime: binding.authTime ?? null,
      audience: [...(binding.audience ?? [])],
      browserSessionId: binding.browserSessionId ?? null,
      createdAt,
      expiresAt,
      idleExpiresAt: Math.min(createdAt + policy.idleSeconds * 1000, expiresAt),
    },
  }
}

/** When the token stops working if left unused: the earlier of its idle and absolute ends (epoch ms). */
export function refreshTokenExpiry(record: Pick<RefreshTokenRecord, 'expiresAt' | 'idleExpiresAt'>): number {
  return Math.min(record.expiresAt, record.idleExpiresAt)
}

export type RefreshTokenState = 'live' | 'rotated' | 'revoked' | 'expired'

/** Revoked wins over rotated: a rotated token of a revoked family is simply dead. */
export function refreshTokenState(record: RefreshTokenRecord, now: number): RefreshTokenState {
  if (record.revokedAt !== null) return 'revoked'
  if (record.rotatedAt !== null) return 'rotated'
  if (now >= refreshTokenExpiry(record)) return 'expired'
  return 'live'
}
