import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { UnsupportedGrantType, passwordGrant } from '../../core/index.js'
import type { AppDeps } from '../deps.js'
import { HTTPValidationError, TokenForm, TokenResponse } from '../schemas.js'
import { useTokenForm } from '../token-form.js'

/** RFC 6749 §5.1: token responses, and errors from the token endpoint, are never cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** The grant types this endpoint serves; a missing `grant_type` means `password` (FastAPI's lax form). */
const GRANT_TYPES = new Set(['password'])

/** POST /token: the OAuth2 token endpoint (RFC 6749 §4.3), FastAPI's `login_for_access_token`. */
export const tokenRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { store, hasher, tokens, config } = deps
  await useTokenForm(app, { bodyLimit: config.bodyLimit })

  // Set before anything can fail, so 400/401/413/422 answers carry them as well as 200.
  app.addHook('onRequest', async (_request, reply) => { reply.headers(NO_STORE) })
  // RFC 6749 §5.2: the grant type is judged before its parameters (another grant has other fields).
  app.addHook('preValidation', async (request) => {
    const grantType = (request.body as Record<string, unknown>).grant_type
    if (grantType !== undefined && !(typeof grantType === 'string' && GRANT_TYPES.has(grantType))) throw new UnsupportedGrantType()
  })

  app.post('/token', {
    schema: {
      summary: 'Login For Access Token',
      description: 'OAuth2 password grant. Send the form fields `username` and `password` (and optionally `scope`).',
      consumes: ['application/x-www-form-urlencoded'],
      body: TokenForm,
      response: { 200: TokenResponse, 422: HTTPValidationError },
    },
  }, async (request) => {
    const { username, password, scope } = request.body
    return passwordGrant({ username, password, scope }, { users: store.users, hasher, tokens, passwordMaxBytes: config.passwordMaxBytes })
  })
}
