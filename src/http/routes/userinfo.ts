import formbody from '@fastify/formbody'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { userInfoClaims } from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import type { AppDeps } from '../deps.js'

export const USERINFO_PATH = '/userinfo'

/** OIDC Core §5.1 standard claims, as Tessera fills them; a claim without a value is left out. */
const UserInfo = Type.Object({
  sub: Type.String({ description: 'The user\'s immutable id: the `sub` of the id_token and of access tokens.' }),
  name: Type.Optional(Type.String({ description: 'scope `profile`: the full name.' })),
  preferred_username: Type.Optional(Type.String({ description: 'scope `profile`: the username.' })),
  updated_at: Type.Optional(Type.Integer({ description: 'scope `profile`: when the account last changed (epoch seconds).' })),
  email: Type.Optional(Type.String({ description: 'scope `email`.' })),
  email_verified: Type.Optional(Type.Boolean({ description: 'scope `email`: whether the owner proved the address by the mailed link (TESSERA_EMAIL_VERIFICATION).' })),
}, { title: 'UserInfo' })

/**
 * GET and POST /userinfo (OIDC Core §5.3): the claims the access token's scopes allow. The token
 * must carry `openid`; it is checked as on every protected route (signature, audience, user,
 * revocation, disabled), and errors are RFC 6750's challenges (§5.3.3).
 */
export const userInfoRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  // §5.3.1: POST is allowed too; a form body (some clients send one) is read and ignored.
  await app.register(formbody, { bodyLimit: deps.config.bodyLimit })
  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: USERINFO_PATH,
      schema: {
        summary: 'UserInfo',
        description: 'OpenID Connect UserInfo: `sub`; with `profile` also `name`, `preferred_username`, `updated_at`; '
          + 'with `email` also `email`, `email_verified`. The access token must carry `openid`.',
        response: { 200: UserInfo },
      },
      config: { auth: { scopes: ['openid'] } },
      handler: async (request, reply) => reply.header('cache-control', 'no-store').send(userInfoClaims(currentUser(request), request.auth?.scope ?? [])),
    })
  }
}
