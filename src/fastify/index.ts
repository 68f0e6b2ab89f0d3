// `tessera/fastify`: declare security once on a route; the guard and the OpenAPI entry follow.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { AccessTokens, RevokedTokenStore, UserStore } from '../core/index.js'
import {
  DEFAULT_SECURITY_SCHEME, oauth2AuthorizationCodeSecuritySchemes, oauth2PasswordSecuritySchemes, securitySchemeNames,
  type AuthorizationCodeOptions, type OAuth2AuthorizationCodeScheme, type OAuth2PasswordScheme, type SecuritySchemeOptions,
} from './openapi.js'
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
  /**
   * Also list FastAPI's `OAuth2AuthorizationCodeBearer` in every protected route's `security`, as
   * an alternative to the password flow (hand the same options to withOAuth2PasswordSecurity to
   * declare it). Absent: the password scheme alone.
   */
  authorizationCode?: AuthorizationCodeOptions
}

/** What the plugin decorates the instance with: the schemes to hand to @fastify/swagger. */
export interface TesseraAuthInfo {
  securityScheme: string
  securitySchemes: Record<string, OAuth2PasswordScheme>
  /** The authorization code scheme's name, or null without `options.authorizationCode`. */
  authorizationCodeScheme: string | null
  /** Its declaration (`{}` without `options.authorizationCode`). */
  authorizationCodeSchemes: Record<string, OAuth2AuthorizationCodeScheme>
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
  const schemeOptions: SecuritySchemeOptions = {
    securityScheme,
    ...(options.tokenUrl === undefined ? {} : { tokenUrl: options.tokenUrl }),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.authorizationCode === undefined ? {} : { authorizationCode: options.authorizationCode }),
  }
  // Resolved (and checked: a TypeError for a bad authorizationUrl) at registration, not per route.
  const authorizationCodeSchemes = oauth2AuthorizationCodeSecuritySchemes(schemeOptions)
  const schemeNames = securitySchemeNames(schemeOptions)

  // Fastify's convention: declare the request shape with null, fill it in the hook.
  fastify.decorateRequest('user', null)
  fastify.decorateRequest('auth', null)
  fastify.decorate('tesseraAuth', {
    securityScheme,
    securitySchemes: oauth2PasswordSecuritySchemes(schemeOptions),
    authorizationCodeScheme: Object.keys(authorizationCodeSchemes)[0] ?? null,
    authorizationCodeSchemes,
  })
  // One hook reads each route's `config.auth` and derives both its guard and its `security`.
  fastify.addHook('onRoute', (route) => protectRoute(route, schemeNames, { tokens, users, revokedTokens: options.revokedTokens }))
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
  DEFAULT_SECURITY_SCHEME, DEFAULT_TOKEN_URL, type OAuth2AuthorizationCodeScheme, type AuthorizationCodeOptions,
  oauth2AuthorizationCodeSecuritySchemes, DEFAULT_AUTHORIZATION_CODE_SCHEME,
} from './openapi.js'
export { installErrorHandler, frameworkErrors, toClientError, ClientError } from './error-handler.js'
export { validationIssues, type AjvIssue } from './validation-issues.js'
