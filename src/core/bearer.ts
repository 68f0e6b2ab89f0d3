import { NotAuthenticated } from './errors.js'

/**
 * RFC 6750 §2.1: `Authorization: Bearer <token>`. The scheme is case-insensitive (RFC 9110 §11.1).
 * Anything unusable — no header, another scheme, an empty token — is "not authenticated", as
 * FastAPI's OAuth2PasswordBearer answers, not "invalid token": no credentials were presented.
 */
export function extractBearerToken(header: string | undefined): string {
  if (header === undefined) throw new NotAuthenticated()
  const match = /^[ \t]*bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  if (match === null) throw new NotAuthenticated()
  return match[1] as string
}
