import { InvalidAuthorizationRequest } from './errors.js'
import type { IdTokenHint, IdTokens } from './id-token.js'
import type { ClientRecord, ClientStore } from './ports.js'
import { matchPostLogoutRedirectUri } from './redirect-uri.js'

/*
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an app sends the browser to the
 * end_session_endpoint to sign the user out of Tessera too. Where the browser goes afterwards is
 * checked as strictly as a redirect_uri: exactly one of the client's registered
 * post_logout_redirect_uris, or Tessera's own signed-out page (§3: never an unregistered URI).
 */

export interface EndSessionParameters {
  idTokenHint?: string | undefined
  postLogoutRedirectUri?: string | undefined
  state?: string | undefined
  clientId?: string | undefined
}

/** A checked logout request. */
export interface EndSessionRequest {
  /** The id_token Tessera issued to the app, when one was sent and is genuine. */
  hint: IdTokenHint | null
  /** The app asking: from client_id, or the hint's audience. */
  client: ClientRecord | null
  /** Where to send the browser afterwards (already matched), or null for the signed-out page. */
  redirectUri: string | null
  state: string | null
}

const MAX_STATE_CHARS = 2048

/**
 * Checks the parameters (§2). Problems are shown on Tessera's error page and never redirected:
 * an id_token_hint Tessera did not issue; a client_id that disagrees with the hint's audience; a
 * post_logout_redirect_uri without a client to check it against, or not registered by it.
 */
export async function resolveEndSession(parameters: EndSessionParameters, deps: { idTokens: IdTokens; clients: Pick<ClientStore, 'findById'> }): Promise<EndSessionRequest> {
  const { idTokenHint, postLogoutRedirectUri, state, clientId } = parameters
  const hint = idTokenHint === undefined || idTokenHint === '' ? null : deps.idTokens.verifyHint(idTokenHint)
  if (idTokenHint !== undefined && idTokenHint !== '' && hint === null) throw new InvalidAuthorizationRequest('The id_token_hint was not issued by this server')
  if (clientId !== undefined && hint !== null && !hint.aud.includes(clientId)) throw new InvalidAuthorizationRequest('The client_id does not match the id_token_hint')
  const named = clientId ?? hint?.aud[0]
  const client = named === undefined || named.length > 512 ? null : await deps.clients.findById(named)
  if (clientId !== undefined && client === null) throw new InvalidAuthorizationRequest('The application is not registered here (unknown client_id)')
  if (state !== undefined && state.length > MAX_STATE_CHARS) throw new InvalidAuthorizationRequest('The state parameter is too long')
  if (postLogoutRedirectUri === undefined || postLogoutRedirectUri === '') return { hint, client, redirectUri: null, state: state ?? null }
  if (client === null) throw new InvalidAuthorizationRequest('A post_logout_redirect_uri needs an id_token_hint or a client_id')
  if (!matchPostLogoutRedirectUri(postLogoutRedirectUri, client)) throw new InvalidAuthorizationRequest('The post_logout_redirect_uri is not registered for this application')
  return { hint, client, redirectUri: postLogoutRedirectUri, state: state ?? null }
}

/** §3: the registered URI as it is, with `state` added when the app sent one. */
export function postLogoutRedirectUrl(request: Pick<EndSessionRequest, 'redirectUri' | 'state'>): string | null {
  if (request.redirectUri === null) return null
  if (request.state === null) return request.redirectUri
  const separator = request.redirectUri.includes('?') ? '&' : '?'
  return `${request.redirectUri}${separator}${new URLSearchParams({ state: request.state }).toString()}`
}
