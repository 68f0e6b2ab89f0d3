import { clientAllows } from './client.js'
import { AuthorizationRedirectError, InvalidAuthorizationRequest } from './errors.js'
import { CODE_CHALLENGE } from './pkce.js'
import type { ClientRecord, ClientStore } from './ports.js'
import { matchRedirectUri } from './redirect-uri.js'
import { DEFAULT_USER_SCOPES, isClientScope, parseScope, type ClientScope } from './scopes.js'

/*
 * GET /authorize's parameters (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3), judged in the
 * order the RFCs require: first who is asking and where the answer goes (errors are shown on a
 * page, never redirected: RFC 6749 §4.1.2.1), then everything else (errors go back to that
 * redirect URI).
 */

export type Prompt = 'none' | 'login' | 'consent'
const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent']

/** Where an authorization response goes: a registered client and one of its redirect URIs. */
export interface AuthorizationTarget {
  client: ClientRecord
  /** As the client sent it (it matched a registered URI); the code is bound to it. */
  redirectUri: string
  /** Echoed unchanged in every response (RFC 6749 §4.1.2), null when absent. */
  state: string | null
}

export interface AuthorizationRequest extends AuthorizationTarget {
  /** What the user is asked to allow: requested ∩ the client's (no scope: the everyday ones). */
  scopes: ClientScope[]
  nonce: string | null
  /** S256 (the only method accepted). */
  codeChallenge: string
  prompt: readonly Prompt[]
  /** Seconds since the user's last sign-in beyond which they must sign in again (OIDC Core §3.1.2.1). */
  maxAge: number | null
  loginHint: string | null
  /** RFC 8707 resource indicators: the access tokens' audience. */
  resources: string[]
  /** The parameters as received: the sign-in and consent forms carry them, and re-check them. */
  query: string
}

/** Parameters that may appear once at most (RFC 6749 §3.1); `resource` may repeat (RFC 8707 §2). */
const SINGLE = [
  'client_id', 'redirect_uri', 'response_type', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt',
  'max_age', 'login_hint', 'response_mode', 'request', 'request_uri', 'id_token_hint', 'display', 'ui_locales', 'claims', 'acr_values',
] as const

/** Bounds on what is echoed, stored and shown (openid-client's state and nonce are 43 characters). */
const MAX_CHARS = { client_id: 512, state: 2048, nonce: 512, login_hint: 256, resource: 2000 } as const
const MAX_RESOURCES = 10

/** The single value of `name`: undefined when absent, null when repeated (which no caller may do). */
function single(params: URLSearchParams, name: string): string | undefined | null {
  const values = params.getAll(name)
  if (values.length > 1) return null
  return values[0]
}

/**
 * Who asks and where the answer goes. Any problem here is answered on Tessera's own error page:
 * redirecting to an unverified URI would make Tessera an open redirector (RFC 9700 §4.11.2).
 * `redirect_uri` is required: with exact matching there is no guessing which one was meant.
 */
export async function resolveAuthorizationTarget(params: URLSearchParams, clients: Pick<ClientStore, 'findById'>): Promise<AuthorizationTarget> {
  const clientId = single(params, 'client_id')
  const redirectUri = single(params, 'redirect_uri')
  if (clientId === undefined || clientId === '') throw new InvalidAuthorizationRequest('The request names no client (client_id is missing)')
  if (clientId === null || clientId.length > MAX_CHARS.client_id) throw new InvalidAuthorizationRequest('The client_id parameter is invalid')
  const client = await clients.findById(clientId)
  if (client === null) throw new InvalidAuthorizationRequest('The application is not registered here (unknown client_id)')
  if (redirectUri === undefined || redirectUri === '') throw new InvalidAuthorizationRequest('The request has no redirect_uri')
  const matched = redirectUri === null ? null : matchRedirectUri(redirectUri, client)
  if (matched === null) throw new InvalidAuthorizationRequest('The redirect_uri is not registered for this application')
  const state = single(params, 'state')
  // A repeated or oversized state cannot be echoed faithfully; validateAuthorizationRequest refuses it.
  return { client, redirectUri: redirectUri as string, state: typeof state === 'string' && state.length <= MAX_CHARS.state ? state : null }
}

function refuse(code: ConstructorParameters<typeof AuthorizationRedirectError>[0], description: string): never {
  throw new AuthorizationRedirectError(code, description)
}

/**
 * Everything else, once the target is known. Each problem goes back to the client's redirect URI
 * with its RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6 code. PKCE with S256 is required of every
 * client, `plain` refused (RFC 9700 §2.1.1).
 */
export function validateAuthorizationRequest(params: URLSearchParams, target: AuthorizationTarget): AuthorizationRequest {
  const repeated = SINGLE.find((name) => params.getAll(name).length > 1)
  if (repeated !== undefined) refuse('invalid_request', `The ${repeated} parameter must not be repeated`)
  if (params.has('request')) refuse('request_not_supported', 'Request objects are not supported')
  if (params.has('request_uri')) refuse('request_uri_not_supported', 'request_uri is not supported')
  const state = params.get('state')
  if (state !== null && state.length > MAX_CHARS.state) refuse('invalid_request', 'The state parameter is too long')
  const { client } = target
  if (!clientAllows(client, 'authorization_code')) refuse('unauthorized_client', 'The application may not use the authorization code flow')
  const responseType = params.get('response_type')
  if (responseType === null || responseType === '') refuse('invalid_request', 'The response_type parameter is missing')
  if (responseType !== 'code') refuse('unsupported_response_type', 'Only response_type=code is supported')
  const responseMode = params.get('response_mode')
  if (responseMode !== null && responseMode !== 'query') refuse('invalid_request', 'Only response_mode=query is supported')
  return {
    ...target,
    scopes: requestedScopes(params.get('scope'), client),
    codeChallenge: codeChallenge(params),
    nonce: bounded(params, 'nonce', MAX_CHARS.nonce),
    prompt: prompts(params.get('prompt')),
    maxAge: maxAge(params.get('max_age')),
    loginHint: bounded(params, 'login_hint', MAX_CHARS.login_hint),
    resources: resources(params.getAll('resource'), client),
    query: params.toString(),
  }
}

/** Unknown scopes are refused; known ones the client is not registered for are left out, as at /token. */
function requestedScopes(raw: string | null, client: ClientRecord): ClientScope[] {
  const requested = parseScope(raw)
  if (requested.some((s) => !isClientScope(s))) refuse('invalid_scope', 'Unknown scope requested')
  const asked = requested.length === 0 ? DEFAULT_USER_SCOPES : requested as ClientScope[]
  return asked.filter((s) => client.scopes.includes(s))
}

function codeChallenge(params: URLSearchParams): string {
  const challenge = params.get('code_challenge')
  const method = params.get('code_challenge_method')
  if (challenge === null || challenge === '') refuse('invalid_request', 'code_challenge is required (PKCE with S256)')
  if (method !== 'S256') refuse('invalid_request', 'code_challenge_method must be S256')
  if (!CODE_CHALLENGE.test(challenge)) refuse('invalid_request', 'code_challenge is not a base64url SHA-256 value')
  return challenge
}

function bounded(params: URLSearchParams, name: string, max: number): string | null {
  const value = params.get(name)
  if (value === null || value === '') return null
  if (value.length > max) refuse('invalid_request', `The ${name} parameter is too long`)
  // Stored with the code and signed into the id_token: a NUL would not even reach PostgreSQL.
  if (/[\u0000-\u001f\u007f]/.test(value)) refuse('invalid_request', `The ${name} parameter must not contain control characters`)
  return value
}

/** OIDC Core §3.1.2.1: space-separated; `none` stands alone. */
function prompts(raw: string | null): Prompt[] {
  const values = parseScope(raw)
  if (values.some((p) => !(PROMPTS as readonly string[]).includes(p))) refuse('invalid_request', 'prompt must be none, login or consent')
  if (values.includes('none') && values.length > 1) refuse('invalid_request', 'prompt=none cannot be combined with other values')
  return values as Prompt[]
}

function maxAge(raw: string | null): number | null {
  if (raw === null || raw === '') return null
  if (!/^\d{1,9}$/.test(raw)) refuse('invalid_request', 'max_age must be a whole number of seconds')
  return Number(raw)
}

/** RFC 8707 §2: absolute URIs without a fragment, each one the client is registered for. */
function resources(values: string[], client: ClientRecord): string[] {
  const unique = [...new Set(values.filter((v) => v !== ''))]
  if (unique.length > MAX_RESOURCES) refuse('invalid_target', `At most ${MAX_RESOURCES} resources may be requested`)
  for (const resource of unique) {
    if (resource.length > MAX_CHARS.resource || !URL.canParse(resource) || resource.includes('#')) {
      refuse('invalid_target', 'A resource must be an absolute URI without a fragment')
    }
    if (!client.resources.includes(resource)) refuse('invalid_target', 'The requested resource is not allowed for this client')
  }
  return unique
}
