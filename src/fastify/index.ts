// `tessera/fastify`: declare security once on a route; the guard and the OpenAPI entry follow.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { AccessTokens, RevokedTokenStore, UserStore } from '../core/index.js'
import { DEFAULT_SECURITY_SCHEME, DEFAULT_TOKEN_URL, oauth2PasswordSecuritySchemes, type OAuth2PasswordScheme } from './openapi.js'
import { protectRoute } from './route-auth.js'

export interface TesseraAuthOptions {
  tokens: AccessTokens
  users: UserStore
  /** Access tokens revoked by `jti` (RFC 7009): checked on every request when given. */
  revokedTokens?: Pick<RevokedTokenStore, 'isRevoked'>
  /** Name of the OpenAPI security scheme routes list (default `OAuth2PasswordBearer`, as FastAPI). */
  securityScheme?: string
  /** The token endpoint the scheme points the docs at (default `token`, as FastAPI's tutorial). */
  tokenUrl?: string
  /** Scope descriptions for the scheme (default: Tessera's). */
  scopes?: Record<string, string>
}

/** What the plugin decorates the instance with: the scheme to hand to @fastify/swagger. */
export interface TesseraAuthInfo {
  securityScheme: string
  securitySchemes: Record<string, OAuth2PasswordScheme>
}

declare module 'fastify' {
  interface FastifyInstance {
    tesseraAuth: TesseraAuthInfo
  }
}

async function tesseraAuthPlugin(fastify: FastifyInstance, options: TesseraAuthOptions): Promise<void> {
  const { tokens, users } = options
  if (typeof tokens?.verify !== 'function' || typeof users?.findById !== 'function') {
    throw new TypeError('tesseraAuth: options.tokens (AccessTokens) and options.users (UserStore) are required')
  }
  const securityScheme = options.securityScheme ?? DEFAULT_SECURITY_SCHEME
  const tokenUrl = options.tokenUrl ?? DEFAULT_TOKEN_URL

  // Fastify's convention: declare the request shape with null, fill it in the hook.
  fastify.decorateRequest('user', null)
  fastify.decorateRequest('auth', null)
  fastify.decorate('tesseraAuth', {
    securityScheme,
    securitySchemes: oauth2PasswordSecuritySchemes({ securityScheme, tokenUrl, ...(options.scopes ? { scopes: options.scopes } : {}) }),
  })
  // One hook reads each route's `config.auth` and derives both its guard and its `security`.
  fastify.addHook('onRoute', (route) => protectRoute(route, securityScheme, { tokens, users, revokedTokens: options.revokedTokens }))
}

/**
 * Register before the routes it should protect (onRoute hooks see only later routes). Routes then
 * declare `config: { auth: { scopes: ['me'] } }` or `config: { auth: true }`.
 */
export const tesseraAuth = fp(tesseraAuthPlugin, { name: 'tessera-auth', fastify: '5.x' })
export default tesseraAuth

export { type RouteAuth, requiredScopes, currentUser } from './route-auth.js'
export {
  type OAuth2PasswordScheme, type SecuritySchemeOptions, oauth2PasswordSecuritySchemes, withOAuth2PasswordSecurity,
  DEFAULT_SECURITY_SCHEME, DEFAULT_TOKEN_URL,
} from './openapi.js'
export { installErrorHandler, frameworkErrors, toClientError, ClientError } from './error-handler.js'
export { validationIssues, type AjvIssue } from './validation-issues.js'
