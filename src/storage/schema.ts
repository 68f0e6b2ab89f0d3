import type { Generated, Selectable } from 'kysely'

/**
 * The tables as Kysely sees them: column names are the SQL names, values are what every backend
 * accepts and returns. Portable types only (text, integer, bigint), so the one set of
 * migrations in migrations/ serves SQLite and a PostgreSQL backend alike.
 */
export interface Database {
  users: UsersTable
  items: ItemsTable
  settings: SettingsTable
  clients: ClientsTable
  refresh_tokens: RefreshTokensTable
  revoked_tokens: RevokedTokensTable
  audit_log: AuditLogTable
  signing_keys: SigningKeysTable
  browser_sessions: BrowserSessionsTable
  authorization_codes: AuthorizationCodesTable
  consents: ConsentsTable
  one_time_tokens: OneTimeTokensTable
  totp_factors: TotpFactorsTable
  recovery_codes: RecoveryCodesTable
  identity_providers: IdentityProvidersTable
  federated_identities: FederatedIdentitiesTable
  federation_states: FederationStatesTable
}

export interface UsersTable {
  id: string
  username: string
  /** normalizeUsername(username): the UNIQUE key, so case and NFKC variants collide. */
  username_normalized: string
  email: string | null
  /** 0 or 1 (issue 10). */
  email_verified: number
  /** normalizeEmail(email) while verified, else null: the UNIQUE key of verified addresses. */
  email_verified_key: string | null
  full_name: string | null
  password_hash: string
  /** 0 or 1: better-sqlite3 cannot bind booleans, and an integer reads the same everywhere. */
  disabled: number
  /** Space-separated scope names (RFC 6749 §3.3 form); '' is no scopes. */
  scopes: string
  /** Epoch seconds (bigint column: no 2038 limit). */
  tokens_not_before: number | null
  /** ISO-8601 UTC with milliseconds: sorts as text and round-trips a Date exactly. */
  created_at: string
  updated_at: string
}

export interface ItemsTable {
  id: Generated<number>
  owner_id: string
  item_id: string
  title: string | null
  description: string | null
}

export interface SettingsTable {
  key: string
  value: string
}

export interface AuditLogTable {
  id: Generated<number>
  /** Epoch milliseconds. */
  at: number
  event: string
  user_id: string | null
  username: string | null
  client_id: string | null
  actor_id: string | null
  ip: string | null
  user_agent: string | null
  /** JSON object of small, secret-free facts. */
  details: string
}

/**
 * Registered OAuth clients (RFC 6749 §2). Grant types and scopes are space-separated, lists of
 * URIs JSON arrays (uri-list.ts); times epoch ms.
 */
export interface ClientsTable {
  id: string
  name: string
  /** 'confidential' | 'public'. */
  type: string
  /** SHA-256 hex of the secret; null for public clients. */
  secret_hash: string | null
  grant_types: string
  scopes: string
  created_at: number
  redirect_uris: string
  post_logout_redirect_uris: string
  /** 0 or 1. */
  first_party: number
  /** 'EdDSA' | 'ES256' | 'RS256'. */
  id_token_signed_response_alg: string
  resources: string
}

/** Refresh tokens by SHA-256 hex only; epoch-ms times (see RefreshTokenRecord). */
export interface RefreshTokensTable {
  id: string
  family_id: string
  token_hash: string
  user_id: string
  client_id: string | null
  scopes: string
  created_at: number
  expires_at: number
  idle_expires_at: number
  rotated_at: number | null
  revoked_at: number | null
  /** Epoch seconds (OIDC auth_time); null for password-grant families. */
  auth_time: number | null
  /** JSON array of RFC 8707 resource URIs; '[]' is the default audience. */
  audience: string
  browser_session_id: string | null
}

/** Access tokens revoked by `jti` (RFC 7009), kept until they would have expired (epoch ms). */
export interface RevokedTokensTable {
  jti: string
  expires_at: number
}

/** Asymmetric signing keys (see SigningKeyRecord): kid is the RFC 7638 thumbprint. */
export interface SigningKeysTable {
  kid: string
  /** 'EdDSA' | 'ES256' | 'RS256'. */
  algorithm: string
  /** PKCS#8 PEM: never leaves the server. */
  private_key_pem: string
  /** The public JWK as JSON text. */
  public_jwk: string
  /** 'active' | 'verifying' | 'retired'. */
  status: string
  /** Epoch milliseconds. */
  created_at: number
  /** 'access_token' | 'id_token'. */
  purpose: string
}

/** Browser sessions behind the sign-in cookie (see BrowserSessionRecord): the cookie only as SHA-256 hex. */
export interface BrowserSessionsTable {
  id: string
  token_hash: string
  user_id: string
  authenticated_at: number
  /** Space-separated RFC 8176 methods. */
  amr: string
  created_at: number
  last_seen_at: number
  expires_at: number
  ip: string | null
  user_agent: string | null
}

/** Authorization codes by SHA-256 hex only (see AuthorizationCodeRecord); epoch-ms times, auth_time in seconds. */
export interface AuthorizationCodesTable {
  id: string
  code_hash: string
  client_id: string
  user_id: string
  redirect_uri: string
  scopes: string
  code_challenge: string
  nonce: string | null
  /** JSON array of RFC 8707 resource URIs. */
  audience: string
  auth_time: number
  amr: string
  browser_session_id: string | null
  created_at: number
  expires_at: number
  consumed_at: number | null
  family_id: string | null
  access_token_jti: string | null
  access_token_expires_at: number | null
  replayed_at: number | null
}

/** Remembered consent, one row per user + client (the primary key). */
export interface ConsentsTable {
  user_id: string
  client_id: string
  scopes: string
  created_at: number
  updated_at: number
}

export interface OneTimeTokensTable {
  id: string
  token_hash: string
  purpose: string
  user_id: string
  email: string | null
  /** JSON object text. */
  data: string
  created_at: number
  expires_at: number
  consumed_at: number | null
}

export interface TotpFactorsTable {
  user_id: string
  secret: string
  confirmed_at: number | null
  last_used_step: number | null
  created_at: number
}

export interface RecoveryCodesTable {
  user_id: string
  code_hash: string
  created_at: number
  used_at: number | null
}

export interface IdentityProvidersTable {
  id: string
  kind: string
  label: string
  issuer: string
  client_id: string
  client_secret: string
  /** Space-separated, as OAuth writes scopes. */
  scopes: string
  created_at: number
  updated_at: number
}

export interface FederatedIdentitiesTable {
  provider_id: string
  subject: string
  user_id: string
  email: string | null
  created_at: number
  last_used_at: number
}

export interface FederationStatesTable {
  state_hash: string
  provider_id: string
  binding_hash: string
  nonce: string | null
  code_verifier: string
  /** JSON: what the sign-in carries on (the app's request or return_to). */
  carried: string
  link_user_id: string | null
  created_at: number
  expires_at: number
  consumed_at: number | null
}

export type UserRow = Selectable<UsersTable>
export type ItemRow = Selectable<ItemsTable>

/** Every users column, in one order: shared by the query builder and a backend's fast path. */
export const USER_COLUMNS = [
  'id',
  'username',
  'username_normalized',
  'email',
  'email_verified',
  'email_verified_key',
  'full_name',
  'password_hash',
  'disabled',
  'scopes',
  'tokens_not_before',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[]
