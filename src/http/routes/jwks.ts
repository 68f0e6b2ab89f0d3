import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { EMPTY_KEY_SET, fixedSigningKeys } from '../../core/index.js'
import type { AppDeps } from '../deps.js'

export const JWKS_PATH = '/.well-known/jwks.json'

/**
 * How long resource servers may reuse the set (s). A rotated-in key is published before it signs
 * when it is pre-published (`keys generate`, then `keys rotate --kid` after this long); a key
 * that signs at once is found by verifiers that refetch on an unknown kid, as JWKS clients do.
 */
export const JWKS_MAX_AGE_SECONDS = 300

const b64url = (description: string) => Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]+$', description }))

/** RFC 7517 §4 with the members of OKP (RFC 8037), EC and RSA public keys (RFC 7518 §6): never a private one. */
const Jwk = Type.Object({
  kty: Type.Enum(['OKP', 'EC', 'RSA']),
  kid: Type.String({ description: 'RFC 7638 thumbprint of the key (base64url SHA-256); the `kid` in tokens\' headers.' }),
  alg: Type.Enum(['EdDSA', 'ES256', 'RS256'], { description: 'The only algorithm the key verifies.' }),
  use: Type.Literal('sig'),
  crv: Type.Optional(Type.String({ description: 'OKP: Ed25519; EC: P-256.' })),
  x: b64url('OKP and EC public key.'),
  y: b64url('EC public key.'),
  n: b64url('RSA modulus.'),
  e: b64url('RSA exponent.'),
}, { title: 'JWK' })

const Jwks = Type.Object({ keys: Type.Array(Jwk) }, { title: 'JWKS' })

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any current representation. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === etag
  })
}

/**
 * GET /.well-known/jwks.json (RFC 7517 §5): the public keys that verify Tessera's access tokens,
 * the active one and those still verifying; an empty set in HS256 mode, whose secret is never
 * published.
 */
export const jwksRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const keys = deps.signingKeys ?? fixedSigningKeys(EMPTY_KEY_SET)
  app.get(JWKS_PATH, {
    schema: {
      summary: 'JSON Web Key Set',
      description: `The public keys that verify access tokens, chosen by the \`kid\` in the token's header. Empty in HS256 mode. Cacheable for ${JWKS_MAX_AGE_SECONDS} s; send \`If-None-Match\` with the ETag to revalidate.`,
      response: {
        200: Jwks,
        304: Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is current.' }),
      },
    },
  }, async (request, reply) => {
    const set = keys.current()
    reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).header('etag', set.etag)
    if (notModified(request.headers['if-none-match'], set.etag)) return reply.code(304).send(null)
    // Serialised through the schema above, which lists only public members: even a key object
    // that somehow held `d` could not be published.
    return set.jwks
  })
}
