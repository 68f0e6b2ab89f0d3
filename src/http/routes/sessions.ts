import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  IncorrectPassword, changePassword, endAllSessions, systemClock, throttledLogin, type Authenticated, type TokenResponse as GrantResponse,
} from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import { recordAudit } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { loginLimiterFor } from '../limits.js'
import { ErrorBody, HTTPValidationError, TokenResponse } from '../schemas.js'
import { sessionDeps } from '../session-deps.js'
import { PasswordChange } from '../session-schemas.js'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** POST /logout (every session of the caller ends) and POST /users/me/password. */
export const sessionRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, hasher, tokens, config } = deps
  const clock = deps.clock ?? systemClock
  const sessions = sessionDeps(deps)
  const loginLimiter = loginLimiterFor(deps, app.log)

  app.post('/logout', {
    schema: {
      summary: 'Logout',
      description: 'Ends every session of the current user: all refresh tokens are revoked and every access token issued until now '
        + 'is refused from now on, this one included. 204, as Supabase Auth\'s /logout.',
      response: { 204: Type.Null({ description: 'Logged out everywhere' }) },
    },
    config: { auth: true },
  }, async (request, reply) => {
    const user = currentUser(request)
    await endAllSessions(user.id, { users: store.users, refreshTokens: store.refreshTokens, browserSessions: store.browserSessions, clock })
    deps.metrics.tokenRevoked()
    await recordAudit(store.audit, request, 'logout', { userId: user.id, username: user.username, clientId: request.auth?.client_id ?? null }, clock.now())
    return reply.code(204).send(null)
  })

  app.post('/users/me/password', {
    schema: {
      summary: 'Change Password',
      description: 'Checks `current_password` (wrong: 400 "Incorrect password"), stores `new_password`, ends every other session '
        + '(refresh tokens revoked, older access tokens refused) and returns a fresh token pair for this one. '
        + 'Wrong current passwords count against the login limits of this username and address (429 + Retry-After).',
      body: PasswordChange,
      response: { 200: TokenResponse, 400: ErrorBody, 422: HTTPValidationError, 429: ErrorBody },
    },
    config: { auth: { scopes: ['me'] } },
  }, async (request, reply) => {
    const caller = authenticated(request)
    const who = { userId: caller.user.id, username: caller.user.username, clientId: caller.claims.client_id ?? null }
    let response: GrantResponse
    try {
      // A stolen token must not buy unlimited guesses at the password: the login limits apply, before any hashing.
      response = await throttledLogin(loginLimiter, { username: caller.user.username, ip: request.ip }, () => changePassword(caller, request.body, {
        ...sessions, users: store.users, browserSessions: store.browserSessions, clients: store.clients, hasher, tokens, passwordMaxBytes: config.passwordMaxBytes,
      }))
    } catch (err) {
      if (err instanceof IncorrectPassword) {
        await recordAudit(store.audit, request, 'password.change_failed', { ...who, details: { reason: 'incorrect_password' } }, clock.now())
      }
      throw err
    }
    await recordAudit(store.audit, request, 'password.changed', who, clock.now())
    return reply.headers(NO_STORE).send(response)
  })
}

/** The user and claims the route's guard verified (non-null on a route with config.auth). */
function authenticated(request: FastifyRequest): Authenticated {
  const user = currentUser(request)
  if (request.auth === null) throw new TypeError('authenticated() called on a route without config.auth')
  return { user, claims: request.auth }
}
