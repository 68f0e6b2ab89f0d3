import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Clock } from './clock.js'
import type { BrowserSessionRecord, BrowserSessionStore, RefreshTokenStore, UserStore } from './ports.js'
import type { UserRecord } from './user.js'

/*
 * The browser's sign-in at Tessera: after the sign-in page, a cookie holds 256 random bits and
 * the database holds only their SHA-256 (like refresh tokens: nothing to guess, nothing to
 * precompute, and a leaked table signs nobody in). Every use re-checks the account, so a
 * disable, a deletion, a logout everywhere or a password change ends it at once.
 */

/** How long a browser session lives: unused (idle), and in all since the sign-in (absolute). */
export interface BrowserSessionPolicy {
  idleSeconds: number
  absoluteSeconds: number
}

export interface BrowserSessionDeps {
  browserSessions: BrowserSessionStore
  users: Pick<UserStore, 'findById'>
  policy: BrowserSessionPolicy
  clock: Clock
}

/** A signed-in browser: the stored session and its account, both current. */
export interface SignedIn {
  session: BrowserSessionRecord
  user: UserRecord
}

const TOKEN_BYTES = 32
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

export interface NewSignIn {
  userId: string
  /** RFC 8176 authentication methods: ['pwd'] for the password form. */
  amr: readonly string[]
  ip: string | null
  userAgent: string | null
  /**
   * The account's tokens-not-before (epoch seconds) as read after the sign-in's checks. It is
   * whole seconds, one past a logout everywhere or password change: a sign-in in that same
   * second must not count as older than it (findSignedIn would end it on its first use).
   */
  notBefore?: number | null
}

/** Starts a session for a user who just proved who they are; the token goes into the cookie, once. */
export async function startBrowserSession(signIn: NewSignIn, deps: Pick<BrowserSessionDeps, 'browserSessions' | 'policy' | 'clock'>): Promise<{ token: string; session: BrowserSessionRecord }> {
  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  const now = deps.clock.now()
  const createdAt = Math.max(now, (signIn.notBefore ?? 0) * 1000)           // as refresh tokens do (mintRefreshToken)
  const session = await deps.browserSessions.create({
    id: randomUUID(),
    tokenHash: hashSessionToken(token),
    userId: signIn.userId,
    authenticatedAt: now,
    amr: [...signIn.amr],
    createdAt,
    lastSeenAt: now,
    expiresAt: now + deps.policy.absoluteSeconds * 1000,
    ip: signIn.ip,
    userAgent: signIn.userAgent,
  })
  return { token, session }
}

/** Whether the session still counts at `now`: neither past its absolute end nor unused past the idle lifetime. */
export function browserSessionLive(session: BrowserSessionRecord, now: number, policy: BrowserSessionPolicy): boolean {
  return now < session.expiresAt && now < session.lastSeenAt + policy.idleSeconds * 1000
}

/**
 * The signed-in browser behind a cookie value, or null: no cookie or a malformed one, no such
 * session, expired, or an account that no longer may sign in (deleted, disabled, or its sessions
 * ended since by a logout everywhere or a password change: tokens-not-before). A dead session
 * found on the way is deleted.
 */
export async function findSignedIn(token: string | undefined, deps: BrowserSessionDeps): Promise<SignedIn | null> {
  if (token === undefined || !TOKEN_SHAPE.test(token)) return null          // never a lookup for junk
  const session = await deps.browserSessions.findByTokenHash(hashSessionToken(token))
  if (session === null) return null
  const user = await deps.users.findById(session.userId)
  const ended = user !== null && user.tokensNotBefore !== null && session.createdAt < user.tokensNotBefore * 1000
  if (!browserSessionLive(session, deps.clock.now(), deps.policy) || user === null || ended) {
    await deps.browserSessions.delete(session.id)
    return null
  }
  if (user.disabled) return null                                            // kept: an enable brings it back, as for tokens
  return { session, user }
}

/** OIDC's auth_time: when the user proved who they are, in epoch seconds. */
export function authTimeOf(session: Pick<BrowserSessionRecord, 'authenticatedAt'>): number {
  return Math.floor(session.authenticatedAt / 1000)
}

/**
 * Signs the browser out: the session row goes, and with it the refresh-token families the
 * code flow started from it (RP-initiated logout ends what the sign-in began; offline access
 * granted through another session is untouched). Returns how many refresh tokens were revoked.
 */
export async function endBrowserSession(
  session: Pick<BrowserSessionRecord, 'id'>, deps: { browserSessions: BrowserSessionStore; refreshTokens: Pick<RefreshTokenStore, 'revokeAllForBrowserSession'>; clock: Clock },
): Promise<number> {
  await deps.browserSessions.delete(session.id)
  return deps.refreshTokens.revokeAllForBrowserSession(session.id, deps.clock.now())
}
