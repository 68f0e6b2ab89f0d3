import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { Conflict, NotFound } from './errors.js'
import type { ClientRecord, ClientStore, ClientType } from './ports.js'

/** The grant types Tessera serves at /token (RFC 6749 §4.1, §4.3, §4.4, §6). */
export const GRANT_TYPES = ['authorization_code', 'password', 'refresh_token', 'client_credentials'] as const
export type GrantType = (typeof GRANT_TYPES)[number]

export const CLIENT_TYPES = ['confidential', 'public'] as const satisfies readonly ClientType[]

/**
 * What a client registered without redirect URIs may do unless told otherwise: a service gets
 * client_credentials, an app logs users in with their password (as before issue 9).
 */
export const DEFAULT_CLIENT_GRANT_TYPES: Record<ClientType, readonly GrantType[]> = {
  confidential: ['client_credentials'],
  public: ['password', 'refresh_token'],
}

/** A client registered with redirect URIs signs users in on Tessera's page (RFC 9700 §2.4: not with their password). */
export const CODE_FLOW_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token']

export function isGrantType(value: string): value is GrantType {
  return (GRANT_TYPES as readonly string[]).includes(value)
}

/**
 * 128 random bits: unguessable is not required of an id, but collisions must never happen. Hex,
 * not base64url: an id starting with '-' would be read as an option by the command line.
 */
export function generateClientId(): string {
  return randomBytes(16).toString('hex')
}

/** 256 random bits, base64url: safe in a form body and in Basic credentials without escaping. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** SHA-256 hex. A generated secret has 256 bits of entropy, so a slow hash would add nothing. */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/**
 * Compares in constant time: the presented secret is hashed and the two fixed-length digests are
 * compared with timingSafeEqual, so the time taken says nothing about how much of it was right.
 */
export function clientSecretMatches(secret: string, secretHash: string | null): boolean {
  const presented = createHash('sha256').update(secret, 'utf8').digest()
  const stored = secretHash !== null && /^[0-9a-f]{64}$/.test(secretHash) ? Buffer.from(secretHash, 'hex') : Buffer.alloc(32)
  return timingSafeEqual(presented, stored) && secretHash !== null
}

export function clientAllows(client: Pick<ClientRecord, 'grantTypes'>, grantType: GrantType): boolean {
  return client.grantTypes.includes(grantType)
}

/** A new secret for a confidential client; the old one stops working at once. */
export async function rotateClientSecret(id: string, clients: ClientStore): Promise<{ client: ClientRecord; secret: string }> {
  const existing = await clients.findById(id)
  if (existing === null) throw new NotFound('Client not found')
  if (existing.type !== 'confidential') throw new Conflict('A public client has no secret')
  const secret = generateClientSecret()
  const client = await clients.update(id, { secretHash: hashClientSecret(secret) })
  if (client === null) throw new NotFound('Client not found') // removed meanwhile
  return { client, secret }
}
