import { Type, type Static, type TSchema } from 'typebox'
import { USERNAME_MAX, USERNAME_MIN } from '../core/index.js'

/*
 * The request and response shapes of SPEC.md, as TypeBox: one declaration is the validator (ajv),
 * the serializer (fast-json-stringify, which also drops anything not listed: a hash can never be
 * serialised by accident) and the OpenAPI document. Rules that need more than a type (username
 * normalisation, password policy, e-mail shape) live in core, which reports them in the same
 * pydantic shape, so they are not repeated here.
 */

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/**
 * Text a database can store as given: no NUL (PostgreSQL refuses it in text) and no lone UTF-16
 * surrogate (not encodable as UTF-8; pydantic's JSON parser refuses it too). A 422 here rather
 * than a 500 or a silently altered value from the store. ajv matches patterns with the `u` flag,
 * so a surrogate pair (an emoji) is one code point and passes.
 */
export const STORABLE_TEXT = '^[^\\u0000\\uD800-\\uDFFF]*$'
/** An item's name is a key shown in lists: no control characters either. */
const ITEM_KEY = '^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF]+$'

// ---- POST /token: FastAPI's OAuth2PasswordRequestForm ----

export const TokenForm = Type.Object({
  grant_type: Type.Optional(Type.String({
    description: '`password` (absent means `password`), `authorization_code`, `refresh_token`, `client_credentials` or '
      + '`urn:tessera:params:oauth:grant-type:mfa-otp` (the second step after a 403 `mfa_required`). '
      + 'Only the password grant needs `username` and `password`.',
  })),
  username: Type.String(),
  password: Type.String({ format: 'password' }),
  scope: Type.Optional(Type.String({ description: 'Space-separated scopes; absent means all the user may have.' })),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String({ format: 'password' })),
  refresh_token: Type.Optional(Type.String({ format: 'password', description: 'For `grant_type=refresh_token`.' })),
  code: Type.Optional(Type.String({ format: 'password', description: 'For `grant_type=authorization_code`: the code from the redirect.' })),
  redirect_uri: Type.Optional(Type.String({ description: 'For `grant_type=authorization_code`: the redirect_uri the code was sent to, exactly.' })),
  code_verifier: Type.Optional(Type.String({ format: 'password', description: 'For `grant_type=authorization_code`: the PKCE verifier (RFC 7636).' })),
  resource: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 10 })], {
    description: 'RFC 8707: the resource server(s) the access token is for (repeatable); they become its `aud`.',
  })),
  mfa_token: Type.Optional(Type.String({
    format: 'password', description: 'For the mfa-otp grant: the `mfa_token` of the 403 `mfa_required` answer (single-use, 5 minutes).',
  })),
  otp: Type.Optional(Type.String({
    format: 'password', description: 'For the mfa-otp grant: the 6-digit code of the authenticator app, or a recovery code.',
  })),
}, { title: 'Body_login_for_access_token_token_post' })
export type TokenForm = Static<typeof TokenForm>

/** RFC 6749 §5.1, with the tutorial's `token_type: "bearer"`. */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String({ description: 'Opaque; exchanged at /token with grant_type=refresh_token, which returns a new one.' })),
  id_token: Type.Optional(Type.String({ description: 'OpenID Connect: when `openid` was granted (code flow, and its refreshes).' })),
}, { title: 'Token' })

// ---- Users ----

export const Registration = Type.Object({
  username: Type.String({ description: `${USERNAME_MIN} to ${USERNAME_MAX} characters, unique ignoring case (NFKC).` }),
  password: Type.String({ format: 'password', description: 'At least 8 characters.' }),
  email: Type.Optional(Nullable(Type.String({ format: 'email' }))),
  full_name: Type.Optional(Nullable(Type.String({ maxLength: 200, pattern: STORABLE_TEXT }))),
}, { title: 'UserCreate' })
export type Registration = Static<typeof Registration>

export const PublicUser = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: Nullable(Type.String()),
  email_verified: Type.Boolean({ description: 'Whether the owner proved `email` by the mailed link (TESSERA_EMAIL_VERIFICATION).' }),
  full_name: Nullable(Type.String()),
  disabled: Type.Boolean(),
}, { title: 'User' })

// ---- Items ----

export const NewItem = Type.Object({
  item_id: Type.String({ minLength: 1, maxLength: 100, pattern: ITEM_KEY }),
  title: Type.Optional(Nullable(Type.String({ maxLength: 200, pattern: STORABLE_TEXT }))),
  description: Type.Optional(Nullable(Type.String({ maxLength: 2000, pattern: STORABLE_TEXT }))),
}, { title: 'ItemCreate' })
export type NewItem = Static<typeof NewItem>

export const PublicItem = Type.Object({
  item_id: Type.String(),
  owner: Type.String(),
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
}, { title: 'Item' })

export const ItemList = Type.Array(PublicItem)

// ---- Small answers ----

export const Status = Type.Object({ status: Type.Literal('ok') }, { title: 'Status' })

// ---- Errors ----

/** pydantic v2's error entry as FastAPI returns it; `input` is absent for secret fields. */
export const ValidationError = Type.Object({
  type: Type.String(),
  loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
  msg: Type.String(),
  input: Type.Optional(Type.Unknown()),
  ctx: Type.Optional(Type.Object({}, { additionalProperties: true })),
}, { title: 'ValidationError' })

export const HTTPValidationError = Type.Object({ detail: Type.Array(ValidationError) }, { title: 'HTTPValidationError' })

/** Every other error: FastAPI's `{"detail": "..."}`, plus RFC 6749 §5.2 fields on the token endpoint. */
export const ErrorBody = Type.Object({
  detail: Type.String(),
  error: Type.Optional(Type.String()),
  error_description: Type.Optional(Type.String()),
}, { title: 'Error' })
