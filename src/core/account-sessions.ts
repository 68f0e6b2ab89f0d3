import { browserSessionLive, endBrowserSession, type BrowserSessionDeps, type SignedIn } from './browser-session.js'
import type { BrowserSessionRecord, RefreshTokenStore } from './ports.js'

/*
 * The account page's view of a user's browser sign-ins: which still count, and ending one or all
 * the others. Ending a sign-in ends what it began (its code-flow refresh families), exactly as
 * signing out of it would (endBrowserSession), so "sign out that laptop" leaves its apps nothing.
 */

export interface AccountSessionDeps extends BrowserSessionDeps {
  refreshTokens: Pick<RefreshTokenStore, 'revokeAllForBrowserSession'>
}

/** What ending sessions took with it: sign-ins and refresh tokens. */
export interface SessionsEnded {
  sessions: number
  refreshTokensRevoked: number
}

/**
 * The user's sign-ins that still count, newest first: not past their idle or absolute end and not
 * older than the account's tokens-not-before (a logout everywhere or password change ended those,
 * findSignedIn refuses them; they are not shown as if they were alive).
 */
export async function listBrowserSessions(signedIn: SignedIn, deps: AccountSessionDeps): Promise<BrowserSessionRecord[]> {
  const { user } = signedIn
  const now = deps.clock.now()
  const notBefore = user.tokensNotBefore === null ? 0 : user.tokensNotBefore * 1000
  const all = await deps.browserSessions.listForUser(user.id)
  return all.filter((session) => browserSessionLive(session, now, deps.policy) && session.createdAt >= notBefore)
}

/**
 * Ends one of the user's own sign-ins by its public id. Another user's id, or one that is gone,
 * ends nothing (null): the id alone proves nothing, the session it belongs to must be the caller's.
 */
export async function endOwnBrowserSession(signedIn: SignedIn, sessionId: string, deps: AccountSessionDeps): Promise<SessionsEnded | null> {
  const session = await deps.browserSessions.findById(sessionId)
  if (session === null || session.userId !== signedIn.user.id) return null
  return { sessions: 1, refreshTokensRevoked: await endBrowserSession(session, deps) }
}

/** "Sign out everywhere else": every sign-in of the user but this browser's. */
export async function endOtherBrowserSessions(signedIn: SignedIn, deps: AccountSessionDeps): Promise<SessionsEnded> {
  const others = (await deps.browserSessions.listForUser(signedIn.user.id)).filter((session) => session.id !== signedIn.session.id)
  let refreshTokensRevoked = 0
  for (const session of others) refreshTokensRevoked += await endBrowserSession(session, deps)
  return { sessions: others.length, refreshTokensRevoked }
}
