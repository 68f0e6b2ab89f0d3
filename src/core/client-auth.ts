import { clientSecretMatches } from './client.js'
import { InvalidClient, InvalidRequest } from './errors.js'
import type { ClientRecord, ClientStore } from './ports.js'

/** RFC 6749 §2.3.1 and RFC 8414's names for how a client authenticated ("none": a public client names itself). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none'

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none']

/** What a request claims about its client, before any of it is checked. */
export interface ClientCredentials {
  clientId: string
  secret: string | null
  method: ClientAuthMethod
}

/**
 * The client fields of a token, revocation or introspection form. `unknown`: a form parser turns
 * a repeated field into an array, and these are read before any other use (see formField).
 */
export interface ClientForm {
  client_id?: unknown
  client_secret?: unknown
}

/** Longest client id or secret read from a request; ours are 22 and 43 characters. */
const MAX_CREDENTIAL_CHARS = 512

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic joins them with a colon. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    throw new InvalidClient('Malformed Basic credentials')
  }
}

/** `Authorization: Basic …` (scheme case-insensitive, RFC 7617 §2) → id and secret; null for any other header. */
function basicCredentials(header: string | undefined): { clientId: string; secret: string } | null {
  const match = header === undefined ? null : /^basic(?:\s+(.*))?$/is.exec(header.trim())
  if (match === null) return null
  const encoded = (match[1] ?? '').trim()
  if (encoded.length > MAX_CREDENTIAL_CHARS * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw new InvalidClient('Malformed Basic credentials')
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) throw new InvalidClient('Malformed Basic credentials')
  return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) }
}

/** A client field as sent once, as a string (RFC 6749 §3.2: parameters MUST NOT repeat), or absent. */
function formField(form: ClientForm, name: keyof ClientForm): string | undefined {
  const value = form[name]
  if (value === undefined || typeof value === 'string') return value
  throw new InvalidRequest(`Missing or invalid parameter: ${name}`)
}

/**
 * Reads the client's credentials from the Authorization header (client_secret_basic) or the form
 * (client_secret_post, or `client_id` alone for a public client). Null when the request names no
 * client. Basic with an empty id counts as no client: Swagger UI's Authorize dialog sends
 * `Basic Og==` (":") when its client fields are left empty. Using two methods at once is refused
 * (RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request").
 */
export function readClientCredentials(authorization: string | undefined, form: ClientForm): ClientCredentials | null {
  const clientId = formField(form, 'client_id')                       // an array never reaches a hash or a query
  const clientSecret = formField(form, 'client_secret')
  const basic = basicCredentials(authorization)
  if (basic !== null && basic.clientId !== '') {
    if (clientSecret !== undefined) throw new InvalidRequest('Use only one client authentication method')
    if (clientId !== undefined && clientId !== basic.clientId) throw new InvalidRequest('client_id does not match the Authorization header')
    // An empty secret is no secret, as an empty form field is absent: Swagger UI sends `id:` for a public client.
    if (basic.secret === '') return { clientId: basic.clientId, secret: null, method: 'none' }
    return { clientId: basic.clientId, secret: basic.secret, method: 'client_secret_basic' }
  }
  if (clientId === undefined) {
    if (clientSecret !== undefined) throw new InvalidRequest('client_secret was sent without client_id')
    return null
  }
  if (clientSecret === undefined) return { clientId, secret: null, method: 'none' }
  return { clientId, secret: clientSecret, method: 'client_secret_post' }
}

/**
 * Checks the credentials against the registered client: a confidential client must present its
 * secret, a public one must not present any. Every failure is the same 401 invalid_client, and
 * the secret is hashed and compared even for an unknown client, so the answer's time does not
 * tell a registered id from an unknown one.
 */
export async function authenticateClient(credentials: ClientCredentials | null, clients: Pick<ClientStore, 'findById'>): Promise<ClientRecord | null> {
  if (credentials === null) return null
  const { clientId, secret } = credentials
  const claimed = clientId.slice(0, MAX_CREDENTIAL_CHARS)
  if (clientId.length > MAX_CREDENTIAL_CHARS || (secret?.length ?? 0) > MAX_CREDENTIAL_CHARS) throw new InvalidClient(undefined, claimed)
  const client = await clients.findById(clientId)
  const matches = clientSecretMatches(secret ?? '', client?.secretHash ?? null)
  if (client === null) throw new InvalidClient(undefined, claimed)
  if (client.type === 'confidential' ? secret === null || !matches : secret !== null) throw new InvalidClient(undefined, client.id)
  return client
}
