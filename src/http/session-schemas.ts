import { Type, type Static } from 'typebox'

/*
 * The shapes of the session and client endpoints (issue 3): RFC 7009 revocation, RFC 7662
 * introspection, RFC 8414 metadata, and the password change. As in schemas.ts, one declaration
 * is the validator, the serializer (which drops anything unlisted) and the OpenAPI document.
 */

const ClientFields = {
  client_id: Type.Optional(Type.String({ description: 'client_secret_post, or a public client naming itself. Or use HTTP Basic.' })),
  client_secret: Type.Optional(Type.String({ format: 'password' })),
}

const TokenTypeHint = Type.Optional(Type.String({
  description: '`access_token` or `refresh_token`. Optional: Tessera tells the two apart without it.',
}))

/** RFC 7009 §2.1. */
export const RevocationForm = Type.Object({
  token: Type.String({ format: 'password', description: 'An access token or a refresh token.' }),
  token_type_hint: TokenTypeHint,
  ...ClientFields,
}, { title: 'Body_revoke_token_revoke_post' })
export type RevocationForm = Static<typeof RevocationForm>

/** RFC 7662 §2.1. */
export const IntrospectionForm = Type.Object({
  token: Type.String({ format: 'password', description: 'An access token or a refresh token.' }),
  token_type_hint: TokenTypeHint,
  ...ClientFields,
}, { title: 'Body_introspect_token_introspect_post' })
export type IntrospectionForm = Static<typeof IntrospectionForm>

/** RFC 7662 §2.2: `{"active": false}` alone for every token that is not usable now. */
export const IntrospectionResponse = Type.Object({
  active: Type.Boolean(),
  sub: Type.Optional(Type.String({ description: 'The user\'s id, or the client\'s for a client_credentials token.' })),
  username: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'The resource server(s) the access token is for.' })),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  token_type: Type.Optional(Type.String({ description: '`Bearer` for an access token, `refresh_token` for a refresh token.' })),
}, { title: 'Introspection' })

/** POST /users/me/password. */
export const PasswordChange = Type.Object({
  current_password: Type.String({ format: 'password' }),
  new_password: Type.String({ format: 'password', description: 'At least 8 characters, and not the current one.' }),
}, { title: 'PasswordChange' })
export type PasswordChange = Static<typeof PasswordChange>

/** RFC 8414 §2 and OpenID Connect Discovery 1.0 §3: the fields Tessera has something to say about. */
export const ServerMetadata = Type.Object({
  issuer: Type.String(),
  authorization_endpoint: Type.String(),
  token_endpoint: Type.String(),
  userinfo_endpoint: Type.String(),
  jwks_uri: Type.String(),
  revocation_endpoint: Type.String(),
  introspection_endpoint: Type.String(),
  end_session_endpoint: Type.String(),
  scopes_supported: Type.Array(Type.String()),
  response_types_supported: Type.Array(Type.String()),
  response_modes_supported: Type.Array(Type.String()),
  grant_types_supported: Type.Array(Type.String()),
  subject_types_supported: Type.Array(Type.String()),
  id_token_signing_alg_values_supported: Type.Array(Type.String()),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  revocation_endpoint_auth_methods_supported: Type.Array(Type.String()),
  introspection_endpoint_auth_methods_supported: Type.Array(Type.String()),
  code_challenge_methods_supported: Type.Array(Type.String()),
  claims_supported: Type.Array(Type.String()),
  prompt_values_supported: Type.Array(Type.String()),
  authorization_response_iss_parameter_supported: Type.Boolean(),
  claims_parameter_supported: Type.Boolean(),
  request_parameter_supported: Type.Boolean(),
  request_uri_parameter_supported: Type.Boolean(),
}, { title: 'AuthorizationServerMetadata' })
