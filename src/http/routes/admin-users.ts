import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  deleteUser, findUserOrNotFound, registerUser, resetPassword, resetSecondFactor, systemClock, updateUser, type AdminDeps, type AuditEventName,
  type UserRecord,
} from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import {
  AdminUser, AdminUserCreate, AdminUserUpdate, PAGE_LIMIT_DEFAULT, PasswordReset, UserIdParams, UserListQuery, UserPage,
} from '../admin-schemas.js'
import { recordAudit, type AuditFields } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { coerceIntegerQuery } from '../query-integers.js'
import { ErrorBody, HTTPValidationError } from '../schemas.js'

/** Reading accounts needs `users:read`; changing them `users:write` (granted only when asked for by name). */
const READ = { scopes: ['users:read'] } as const
const WRITE = { scopes: ['users:write'] } as const

export function toAdminUser(user: UserRecord) {
  return {
    id: user.id, username: user.username, email: user.email, email_verified: user.emailVerified, full_name: user.fullName, disabled: user.disabled,
    scopes: user.scopes, created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(),
  }
}

/** Who acted, for an admin.* audit entry: the administrator, and the client their token was issued to. */
export function adminActor(request: FastifyRequest): Pick<AuditFields, 'actorId' | 'clientId'> {
  return { actorId: currentUser(request).id, clientId: request.auth?.client_id ?? null }
}

const NOT_FOUND = { 404: ErrorBody }

/**
 * Every /admin answer describes accounts, clients or who did what: never cached by a browser or a
 * proxy (RFC 9111 §5.2.2.5). An onRequest hook, so refusals (401, 403, 422) carry it too.
 */
export async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
}

/** /admin/users: list and search, read, create, change, reset a password, delete. */
export const adminUserRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, hasher, config } = deps
  const clock = deps.clock ?? systemClock
  const admin: AdminDeps = { users: store.users, refreshTokens: store.refreshTokens, browserSessions: store.browserSessions, hasher, passwordMaxBytes: config.passwordMaxBytes, clock }
  const audit = (request: FastifyRequest, event: AuditEventName, user: UserRecord, details: AuditFields['details'] = {}) =>
    recordAudit(store.audit, request, event, { ...adminActor(request), userId: user.id, username: user.username, details }, clock.now())

  app.addHook('onRequest', noStore)
  app.addHook('preValidation', coerceIntegerQuery)

  app.get('/admin/users', {
    schema: {
      summary: 'List Users', description: 'Pages through accounts, optionally searching username, email and full name.',
      querystring: UserListQuery, response: { 200: UserPage, 422: HTTPValidationError },
    },
    config: { auth: READ },
  }, async (request) => {
    const { q, limit = PAGE_LIMIT_DEFAULT, offset = 0 } = request.query
    const page = await store.users.search({ query: q, limit, offset })
    return { users: page.users.map(toAdminUser), total: page.total, limit, offset }
  })

  app.get('/admin/users/:id', {
    schema: { summary: 'Read User', params: UserIdParams, response: { 200: AdminUser, ...NOT_FOUND, 422: HTTPValidationError } },
    config: { auth: READ },
  }, async (request) => toAdminUser(await findUserOrNotFound(store.users, request.params.id)))

  app.post('/admin/users', {
    schema: {
      summary: 'Create User', description: 'Registration\'s rules, whether or not open registration is on; may set scopes and disabled.',
      body: AdminUserCreate, response: { 201: AdminUser, 422: HTTPValidationError },
    },
    config: { auth: WRITE },
  }, async (request, reply) => {
    const { scopes, disabled, email_verified: emailVerified, ...registration } = request.body
    const user = await registerUser(registration, admin, {
      ...(scopes === undefined ? {} : { scopes: [...new Set(scopes)] }), ...(disabled === undefined ? {} : { disabled }),
      ...(emailVerified === undefined ? {} : { emailVerified }),
    })
    await audit(request, 'admin.user_created', user, { scopes: user.scopes, disabled: user.disabled })
    return reply.code(201).send(toAdminUser(user))
  })

  app.patch('/admin/users/:id', {
    schema: {
      summary: 'Update User', description: 'Changes only the fields given. Disabling, or taking a scope away, ends the user\'s sessions.',
      params: UserIdParams, body: AdminUserUpdate, response: { 200: AdminUser, 403: ErrorBody, ...NOT_FOUND, 422: HTTPValidationError },
    },
    config: { auth: WRITE },
  }, async (request) => {
    const { user, changed, sessionsEnded } = await updateUser(currentUser(request), request.params.id, request.body, admin)
    if (changed.length > 0) {
      const { disabled, scopes } = request.body
      await audit(request, 'admin.user_updated', user, {
        changed, sessions_ended: sessionsEnded, ...(disabled === undefined ? {} : { disabled }), ...(scopes === undefined ? {} : { scopes: user.scopes }),
      })
    }
    return toAdminUser(user)
  })

  app.post('/admin/users/:id/password', {
    schema: {
      summary: 'Reset User Password', description: 'Sets a new password (registration\'s policy) and ends every session of the user.',
      params: UserIdParams, body: PasswordReset, response: { 204: Type.Null({ description: 'Password reset' }), ...NOT_FOUND, 422: HTTPValidationError },
    },
    config: { auth: WRITE },
  }, async (request, reply) => {
    const user = await resetPassword(request.params.id, request.body.new_password, admin)
    await audit(request, 'admin.password_reset', user, { sessions_ended: true })
    return reply.code(204).send(null)
  })

  app.delete('/admin/users/:id/mfa', {
    schema: {
      summary: 'Reset User Second Factor',
      description: 'Removes the user\'s authenticator app (TOTP) and recovery codes, e.g. after a lost phone: the next sign-in asks for '
        + 'the password only, and the user can set up a new app on the account page. 204 whether or not one was set up (audited as admin.mfa_reset).',
      params: UserIdParams, response: { 204: Type.Null({ description: 'No second factor any more' }), ...NOT_FOUND, 422: HTTPValidationError },
    },
    config: { auth: WRITE },
  }, async (request, reply) => {
    const { user, removed } = await resetSecondFactor(request.params.id, { users: store.users, totp: store.totp })
    await audit(request, 'admin.mfa_reset', user, { removed })
    return reply.code(204).send(null)
  })

  app.delete('/admin/users/:id', {
    schema: {
      summary: 'Delete User', description: 'Deletes the account with its items and sessions.',
      params: UserIdParams, response: { 204: Type.Null({ description: 'Deleted' }), 403: ErrorBody, ...NOT_FOUND, 422: HTTPValidationError },
    },
    config: { auth: WRITE },
  }, async (request, reply) => {
    const user = await deleteUser(currentUser(request), request.params.id, admin)
    await audit(request, 'admin.user_deleted', user)
    return reply.code(204).send(null)
  })
}
