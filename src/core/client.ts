import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { Conflict, NotFound, ValidationFailed, type ValidationIssue } from './errors.js'
import type { ClientRecord, ClientStore, ClientType } from './ports.js'
import { DEFAULT_USER_SCOPES, SCOPES, isScope } from './scopes.js'

/** The grant types Tessera serves at /token (RFC 6749 §4.1, §4.3, §4.4, §6). */
export const GRANT_TYPES = ['authorization_code', 'password', 'refresh_token', 'client_credentials'] as const
export type GrantType = (typeof GRANT_TYPES)[number]

export const CLIENT_TYPES = ['confidential', 'public'] as const satisfies readonly ClientType[]

/** What a client may do unless told otherwise: a service gets client_credentials, an app logs users in. */
export const DEFAULT_CLIENT_GRANT_TYPES: Record<ClientType, readonly GrantType[]> = {
  confidential: ['client_credentials'],
  public: ['password', 'refresh_token'],
}

const NAME_MAX = 200
/** No control characters, no NUL, no lone surrogates: a name is shown in lists and logs. */
const NAME_PATTERN = /^[^\u0000-\u001F\u007F\uD800-\uDFFF]+$/u

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

export interface ClientRegistration {
  name: string
  type?: ClientType
  grantTypes?: readonly string[]
  scopes?: readonly string[]
}

/** A new client and its secret, which exists in clear only here: shown once, stored as a hash. */
export interface RegisteredClient {
  client: ClientRecord
  secret: string | null
}

function registrationIssues(registration: ClientRegistration, type: ClientType, grantTypes: readonly string[], scopes: readonly string[]): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  const name = registration.name.trim()
  if (name === '' || [...name].length > NAME_MAX || !NAME_PATTERN.test(name)) {
    issues.push({ type: 'value_error', loc: ['body', 'name'], msg: `Value error, A client name is 1 to ${NAME_MAX} printable characters` })
  }
  if (!(CLIENT_TYPES as readonly string[]).includes(type)) {
    issues.push({ type: 'enum', loc: ['body', 'type'], msg: "Input should be 'confidential' or 'public'", input: type })
  }
  const unknownGrant = grantTypes.filter((g) => !isGrantType(g))
  if (unknownGrant.length > 0 || grantTypes.length === 0) {
    issues.push({ type: 'value_error', loc: ['body', 'grant_types'], msg: `Value error, Grant types are one or more of ${GRANT_TYPES.join(', ')}` })
  } else if (type === 'public' && grantTypes.includes('client_credentials')) {
    // RFC 6749 §4.4: only a client that can keep a secret may act on its own behalf.
    issues.push({ type: 'value_error', loc: ['body', 'grant_types'], msg: 'Value error, A public client cannot use client_credentials' })
  }
  if (scopes.some((s) => !isScope(s))) {
    issues.push({ type: 'value_error', loc: ['body', 'scopes'], msg: `Value error, Scopes are any of ${Object.keys(SCOPES).join(', ')}` })
  }
  return issues
}

/**
 * Registers a client (RFC 6749 §2): a confidential one gets a generated secret, returned here
 * once and stored only as its SHA-256; a public one has none. Defaults: confidential, the
 * grant types of DEFAULT_CLIENT_GRANT_TYPES, the everyday user scopes.
 */
export async function registerClient(registration: ClientRegistration, clients: ClientStore): Promise<RegisteredClient> {
  const type = registration.type ?? 'confidential'
  const grantTypes = [...new Set(registration.grantTypes ?? DEFAULT_CLIENT_GRANT_TYPES[type] ?? [])]
  const scopes = [...new Set(registration.scopes ?? DEFAULT_USER_SCOPES)]
  const issues = registrationIssues(registration, type, grantTypes, scopes)
  if (issues.length > 0) throw new ValidationFailed(issues)
  const secret = type === 'confidential' ? generateClientSecret() : null
  const client = await clients.create({
    id: generateClientId(), name: registration.name.trim(), type, secretHash: secret === null ? null : hashClientSecret(secret), grantTypes, scopes,
  })
  return { client, secret }
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
