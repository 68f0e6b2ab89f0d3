import type { Prompt } from './authorization-request.js'
import type { Clock } from './clock.js'
import type { ClientRecord, ConsentRecord, ConsentStore, RefreshTokenStore } from './ports.js'

/**
 * Whether the user must be asked before `client` gets `scopes`. Consent is remembered per user +
 * client + scopes: asked once for a set, not again until the app asks for something new. A
 * first-party client (the operator's own app) is not asked at all. `prompt=consent` asks anyway
 * (OIDC Core §3.1.2.1), first-party or not.
 */
export function consentNeeded(
  client: Pick<ClientRecord, 'firstParty'>, scopes: readonly string[], remembered: Pick<ConsentRecord, 'scopes'> | null, prompt: readonly Prompt[],
): boolean {
  if (prompt.includes('consent')) return true
  if (client.firstParty) return false
  return !scopes.every((s) => remembered?.scopes.includes(s) === true)
}

/** The user allowed `scopes` on the consent page: remembered, added to what they allowed before. */
export async function rememberConsent(
  userId: string, clientId: string, scopes: readonly string[], deps: { consents: ConsentStore; clock: Clock },
): Promise<ConsentRecord> {
  return deps.consents.grant(userId, clientId, scopes, deps.clock.now())
}

/** What removing an app's access ended. */
export interface ConsentRevocation {
  /** False when the user had not allowed the app anything (nothing to remove). */
  revoked: boolean
  refreshTokensRevoked: number
}

/**
 * The user removes an app's access (the account page): the remembered consent goes, so the app
 * must ask again, and so does its offline access — every refresh family of the user with that
 * client, as Google's "remove access" does. Access tokens already issued run out on their own
 * (minutes): they carry no consent to look up.
 */
export async function revokeConsent(
  userId: string, clientId: string, deps: { consents: Pick<ConsentStore, 'revoke'>; refreshTokens: Pick<RefreshTokenStore, 'revokeAllForUserAndClient'>; clock: Clock },
): Promise<ConsentRevocation> {
  const revoked = await deps.consents.revoke(userId, clientId)
  const refreshTokensRevoked = await deps.refreshTokens.revokeAllForUserAndClient(userId, clientId, deps.clock.now())
  return { revoked, refreshTokensRevoked }
}
