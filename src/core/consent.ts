import type { Prompt } from './authorization-request.js'
import type { Clock } from './clock.js'
import type { ClientRecord, ConsentRecord, ConsentStore } from './ports.js'

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
