import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  CLIENT_AUTH_METHODS, CODE_CHALLENGE_METHODS, GRANT_TYPES, IDENTITY_SCOPES, MFA_OTP_GRANT_TYPE, SCOPES, SIGNING_ALGORITHMS,
} from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { ServerMetadata } from '../session-schemas.js'
import { AUTHORIZE_PATH } from './authorize.js'
import { END_SESSION_PATH } from './end-session.js'
import { JWKS_PATH } from './jwks.js'
import { USERINFO_PATH } from './userinfo.js'

export const METADATA_PATH = '/.well-known/oauth-authorization-server'
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration'

/** It changes only with the configuration (a restart): caches may keep it an hour. */
const METADATA_CACHE = 'public, max-age=3600'

/** OIDC Core §5.1: the claims /userinfo and id_tokens may carry. */
const CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'at_hash', 'amr', 'sid', 'name', 'preferred_username', 'updated_at', 'email', 'email_verified']

/**
 * One document, served as RFC 8414 authorization-server metadata and as OpenID Connect Discovery
 * 1.0's openid-configuration: where Tessera's endpoints are and what they accept, so an OAuth or
 * OIDC library configures itself from the issuer alone. URLs are absolute, built from
 * TESSERA_ISSUER, which is also every token's `iss` (RFC 8414 §3.3, Discovery §4.3: they must match).
 */
export const metadataRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { issuer } = deps.config
  const base = issuer.replace(/\/+$/, '')
  const metadata = {
    issuer,
    authorization_endpoint: `${base}${AUTHORIZE_PATH}`,
    token_endpoint: `${base}/token`,
    userinfo_endpoint: `${base}${USERINFO_PATH}`,
    jwks_uri: `${base}${JWKS_PATH}`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    end_session_endpoint: `${base}${END_SESSION_PATH}`,
    scopes_supported: [...Object.keys(IDENTITY_SCOPES), ...Object.keys(SCOPES)],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES, MFA_OTP_GRANT_TYPE],           // the last: the password grant's second step (issue 10)
    subject_types_supported: ['public'],
    // RS256 first: OIDC Core §15.1 requires it, and it is every client's default.
    id_token_signing_alg_values_supported: ['RS256', ...SIGNING_ALGORITHMS.filter((a) => a !== 'RS256')],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // Introspection answers authenticated confidential clients only (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((m) => m !== 'none'),
    // PKCE with S256 is required of every client (RFC 9700 §2.1.1): `plain` is not offered.
    code_challenge_methods_supported: [...CODE_CHALLENGE_METHODS],
    claims_supported: CLAIMS,
    prompt_values_supported: ['none', 'login', 'consent'],
    // RFC 9207: every authorization response names its issuer, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  }

  for (const [path, summary, description] of [
    [METADATA_PATH, 'Authorization Server Metadata', 'RFC 8414.'],
    [OPENID_CONFIGURATION_PATH, 'OpenID Provider Configuration', 'OpenID Connect Discovery 1.0 (the same document as RFC 8414\'s).'],
  ] as const) {
    app.get(path, { schema: { summary, description, response: { 200: ServerMetadata } } },
      async (_request, reply) => reply.header('cache-control', METADATA_CACHE).send(metadata))
  }
}
