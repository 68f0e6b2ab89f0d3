import type { IssuedAccessToken } from './access-token.js'
import { formatScope } from './scopes.js'

/** RFC 6749 §5.1, plus the tutorial's `token_type: "bearer"` spelling. */
export interface TokenResponse {
  access_token: string
  token_type: 'bearer'
  expires_in: number
  scope: string
  /** RFC 6749 §6: present when the grant may be continued without the user's password. */
  refresh_token?: string
  /** OpenID Connect Core §3.1.3.3: present when `openid` was granted. */
  id_token?: string
}

/** The answer of every grant: the access token, its scopes, and the refresh and id tokens if issued. */
export function tokenResponse(issued: IssuedAccessToken, scopes: readonly string[], refreshToken?: string, idToken?: string): TokenResponse {
  return {
    access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresIn, scope: formatScope(scopes),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    ...(idToken === undefined ? {} : { id_token: idToken }),
  }
}
