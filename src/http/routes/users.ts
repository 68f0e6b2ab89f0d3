import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Forbidden, assertEmailForPolicy, registerUser, sendEmailVerification, systemClock, toPublicUser } from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import { recordAudit } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { registrationLimiterFor } from '../limits.js'
import { emailVerificationDeps } from '../mail-link-deps.js'
import { HTTPValidationError, PublicUser, Registration } from '../schemas.js'

/** POST /users (registration) and GET /users/me (FastAPI's `read_users_me`). */
export const userRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, hasher, config } = deps
  const registrations = registrationLimiterFor(deps, app.log)
  const verification = emailVerificationDeps(deps)

  app.post('/users', {
    schema: {
      summary: 'Register',
      body: Registration,
      response: { 201: PublicUser, 422: HTTPValidationError },
    },
    // Refused before the body is read: a closed server does not grade registrations it will not take.
    onRequest: async () => {
      if (config.registration === 'closed') throw new Forbidden('Registration is closed')
    },
  }, async (request, reply) => {
    assertEmailForPolicy(request.body.email, config.emailVerification) // `required`: an account without an address could never sign in
    await registrations.admit(request.ip)                            // per address, before any hashing
    const user = await registerUser(request.body, { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes })
    await recordAudit(store.audit, request, 'user.registered', { userId: user.id, username: user.username }, (deps.clock ?? systemClock).now())
    if (await sendEmailVerification(user, verification)) {          // off the request path: the mail queue sends it
      await recordAudit(store.audit, request, 'email.verification_sent', { userId: user.id, username: user.username, details: { via: 'registration' } }, (deps.clock ?? systemClock).now())
    }
    return reply.code(201).send(toPublicUser(user))
  })

  app.get('/users/me', {
    schema: { summary: 'Read Users Me', response: { 200: PublicUser } },
    config: { auth: { scopes: ['me'] } },
  }, async (request) => toPublicUser(currentUser(request)))
}
