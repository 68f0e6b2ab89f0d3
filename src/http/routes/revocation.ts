import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { introspect, revokeToken, systemClock } from '../../core/index.js'
import { recordAudit } from '../audit.js'
import { requestClient } from '../client-auth.js'
import type { AppDeps } from '../deps.js'
import { assertOAuthFormValid } from '../oauth-params.js'
import { ErrorBody } from '../schemas.js'
import { IntrospectionForm, IntrospectionResponse, RevocationForm } from '../session-schemas.js'
import { useTokenForm } from '../token-form.js'

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

const CLIENT_AUTH = 'Client authentication: HTTP Basic (client_secret_basic) or `client_id` and `client_secret` in the form (client_secret_post).'

/** POST /revoke (RFC 7009) and POST /introspect (RFC 7662): form bodies, as the token endpoint's. */
export const revocationRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, tokens, config } = deps
  const clock = deps.clock ?? systemClock
  await useTokenForm(app, { bodyLimit: config.bodyLimit })

  app.post('/revoke', {
    schema: {
      summary: 'Revoke Token',
      description: 'RFC 7009. A refresh token is revoked with every token rotated from the same login; an access token until it expires. '
        + `200 with an empty body whether or not the token was known. ${CLIENT_AUTH} Optional unless the server requires clients; `
        + 'a token issued to a client can be revoked only by that client.',
      consumes: ['application/x-www-form-urlencoded'],
      body: RevocationForm,
      // type null: the document shows no content (and the handler sends none).
      response: { 200: Type.Null({ description: 'Revoked, or nothing to revoke (the answer does not say which)' }), 400: ErrorBody, 401: ErrorBody },
    },
    attachValidation: true,
  }, async (request, reply) => {
    assertOAuthFormValid(request.validationError)                          // RFC 7009 §2.1: token is required; nothing repeated
    const client = await requestClient(request, request.body, deps, { required: config.requireClient })
    const revoked = await revokeToken(request.body.token, client, { tokens, refreshTokens: store.refreshTokens, revokedTokens: store.revokedTokens, clock })
    if (revoked !== null) {
      deps.metrics.tokenRevoked()
      await recordAudit(store.audit, request, 'token.revoked', { userId: revoked.userId, clientId: revoked.clientId, details: { token_type: revoked.tokenType } }, clock.now())
    }
    // §2.2: no body at all. The typed reply would serialise `null`; the untyped one sends nothing.
    return (reply as FastifyReply).code(200).send()
  })

  app.post('/introspect', {
    schema: {
      summary: 'Introspect Token',
      description: `RFC 7662, for confidential clients (resource servers). ${CLIENT_AUTH} `
        + 'An access or refresh token usable right now is described; anything else is exactly `{"active": false}`.',
      consumes: ['application/x-www-form-urlencoded'],
      body: IntrospectionForm,
      response: { 200: IntrospectionResponse, 400: ErrorBody, 401: ErrorBody },
    },
    attachValidation: true,
    // The answer describes a credential: never cached (RFC 7662 §4 on leaking token facts).
    onRequest: async (_request, reply) => { reply.headers(NO_STORE) },
  }, async (request) => {
    assertOAuthFormValid(request.validationError)                          // before client auth: a repeated field is an array
    await requestClient(request, request.body, deps, { required: true, confidential: true }) // RFC 7662 §2.1: no token scanning
    return introspect(request.body.token, {
      tokens, users: store.users, clients: store.clients, refreshTokens: store.refreshTokens, revokedTokens: store.revokedTokens, clock,
    })
  })
}
