import {
  CLIENT_TYPES, CODE_FLOW_GRANT_TYPES, DEFAULT_CLIENT_GRANT_TYPES, GRANT_TYPES, generateClientId, generateClientSecret, hashClientSecret,
  isGrantType,
} from './client.js'
import { NotFound, ValidationFailed, type ValidationIssue } from './errors.js'
import type { ClientChanges, ClientRecord, ClientStore, ClientType, SigningAlgorithm } from './ports.js'
import { REDIRECT_URI_MAX_CHARS, redirectUriProblem } from './redirect-uri.js'
import { DEFAULT_USER_SCOPES, IDENTITY_SCOPES, SCOPES, isClientScope } from './scopes.js'
import { DEFAULT_ID_TOKEN_ALGORITHM, SIGNING_ALGORITHMS, isSigningAlgorithm } from './signing-keys.js'

/** Enough for every environment of one app; bounds what is stored, matched and shown. */
export const CLIENT_URI_LIST_MAX = 20

const NAME_MAX = 200
/** No control characters, no NUL, no lone surrogates: a name is shown in lists and logs. */
const NAME_PATTERN = /^[^\u0000-\u001F\u007F\uD800-\uDFFF]+$/u

/** What an administrator asks for. Unchecked: registerClient applies the defaults, then the rules. */
export interface ClientRegistration {
  name: string
  type?: ClientType
  grantTypes?: readonly string[]
  scopes?: readonly string[]
  redirectUris?: readonly string[]
  postLogoutRedirectUris?: readonly string[]
  firstParty?: boolean
  /** A string, so that an unknown algorithm is a 422 naming the field rather than a type error. */
  idTokenSignedResponseAlg?: string
  resources?: readonly string[]
}

/** What may change after registration: never the type, nor the secret (rotateClientSecret does that). */
export type ClientUpdate = Partial<Omit<ClientRegistration, 'type'>>

/** A new client and its secret, which exists in clear only here: shown once, stored as a hash. */
export interface RegisteredClient {
  client: ClientRecord
  secret: string | null
}

/** A client's fields by the names the admin API, the CLI's errors and the audit log use. */
const FIELDS = {
  name: 'name',
  grant_types: 'grantTypes',
  scopes: 'scopes',
  redirect_uris: 'redirectUris',
  post_logout_redirect_uris: 'postLogoutRedirectUris',
  first_party: 'firstParty',
  id_token_signed_response_alg: 'idTokenSignedResponseAlg',
  resources: 'resources',
} as const satisfies Record<string, keyof ClientSettings>

export type ClientField = keyof typeof FIELDS

export interface ClientUpdated {
  client: ClientRecord
  /** The fields whose value changed, in a fixed order: what the audit entry records. Empty: nothing was written. */
  changed: ClientField[]
}

/** Every field of a client as the rules see it: after defaults on registration, after merging on an update. */
interface ClientSettings {
  name: string
  type: ClientType
  grantTypes: string[]
  scopes: string[]
  redirectUris: string[]
  postLogoutRedirectUris: string[]
  firstParty: boolean
  idTokenSignedResponseAlg: string
  resources: string[]
}

/** Order kept, duplicates meaningless (a URI registered twice is still one URI). */
function unique(values: readonly string[]): string[] {
  return [...new Set(values)]
}

const valueError = (field: ClientField, msg: string, input?: unknown): ValidationIssue =>
  ({ type: 'value_error', loc: ['body', field], msg: `Value error, ${msg}`, ...(input === undefined ? {} : { input }) })

function nameIssues(name: string): ValidationIssue[] {
  const ok = name !== '' && [...name].length <= NAME_MAX && NAME_PATTERN.test(name)
  return ok ? [] : [valueError('name', `A client name is 1 to ${NAME_MAX} printable characters`)]
}

function grantIssues({ type, grantTypes, redirectUris }: ClientSettings): ValidationIssue[] {
  if (!(CLIENT_TYPES as readonly string[]).includes(type)) {
    return [{ type: 'enum', loc: ['body', 'type'], msg: "Input should be 'confidential' or 'public'", input: type }]
  }
  if (grantTypes.length === 0 || !grantTypes.every(isGrantType)) {
    return [valueError('grant_types', `Grant types are one or more of ${GRANT_TYPES.join(', ')}`)]
  }
  const issues: ValidationIssue[] = []
  // RFC 6749 §4.4: only a client that can keep a secret may act on its own behalf.
  if (type === 'public' && grantTypes.includes('client_credentials')) issues.push(valueError('grant_types', 'A public client cannot use client_credentials'))
  // RFC 6749 §3.1.2.2 and RFC 9700 §4.1.3: the code goes only to a redirect URI registered beforehand.
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    issues.push(valueError('redirect_uris', 'A client using authorization_code needs at least one redirect URI'))
  }
  return issues
}

function scopeIssues(scopes: readonly string[]): ValidationIssue[] {
  if (scopes.every(isClientScope)) return []
  return [valueError('scopes', `Scopes are any of ${[...Object.keys(SCOPES), ...Object.keys(IDENTITY_SCOPES)].join(', ')}`)]
}

/** Redirect and post-logout redirect URIs: the same registration rules (redirect-uri.ts), one issue per URI refused. */
function redirectIssues(field: 'redirect_uris' | 'post_logout_redirect_uris', uris: readonly string[], type: ClientType): ValidationIssue[] {
  const label = field === 'redirect_uris' ? 'redirect URI' : 'post-logout redirect URI'
  if (uris.length > CLIENT_URI_LIST_MAX) return [valueError(field, `At most ${CLIENT_URI_LIST_MAX} ${label}s`)]
  return uris.flatMap((uri) => {
    const problem = redirectUriProblem(uri, type)
    return problem === null ? [] : [valueError(field, `The ${label} ${JSON.stringify(uri)} ${problem}`, uri)]
  })
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. It becomes the tokens' `aud`. */
function resourceProblem(resource: string): string | null {
  if (typeof resource !== 'string' || resource.length === 0 || resource.length > REDIRECT_URI_MAX_CHARS) {
    return `must be 1 to ${REDIRECT_URI_MAX_CHARS} characters`
  }
  if (/[\u0000-\u0020\u007f]/.test(resource)) return 'must not contain spaces or control characters'
  if (resource.includes('#')) return 'must not contain a fragment (RFC 8707 §2)'
  return URL.canParse(resource) ? null : 'must be an absolute URI (RFC 8707 §2)'
}

function resourceIssues(resources: readonly string[]): ValidationIssue[] {
  if (resources.length > CLIENT_URI_LIST_MAX) return [valueError('resources', `At most ${CLIENT_URI_LIST_MAX} resources`)]
  return resources.flatMap((resource) => {
    const problem = resourceProblem(resource)
    return problem === null ? [] : [valueError('resources', `The resource ${JSON.stringify(resource)} ${problem}`, resource)]
  })
}

function algorithmIssues(algorithm: string): ValidationIssue[] {
  if (isSigningAlgorithm(algorithm)) return []
  const names = SIGNING_ALGORITHMS.map((a) => `'${a}'`)
  return [{ type: 'enum', loc: ['body', 'id_token_signed_response_alg'], msg: `Input should be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`, input: algorithm }]
}

/** The rules a client's fields obey, whether just registered or just changed. */
function settingsIssues(settings: ClientSettings): ValidationIssue[] {
  return [
    ...nameIssues(settings.name),
    ...grantIssues(settings),
    ...scopeIssues(settings.scopes),
    ...redirectIssues('redirect_uris', settings.redirectUris, settings.type),
    ...redirectIssues('post_logout_redirect_uris', settings.postLogoutRedirectUris, settings.type),
    ...resourceIssues(settings.resources),
    ...algorithmIssues(settings.idTokenSignedResponseAlg),
  ]
}

function assertValid(settings: ClientSettings): void {
  const issues = settingsIssues(settings)
  if (issues.length > 0) throw new ValidationFailed(issues)
}

/** The everyday user scopes; a client signing users in gets OpenID Connect's scopes too (OIDC Core §5.4). */
function defaultScopes(grantTypes: readonly string[]): string[] {
  return grantTypes.includes('authorization_code') ? [...DEFAULT_USER_SCOPES, ...Object.keys(IDENTITY_SCOPES)] : [...DEFAULT_USER_SCOPES]
}

function registrationSettings(registration: ClientRegistration): ClientSettings {
  const type = registration.type ?? 'confidential'
  const redirectUris = unique(registration.redirectUris ?? [])
  const grantTypes = unique(registration.grantTypes ?? (redirectUris.length > 0 ? CODE_FLOW_GRANT_TYPES : DEFAULT_CLIENT_GRANT_TYPES[type] ?? []))
  return {
    name: registration.name.trim(),
    type,
    grantTypes,
    scopes: unique(registration.scopes ?? defaultScopes(grantTypes)),
    redirectUris,
    postLogoutRedirectUris: unique(registration.postLogoutRedirectUris ?? []),
    firstParty: registration.firstParty ?? false,
    idTokenSignedResponseAlg: registration.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALGORITHM,
    resources: unique(registration.resources ?? []),
  }
}

/** Once assertValid passed, the algorithm is one of SIGNING_ALGORITHMS. */
function stored(settings: ClientSettings): Omit<ClientSettings, 'idTokenSignedResponseAlg'> & { idTokenSignedResponseAlg: SigningAlgorithm } {
  return { ...settings, idTokenSignedResponseAlg: settings.idTokenSignedResponseAlg as SigningAlgorithm }
}

/**
 * Registers a client (RFC 6749 §2): a confidential one gets a generated secret, returned here
 * once and stored only as its SHA-256; a public one has none. Defaults: confidential; with
 * redirect URIs the code flow (authorization_code, refresh_token), else DEFAULT_CLIENT_GRANT_TYPES;
 * the everyday user scopes, plus openid, profile, email and offline_access for the code flow;
 * id_tokens signed RS256 (OIDC Core §3.1.3.7); not first-party, so its users are asked for consent.
 */
export async function registerClient(registration: ClientRegistration, clients: ClientStore): Promise<RegisteredClient> {
  const settings = registrationSettings(registration)
  assertValid(settings)
  const secret = settings.type === 'confidential' ? generateClientSecret() : null
  const client = await clients.create({
    id: generateClientId(), ...stored(settings), secretHash: secret === null ? null : hashClientSecret(secret),
  })
  return { client, secret }
}

function mergedSettings(client: ClientRecord, update: ClientUpdate): ClientSettings {
  const list = (given: readonly string[] | undefined, current: string[]) => (given === undefined ? current : unique(given))
  return {
    name: update.name === undefined ? client.name : update.name.trim(),
    type: client.type,
    grantTypes: list(update.grantTypes, client.grantTypes),
    scopes: list(update.scopes, client.scopes),
    redirectUris: list(update.redirectUris, client.redirectUris),
    postLogoutRedirectUris: list(update.postLogoutRedirectUris, client.postLogoutRedirectUris),
    firstParty: update.firstParty ?? client.firstParty,
    idTokenSignedResponseAlg: update.idTokenSignedResponseAlg ?? client.idTokenSignedResponseAlg,
    resources: list(update.resources, client.resources),
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b
}

/**
 * Changes the given fields of a client (the admin API's PATCH, `tessera clients update`). The
 * merged client must pass registration's rules, so a change can never leave, say, a code-flow
 * client without a redirect URI. A list given replaces the list. Nothing actually different:
 * nothing written, `changed` empty.
 */
export async function updateClient(id: string, update: ClientUpdate, clients: ClientStore): Promise<ClientUpdated> {
  const existing = await clients.findById(id)
  if (existing === null) throw new NotFound('Client not found')
  const merged = mergedSettings(existing, update)
  assertValid(merged)
  const settings = stored(merged)
  const changed = (Object.keys(FIELDS) as ClientField[]).filter((field) => !sameValue(existing[FIELDS[field]], settings[FIELDS[field]]))
  if (changed.length === 0) return { client: existing, changed }
  const changes: ClientChanges = Object.fromEntries(changed.map((field) => [FIELDS[field], settings[FIELDS[field]]]))
  const client = await clients.update(id, changes)
  if (client === null) throw new NotFound('Client not found') // removed meanwhile
  return { client, changed }
}
