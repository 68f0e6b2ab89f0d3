import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { AuthorizationRequest } from './authorization-request.js'
import { authTimeOf, type SignedIn } from './browser-session.js'
import type { Clock } from './clock.js'
import type { AuthorizationCodeStore } from './ports.js'

/** RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED"; one minute is plenty for a redirect. */
export const AUTHORIZATION_CODE_SECONDS = 60

const CODE_BYTES = 32
const CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** SHA-256, unsalted, as refresh tokens: 256 random bits leave nothing to guess or precompute. */
export function hashAuthorizationCode(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex')
}

/** Whether `code` could be one of ours: anything else is refused without a lookup. */
export function hasAuthorizationCodeShape(code: string): boolean {
  return CODE_SHAPE.test(code)
}

/**
 * Mints the code for an authorization the user has allowed: 256 random bits, handed to the
 * client once through the browser, stored only as a hash and bound to everything the exchange
 * must match — the client, the exact redirect URI, the PKCE challenge — plus what the id_token
 * will say about the sign-in.
 */
export async function issueAuthorizationCode(
  request: AuthorizationRequest, signedIn: SignedIn, deps: { authorizationCodes: AuthorizationCodeStore; clock: Clock },
): Promise<string> {
  const code = randomBytes(CODE_BYTES).toString('base64url')
  const now = deps.clock.now()
  await deps.authorizationCodes.create({
    id: randomUUID(),
    codeHash: hashAuthorizationCode(code),
    clientId: request.client.id,
    userId: signedIn.user.id,
    redirectUri: request.redirectUri,
    scopes: [...request.scopes],
    codeChallenge: request.codeChallenge,
    nonce: request.nonce,
    audience: [...request.resources],
    authTime: authTimeOf(signedIn.session),
    amr: [...signedIn.session.amr],
    browserSessionId: signedIn.session.id,
    createdAt: now,
    expiresAt: now + AUTHORIZATION_CODE_SECONDS * 1000,
  })
  return code
}
