import type { UserRecord } from './user.js'

/** OpenID Connect Core §5.3.2's answer: `sub` always, the rest by granted scope. */
export interface UserInfo {
  sub: string
  name?: string
  preferred_username?: string
  updated_at?: number
  email?: string
  email_verified?: boolean
}

/**
 * The claims an access token with `scopes` may read (OIDC Core §5.4): `openid` → sub; `profile`
 * → name, preferred_username, updated_at; `email` → email, email_verified. A claim with no value
 * is left out rather than sent as null (§5.3.2). email_verified is true only once the owner used
 * the mailed link (or an administrator said so): an app must not treat the address as proven before.
 */
export function userInfoClaims(user: UserRecord, scopes: readonly string[]): UserInfo {
  const claims: UserInfo = { sub: user.id }
  if (scopes.includes('profile')) {
    if (user.fullName !== null && user.fullName !== '') claims.name = user.fullName
    claims.preferred_username = user.username
    claims.updated_at = Math.floor(user.updatedAt.getTime() / 1000)
  }
  if (scopes.includes('email') && user.email !== null && user.email !== '') {
    claims.email = user.email
    claims.email_verified = user.emailVerified
  }
  return claims
}
