import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Forbidden, registerUser, toPublicUser } from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import type { AppDeps } from '../deps.js'
import { HTTPValidationError, PublicUser, Registration } from '../schemas.js'

/** POST /users (registration) and GET /users/me (FastAPI's `read_users_me`). */
export const userRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, hasher, config } = deps

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
    const user = await registerUser(request.body, { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes })
    return reply.code(201).send(toPublicUser(user))
  })

  app.get('/users/me', {
    schema: { summary: 'Read Users Me', response: { 200: PublicUser } },
    config: { auth: { scopes: ['me'] } },
  }, async (request) => toPublicUser(currentUser(request)))
}
