import type { AccessTokens } from './access-token.js'
import { clientAllows } from './client.js'
import { InvalidClient, InvalidTarget, UnauthorizedClient } from './errors.js'
import type { ClientRecord } from './ports.js'
import { grantScopes, isScope, parseScope, type Scope } from './scopes.js'
import { tokenResponse, type TokenResponse } from './token-response.js'

export interface ClientCredentialsRequest {
  scope?: string | undefined
  /** RFC 8707: the resource servers the token is for, among those the client is registered for. */
  resources?: readonly string[] | undefined
  /** The authenticated client; null when the request named none. */
  client: ClientRecord | null
}

/** The token and its scopes, for the audit log. */
export interface ClientCredentialsResult {
  response: TokenResponse
  scopes: Scope[]
}

/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client acting on its own behalf.
 * The token's `sub` and `client_id` are the client's id (RFC 9068 §2.2), so it can never pass
 * for a user (the user lookup of every protected operation finds no one). No refresh token
 * (§4.4.3): the client can always ask again with its secret.
 */
export function clientCredentialsGrant(request: ClientCredentialsRequest, deps: { tokens: AccessTokens }): ClientCredentialsResult {
  const { client } = request
  if (client === null) throw new InvalidClient('Client authentication required')
  if (client.type !== 'confidential') throw new UnauthorizedClient('Only a confidential client may use client_credentials')
  if (!clientAllows(client, 'client_credentials')) throw new UnauthorizedClient()
  const scopes = grantScopes(parseScope(request.scope), client.scopes.filter(isScope)) // requested ∩ the client's
  const audience = request.resources ?? []
  if (audience.some((r) => !client.resources.includes(r))) throw new InvalidTarget()  // RFC 8707 §2
  const issued = deps.tokens.issue(client.id, scopes, { clientId: client.id, audience })
  return { response: tokenResponse(issued, scopes), scopes }
}
