import { Conflict } from './errors.js'
import type { ClientRecord, ClientStore, NewClient } from './ports.js'
import { IDENTITY_SCOPES, SCOPES } from './scopes.js'

/** The public client Swagger UI's Authorize dialog signs in with (authorization code + PKCE). */
export const DOCS_CLIENT_ID = 'tessera-docs'

/** The public client of the /demo/ example app, registered only in demo mode. */
export const DEMO_CLIENT_ID = 'demo-app'

/** Where @fastify/swagger-ui serves swagger-ui's oauth2-redirect.html, under the /docs prefix. */
export const DOCS_REDIRECT_PATH = '/docs/static/oauth2-redirect.html'

/** The demo app's page: its redirect URI and its post-logout redirect URI, exactly. */
export const DEMO_PATH = '/demo/'

/** What the demo app asks for: who the user is, a refresh token, and Tessera's everyday API scopes. */
export const DEMO_SCOPES = ['openid', 'profile', 'email', 'offline_access', 'me', 'items'] as const

/**
 * What a built-in client is, whatever the database held before: a public client (a browser app
 * keeps no secret, RFC 6749 §2.1) that signs in users with the code flow and refreshes, and is the
 * operator's own app, so its users are not asked for consent.
 */
type BuiltInClient = Omit<NewClient, 'createdAt'> & Required<Pick<NewClient, 'redirectUris' | 'postLogoutRedirectUris'>>

function builtInClient(id: string, name: string, scopes: readonly string[], redirectUris: string[], postLogoutRedirectUris: string[]): BuiltInClient {
  return {
    id, name, type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'], scopes: [...scopes],
    redirectUris, postLogoutRedirectUris, firstParty: true, idTokenSignedResponseAlg: 'RS256', resources: [],
  }
}

/** As the metadata documents build their URLs: `https://id.example/` and `https://id.example` are one issuer. */
function base(issuer: string): string {
  return issuer.replace(/\/+$/, '')
}

/**
 * Registers (or brings up to date) the client of the interactive docs: every scope Tessera knows,
 * redirected to Swagger UI's oauth2-redirect page on this issuer. Called at every start, so a
 * changed TESSERA_ISSUER (another port) moves the redirect URI with it.
 */
export function ensureDocsClient(clients: ClientStore, issuer: string): Promise<ClientRecord> {
  const scopes = [...Object.keys(SCOPES), ...Object.keys(IDENTITY_SCOPES)]
  return ensureClient(clients, builtInClient(DOCS_CLIENT_ID, 'Interactive API docs', scopes, [`${base(issuer)}${DOCS_REDIRECT_PATH}`], []))
}

/** Registers (or brings up to date) `demo-app`, whose redirect and post-logout URIs are the /demo/ page. */
export function ensureDemoClient(clients: ClientStore, issuer: string): Promise<ClientRecord> {
  const page = `${base(issuer)}${DEMO_PATH}`
  return ensureClient(clients, builtInClient(DEMO_CLIENT_ID, 'Tessera demo app', DEMO_SCOPES, [page], [page]))
}

/**
 * An idempotent upsert. Not registerClient: its rules refuse plain http to a non-loopback host,
 * which the demo's redirect is when the issuer is one (the operator chose that issuer). Two
 * instances starting at once both try to create; the loser's Conflict makes it update instead.
 * Each retry follows a concurrent change (a create, a removal); three in a row is not a race.
 */
async function ensureClient(clients: ClientStore, wanted: BuiltInClient, attempts = 3): Promise<ClientRecord> {
  if (attempts === 0) throw new Conflict('Client changed while it was being registered, retry')
  const existing = await clients.findById(wanted.id)
  if (existing === null) {
    try {
      return await clients.create(wanted)
    } catch (err) {
      if (!(err instanceof Conflict)) throw err
      return ensureClient(clients, wanted, attempts - 1) // another instance created it first
    }
  }
  if (existing.type !== wanted.type) {
    // The type cannot change in place (ClientChanges has no such field), and a built-in client
    // holding a secret is not the public client the docs and the demo are written for.
    await clients.delete(wanted.id)
    return ensureClient(clients, wanted, attempts - 1)
  }
  if (matches(existing, wanted)) return existing
  const { id, type: _type, ...changes } = wanted
  // Null: removed meanwhile (`tessera clients remove`), so create it again.
  return await clients.update(id, changes) ?? ensureClient(clients, wanted, attempts - 1)
}

function matches(existing: ClientRecord, wanted: BuiltInClient): boolean {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i])
  return existing.name === wanted.name && existing.secretHash === wanted.secretHash
    && same(existing.grantTypes, wanted.grantTypes) && same(existing.scopes, wanted.scopes)
    && same(existing.redirectUris, wanted.redirectUris) && same(existing.postLogoutRedirectUris, wanted.postLogoutRedirectUris)
    && existing.firstParty === wanted.firstParty && existing.idTokenSignedResponseAlg === wanted.idTokenSignedResponseAlg
    && same(existing.resources, wanted.resources ?? [])
}
