import { Type, type Static } from 'typebox'
import {
  AUDIT_EVENTS, CLIENT_URI_LIST_MAX, DEFAULT_CLIENT_GRANT_TYPES, GRANT_TYPES, IDENTITY_SCOPES, REDIRECT_URI_MAX_CHARS, SCOPES,
  SIGNING_ALGORITHMS, USERNAME_MAX, USERNAME_MIN, type AuditEventName, type Scope, type SigningAlgorithm,
} from '../core/index.js'
import { Nullable, STORABLE_TEXT } from './schemas.js'

/*
 * The admin API's shapes (issue 3, part 6). Like schemas.ts: one TypeBox declaration is the
 * validator, the serializer (which drops anything unlisted, so a hash or a secret hash cannot be
 * serialised by accident) and the OpenAPI document.
 */

/** Pages are bounded so one request cannot ask the database for everything. */
export const PAGE_LIMIT_MAX = 500
export const PAGE_LIMIT_DEFAULT = 50

const Limit = Type.Integer({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT, description: `Page size, 1 to ${PAGE_LIMIT_MAX}.` })
const Offset = Type.Integer({ minimum: 0, default: 0, description: 'How many matches to skip.' })

/** A known scope; anything else is pydantic's Literal error ("Input should be 'me', 'items', ..."). */
const ScopeName = Type.Unsafe<Scope>({ type: 'string', enum: Object.keys(SCOPES) })
const ScopeList = Type.Array(ScopeName, { maxItems: Object.keys(SCOPES).length * 2, description: 'Scopes the user may be granted.' })

export const UserIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
export type UserIdParams = Static<typeof UserIdParams>

// ---- Users ----

/** What an administrator sees of an account: the public user plus its scopes and times. Never a hash. */
export const AdminUser = Type.Object({
  id: Type.String({ format: 'uuid' }),
  username: Type.String(),
  email: Nullable(Type.String()),
  email_verified: Type.Boolean({ description: 'The owner proved the address by a mailed link (or an administrator said so).' }),
  full_name: Nullable(Type.String()),
  disabled: Type.Boolean(),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, { title: 'AdminUser' })

export const UserListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Matches username, email or full name (substring, any case).' })),
  limit: Type.Optional(Limit),
  offset: Type.Optional(Offset),
})
export type UserListQuery = Static<typeof UserListQuery>

export const UserPage = Type.Object({
  users: Type.Array(AdminUser),
  /** Every match, not just this page: a client can show "41–60 of 1 234". */
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
}, { title: 'UserPage' })

export const AdminUserCreate = Type.Object({
  username: Type.String({ description: `${USERNAME_MIN} to ${USERNAME_MAX} characters, unique ignoring case (NFKC).` }),
  password: Type.String({ format: 'password', description: 'At least 8 characters.' }),
  email: Type.Optional(Nullable(Type.String({ format: 'email' }))),
  email_verified: Type.Optional(Type.Boolean({ description: 'Create the account with its address already verified (no mail is sent). Default false.' })),
  full_name: Type.Optional(Nullable(Type.String({ maxLength: 200, pattern: STORABLE_TEXT }))),
  scopes: Type.Optional(ScopeList),
  disabled: Type.Optional(Type.Boolean()),
}, { title: 'AdminUserCreate' })
export type AdminUserCreate = Static<typeof AdminUserCreate>

/** Only what is given changes; unknown fields are ignored, as FastAPI's models do. */
export const AdminUserUpdate = Type.Object({
  disabled: Type.Optional(Type.Boolean({ description: 'Disabling also ends every session of the user.' })),
  scopes: Type.Optional(ScopeList),
  email: Type.Optional(Nullable(Type.String({ format: 'email' }))),
  email_verified: Type.Optional(Type.Boolean({
    description: 'Marks the address verified or not. A new `email` without it is unverified; 409 when another account verified the address.',
  })),
  full_name: Type.Optional(Nullable(Type.String({ maxLength: 200, pattern: STORABLE_TEXT }))),
}, { title: 'AdminUserUpdate' })
export type AdminUserUpdate = Static<typeof AdminUserUpdate>

export const PasswordReset = Type.Object({
  new_password: Type.String({ format: 'password', description: 'At least 8 characters.' }),
}, { title: 'PasswordReset' })
export type PasswordReset = Static<typeof PasswordReset>

// ---- Audit ----

const EventName = Type.Unsafe<AuditEventName>({ type: 'string', enum: [...AUDIT_EVENTS] })
const Id = Type.String({ minLength: 1, maxLength: 200 })
const Instant = Type.String({ format: 'date-time', description: 'RFC 3339 date-time with a zone, e.g. 2026-01-31T00:00:00Z; inclusive.' })

export const AuditQuery = Type.Object({
  event: Type.Optional(EventName),
  user_id: Type.Optional(Id),
  actor_id: Type.Optional(Id),
  client_id: Type.Optional(Id),
  ip: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  since: Type.Optional(Instant),
  until: Type.Optional(Instant),
  limit: Type.Optional(Limit),
  offset: Type.Optional(Offset),
})
export type AuditQuery = Static<typeof AuditQuery>

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  event: Type.String(),
  user_id: Nullable(Type.String()),
  username: Nullable(Type.String()),
  client_id: Nullable(Type.String()),
  actor_id: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  details: Type.Object({}, { additionalProperties: true }),
}, { title: 'AuditEntry' })

export const AuditPage = Type.Object({
  events: Type.Array(AuditEntry),
  limit: Type.Integer(),
  offset: Type.Integer(),
  /** Whether a next page exists (the log is not counted: it only grows). */
  has_more: Type.Boolean(),
}, { title: 'AuditPage' })

// ---- Clients ----

export const ClientIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })
export type ClientIdParams = Static<typeof ClientIdParams>

const ClientType = Type.Unsafe<'confidential' | 'public'>({ type: 'string', enum: ['confidential', 'public'] })
const GrantType = Type.Unsafe<string>({ type: 'string', enum: [...GRANT_TYPES] })
const CLIENT_SCOPES = [...Object.keys(SCOPES), ...Object.keys(IDENTITY_SCOPES)]
/** A client may also be registered for OpenID Connect's scopes (what its users may let it know). */
const ClientScopeName = Type.Unsafe<string>({ type: 'string', enum: CLIENT_SCOPES })
const IdTokenAlgorithm = Type.Unsafe<SigningAlgorithm>({
  type: 'string', enum: [...SIGNING_ALGORITHMS], description: 'How its id_tokens are signed. Default: RS256 (OpenID Connect Core §3.1.3.7).',
})

/** Checked in full by core (redirect-uri.ts): exact strings, https or loopback http, no fragment, no wildcard. */
const UriList = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: REDIRECT_URI_MAX_CHARS }), { maxItems: CLIENT_URI_LIST_MAX, description })

/** A registered client as an administrator sees it: never its secret, nor the secret's hash. */
export const AdminClient = Type.Object({
  client_id: Type.String(),
  name: Type.String(),
  type: ClientType,
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  redirect_uris: Type.Array(Type.String()),
  post_logout_redirect_uris: Type.Array(Type.String()),
  first_party: Type.Boolean(),
  id_token_signed_response_alg: Type.String(),
  resources: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
}, { title: 'AdminClient' })

export const ClientList = Type.Object({ clients: Type.Array(AdminClient) }, { title: 'ClientList' })

/** The one answer that carries a client's secret: shown once, stored only as its SHA-256. */
export const ClientWithSecret = Type.Object({
  ...AdminClient.properties,
  client_secret: Nullable(Type.String({ description: 'Shown only in this response; null for a public client.' })),
}, { title: 'ClientWithSecret' })

/** The fields a client is registered with and PATCH may change (never its type or secret). */
const clientFields = {
  grant_types: Type.Optional(Type.Array(GrantType, {
    maxItems: GRANT_TYPES.length * 2,
    description: `Default: with redirect_uris authorization_code and refresh_token; else ${DEFAULT_CLIENT_GRANT_TYPES.confidential.join(' ')} (confidential) `
      + `or ${DEFAULT_CLIENT_GRANT_TYPES.public.join(' and ')} (public).`,
  })),
  scopes: Type.Optional(Type.Array(ClientScopeName, {
    maxItems: CLIENT_SCOPES.length * 2, description: 'Default: me and items, plus openid, profile, email and offline_access for authorization_code.',
  })),
  redirect_uris: Type.Optional(UriList('Where authorization codes may be sent, compared exactly (RFC 9700 §4.1.3). Needed for authorization_code.')),
  post_logout_redirect_uris: Type.Optional(UriList('Where RP-initiated logout may send the browser afterwards, compared exactly.')),
  first_party: Type.Optional(Type.Boolean({ description: 'The operator\'s own app: its users are not asked for consent. Default: false.' })),
  id_token_signed_response_alg: Type.Optional(IdTokenAlgorithm),
  resources: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: REDIRECT_URI_MAX_CHARS }), {
    maxItems: CLIENT_URI_LIST_MAX, description: 'RFC 8707 resource indicators (absolute URIs) its access tokens may name as audience.',
  })),
}

export const AdminClientCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  type: Type.Optional(ClientType),
  ...clientFields,
}, { title: 'AdminClientCreate' })
export type AdminClientCreate = Static<typeof AdminClientCreate>

/** Only what is given changes; a list given replaces the list. Unknown fields (type, a secret) are ignored, as FastAPI's models do. */
export const AdminClientUpdate = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  ...clientFields,
}, { title: 'AdminClientUpdate' })
export type AdminClientUpdate = Static<typeof AdminClientUpdate>
