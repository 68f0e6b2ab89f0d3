import type { FastifyReply, FastifyRequest, FastifySchema, RouteOptions, onRequestHookHandler } from 'fastify'
import {
  AuthError, authenticate, toErrorResponse, type AccessClaims, type AuthDeps, type UserRecord,
} from '../core/index.js'

/**
 * What a route declares in `config.auth`: `true` for any valid token, or the scopes it needs.
 * Scopes accumulate as FastAPI's `Security(..., scopes=[...])` do through dependencies: list the
 * route's own scopes first, then those its user dependency needs (`['items', 'me']`).
 */
export type RouteAuth = true | { scopes: readonly string[] }

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user on a route with `config.auth`; `null` elsewhere. */
    user: UserRecord | null
    /** The verified access-token claims on a route with `config.auth`; `null` elsewhere. */
    auth: AccessClaims | null
  }
  interface FastifyContextConfig {
    /** Declares the route protected; the guard and its OpenAPI `security` entry both come from this. */
    auth?: RouteAuth
  }
}

/** The scopes a declaration requires, or `null` when the route is not protected. */
export function requiredScopes(auth: unknown): string[] | null {
  if (auth === undefined || auth === false || auth === null) return null
  if (auth === true) return []
  if (typeof auth === 'object' && Array.isArray((auth as { scopes?: unknown }).scopes)) {
    const scopes = (auth as { scopes: unknown[] }).scopes
    if (scopes.every((s): s is string => typeof s === 'string' && s !== '' && !/\s/.test(s))) return [...scopes]
  }
  // A misspelt declaration must not leave a route silently open.
  throw new TypeError('config.auth must be true or { scopes: string[] } (scope names without spaces)')
}

/**
 * The user the route's guard authenticated, for handlers: non-null by construction on a route
 * with `config.auth`; calling it elsewhere is a programming mistake, hence a TypeError.
 */
export function currentUser(request: FastifyRequest): UserRecord {
  if (request.user === null) throw new TypeError('currentUser() called on a route without config.auth')
  return request.user
}

const GUARD = Symbol('tessera.guard')

/**
 * The onRequest guard for one route: it runs before the body is read, so an unauthenticated
 * client never costs a body parse. Auth errors are answered here, through core's mapping, so an
 * application without Tessera's error handler still gets Tessera's responses; anything else
 * (a store outage) goes on to the application's error handler.
 */
export function guardFor(scopes: readonly string[], deps: AuthDeps): onRequestHookHandler {
  const guard = async function tesseraGuard(request: FastifyRequest, reply: FastifyReply) {
    try {
      const { user, claims } = await authenticate(request.headers.authorization, scopes, deps)
      request.user = user
      request.auth = claims
    } catch (err) {
      if (!(err instanceof AuthError)) throw err
      const { status, headers, body } = toErrorResponse(err)
      return reply.code(status).headers(headers).send(body)
    }
  }
  return Object.assign(guard, { [GUARD]: true })
}

function isGuard(hook: unknown): boolean {
  return typeof hook === 'function' && GUARD in hook
}

/**
 * Applies a route's declaration to its options, in place (Fastify's onRoute contract): the guard
 * goes first among its onRequest hooks and `schema.security` lists the same scopes under each
 * scheme, one alternative per scheme (the password flow, the authorization code flow): a token
 * from either passes the same guard.
 */
export function protectRoute(route: RouteOptions, schemeNames: readonly string[], deps: AuthDeps): void {
  const scopes = requiredScopes(route.config?.auth)
  if (scopes === null) return
  const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
  // Idempotent: options that pass through onRoute twice (shared by a route's variants) keep one guard.
  if (existing.some(isGuard)) return
  route.onRequest = [guardFor(scopes, deps), ...existing]
  // `security` is an OpenAPI keyword Fastify passes through untouched; @fastify/swagger reads it.
  const security = schemeNames.map((name) => ({ [name]: [...scopes] }))
  const schema: FastifySchema & { security: Record<string, string[]>[] } = { ...route.schema, security }
  route.schema = schema
}
