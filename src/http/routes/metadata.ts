import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CLIENT_AUTH_METHODS, GRANT_TYPES, SCOPES } from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { ServerMetadata } from '../session-schemas.js'
import { JWKS_PATH } from './jwks.js'

export const METADATA_PATH = '/.well-known/oauth-authorization-server'

/** It changes only with the configuration (a restart): caches may keep it an hour. */
const METADATA_CACHE = 'public, max-age=3600'

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414): where Tessera's endpoints are and what
 * they accept, so an OAuth library configures itself from the issuer alone. The URLs are absolute,
 * built from TESSERA_ISSUER, which is also every token's `iss` (§3.3: they must match).
 */
export const metadataRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { issuer } = deps.config
  const base = issuer.replace(/\/+$/, '')
  const metadata = {
    issuer,
    token_endpoint: `${base}/token`,
    revocation_endpoint: `${base}/revoke`,
    introspection_endpoint: `${base}/introspect`,
    jwks_uri: `${base}${JWKS_PATH}`,
    grant_types_supported: [...GRANT_TYPES],
    scopes_supported: Object.keys(SCOPES),
    // No authorization endpoint: no response types (RFC 8414 §2 requires the member).
    response_types_supported: [],
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    // Introspection answers authenticated confidential clients only (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS.filter((m) => m !== 'none'),
  }

  app.get(METADATA_PATH, {
    schema: { summary: 'Authorization Server Metadata', description: 'RFC 8414.', response: { 200: ServerMetadata } },
  }, async (_request, reply) => reply.header('cache-control', METADATA_CACHE).send(metadata))
}
