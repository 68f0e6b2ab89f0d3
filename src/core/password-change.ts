import type { Authenticated } from './authenticate.js'
import { startBrowserSession, type BrowserSessionPolicy, type SignedIn } from './browser-session.js'
import { IncorrectPassword, ValidationFailed } from './errors.js'
import type { AccessTokens } from './access-token.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordAcceptable, assertPasswordWithinLimit } from './password-policy.js'
import type { BrowserSessionRecord, BrowserSessionStore, ClientStore, UserStore } from './ports.js'
import { endAllSessions, mayRefresh, startSession, type EndSessionsDeps, type SessionDeps } from './sessions.js'
import type { UserRecord } from './user.js'
import { tokenResponse, type TokenResponse } from './token-response.js'

export interface PasswordChangeRequest {
  current_password: string
  new_password: string
}

export interface PasswordChangeDeps extends SessionDeps {
  users: UserStore
  browserSessions: Pick<BrowserSessionStore, 'deleteAllForUser'>
  clients: Pick<ClientStore, 'findById'>
  hasher: PasswordHasher
  tokens: AccessTokens
  passwordMaxBytes: number
}

/**
 * Changes the caller's password and ends every other session: all refresh tokens are revoked,
 * every browser sign-in is deleted and every access token issued until now is rejected
 * (tokens-not-before). The caller's own
 * session goes on with the fresh pair returned here, with the scopes and client of the token it
 * called with — a JWT does not say which refresh token it came from, so "all but this one"
 * is "all, then a new one for this caller" (the approach of Keycloak's and Supabase's
 * "sign out other sessions").
 */
export async function changePassword(caller: Authenticated, request: PasswordChangeRequest, deps: PasswordChangeDeps): Promise<TokenResponse> {
  const { user, claims } = caller
  const notBefore = await replacePassword(user, request, deps)                                           // every session ends, this one too
  const scopes = user.scopes.filter((s) => claims.scope.includes(s))                                       // what the caller had
  const issued = deps.tokens.issue(user.id, scopes, { clientId: claims.client_id, notBefore })             // same client binding
  const refreshToken = await mayRefreshFor(claims.client_id, deps.clients)
    ? await startSession({ userId: user.id, clientId: claims.client_id ?? null, scopes }, notBefore, deps)
    : undefined
  return tokenResponse(issued, scopes, refreshToken)
}

/**
 * Both password changes' shared steps: the length and policy checks before any hashing, the
 * current password, a new one that differs, then every session of the user ends. Returns the
 * new tokens-not-before (epoch seconds) the caller's fresh session must start from.
 */
async function replacePassword(
  user: UserRecord, request: PasswordChangeRequest, deps: Pick<PasswordChangeDeps, 'users' | 'hasher' | 'passwordMaxBytes'> & EndSessionsDeps,
): Promise<number> {
  assertPasswordWithinLimit(request.current_password, deps.passwordMaxBytes, ['body', 'current_password']) // before any hashing
  assertPasswordAcceptable(request.new_password, deps.passwordMaxBytes, ['body', 'new_password'])          // registration's policy
  if (!(await deps.hasher.verify(request.current_password, user.passwordHash)).valid) throw new IncorrectPassword()
  if (request.new_password === request.current_password) throw samePassword()
  await deps.users.updatePasswordHash(user.id, await deps.hasher.hash(request.new_password))             // argon2id
  return endAllSessions(user.id, deps)
}

export interface BrowserPasswordChangeDeps extends SessionDeps {
  users: UserStore
  browserSessions: BrowserSessionStore
  hasher: PasswordHasher
  passwordMaxBytes: number
  policy: BrowserSessionPolicy
}

/** Where the browser that changed the password goes on: its replacement sign-in (the token goes into the cookie, once). */
export interface BrowserPasswordChanged {
  token: string
  session: BrowserSessionRecord
}

/**
 * The account page's password change: the same rules and the same ending of every session as
 * changePassword, and the browser that made the change stays signed in through a new sign-in of
 * its own (the old one ended with the rest; a new cookie also means a session id seen before the
 * change is worth nothing after it). The new sign-in counts from the new tokens-not-before, a
 * whole second, so findSignedIn takes it as made after the change.
 */
export async function changePasswordInBrowser(
  signedIn: SignedIn, request: PasswordChangeRequest, from: { ip: string | null; userAgent: string | null }, deps: BrowserPasswordChangeDeps,
): Promise<BrowserPasswordChanged> {
  const { user, session } = signedIn
  const notBefore = await replacePassword(user, request, deps)                                           // every session ends, this one too
  const startsAt = { now: () => Math.max(deps.clock.now(), notBefore * 1000) }
  return startBrowserSession({ userId: user.id, amr: session.amr, ...from }, { browserSessions: deps.browserSessions, policy: deps.policy, clock: startsAt })
}

/** Whether the caller's client (none, or a registered one) may hold a refresh token; a removed client may not. */
async function mayRefreshFor(clientId: string | undefined, clients: Pick<ClientStore, 'findById'>): Promise<boolean> {
  if (clientId === undefined) return true
  const client = await clients.findById(clientId)
  return client !== null && mayRefresh(client)
}

/** Supabase's `same_password` rule: a "change" to the same password would end sessions for nothing. */
function samePassword(): ValidationFailed {
  return new ValidationFailed([{ type: 'value_error', loc: ['body', 'new_password'], msg: 'Value error, New password must differ from the current password' }])
}
