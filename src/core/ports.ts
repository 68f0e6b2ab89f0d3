import type { AuditEvent, AuditFilter, AuditRecord } from './audit.js'
import type { Scope } from './scopes.js'
import type { ItemRecord, NewItem, NewUser, UserRecord } from './user.js'

/**
 * The storage ports core declares and `src/storage/` implements, once per backend. Every backend
 * passes the same contract suite (test/storage/contract.ts). Not found is `null`, not an error.
 */
export interface UserStore {
  findById(id: string): Promise<UserRecord | null>
  /**
   * `findById` for a request bearing access token `jti`: also null when that jti is revoked in
   * the same Store's RevokedTokenStore (RFC 7009). Every authenticated request asks this, so a
   * backend answers it in one query. Optional for other stores: authenticate then asks
   * `isRevoked` and `findById` in turn.
   */
  findByIdUnlessRevoked?(id: string, jti: string): Promise<UserRecord | null>
  /** Looks up by the normalised username (see normalizeUsername). */
  findByUsername(username: string): Promise<UserRecord | null>
  /**
   * The accounts whose email equals `email` ignoring case (normalizeEmail), verified first, then
   * oldest first. Several only while unverified (verified addresses are unique).
   */
  findByEmail(email: string): Promise<UserRecord[]>
  /** Throws `Conflict('Username already registered')` when the normalised name is taken. */
  create(user: NewUser): Promise<UserRecord>
  list(): Promise<UserRecord[]>
  /**
   * One page of the users whose username, email or full name contains `query` (ignoring case;
   * absent or empty: everyone), ordered by normalised name, with the number of all matches.
   */
  search(search: UserSearch): Promise<UserPage>
  /** Applies `changes` in one write (updatedAt too); the updated user, or null when there is none. */
  update(id: string, changes: UserChanges): Promise<UserRecord | null>
  updatePasswordHash(id: string, passwordHash: string): Promise<boolean>
  setDisabled(id: string, disabled: boolean): Promise<boolean>
  setTokensNotBefore(id: string, epochSeconds: number): Promise<boolean>
  /** Deletes the user and their items; false when there was no such user. */
  delete(id: string): Promise<boolean>
}

export interface UserSearch { query?: string | undefined; limit: number; offset: number }

export interface UserPage { users: UserRecord[]; total: number }

/** What an administrator may change about an account (the admin API's PATCH). */
export interface UserChanges {
  /** A new address is unverified unless `emailVerified` says otherwise in the same change. */
  email?: string | null
  /** Conflict('Email already in use') when another account has this address verified. */
  emailVerified?: boolean
  fullName?: string | null
  disabled?: boolean
  scopes?: readonly Scope[]
}

export interface ItemStore {
  listByOwner(ownerId: string): Promise<ItemRecord[]>
  /**
   * Throws `Conflict('Item already exists')` when the owner already has that item_id, and
   * `NotFound('User not found')` when the owner was deleted meanwhile.
   */
  create(ownerId: string, item: NewItem): Promise<ItemRecord>
}

/** Small server-wide values that must survive a restart (the generated signing secret). */
export interface SettingsStore {
  get(key: string): Promise<string | null>
  /** Stores `value` unless the key exists; returns whichever value is stored afterwards. */
  getOrInsert(key: string, value: string): Promise<string>
}

export interface Store {
  users: UserStore
  items: ItemStore
  settings: SettingsStore
  refreshTokens: RefreshTokenStore
  revokedTokens: RevokedTokenStore
  clients: ClientStore
  signingKeys: SigningKeyStore
  audit: AuditStore
  browserSessions: BrowserSessionStore
  authorizationCodes: AuthorizationCodeStore
  consents: ConsentStore
  oneTimeTokens: OneTimeTokenStore
  totp: TotpStore
  recoveryCodes: RecoveryCodeStore
  identityProviders: IdentityProviderStore
  federatedIdentities: FederatedIdentityStore
  federationStates: FederationStateStore
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>
  close(): Promise<void>
}

// ---- Sessions, clients, keys and audit (issue 3). Each store is implemented once per backend
// in src/storage/ and joins the contract suite. Times are epoch milliseconds unless named.

/** A refresh token as stored: only the SHA-256 of the 256-bit token, never the token. */
export interface RefreshTokenRecord {
  id: string
  /** Every rotation of one login shares a family; reuse of any member revokes the family. */
  familyId: string
  tokenHash: string
  userId: string
  clientId: string | null
  scopes: string[]
  createdAt: number
  /** Absolute end of the family: rotation never extends it (RFC 9700 §4.14.2). */
  expiresAt: number
  /** End of this token if unused (idle lifetime); each rotation issues a fresh one. */
  idleExpiresAt: number
  /** Set when this token was exchanged for a new one: presenting it again is reuse. */
  rotatedAt: number | null
  revokedAt: number | null
  /**
   * OpenID Connect: when the user signed in (epoch seconds), kept through rotations so a
   * refreshed id_token keeps the original auth_time (OIDC Core §12.2). Null for the password grant.
   */
  authTime: number | null
  /** RFC 8707 resource indicators the family's access tokens are for (their `aud`); empty: the default audience. */
  audience: string[]
  /** The browser session the family was started from (code flow): signing out of it revokes the family. */
  browserSessionId: string | null
}

/** The OIDC fields are optional for callers that start password-grant families (they default to null / empty). */
export type NewRefreshToken = Omit<RefreshTokenRecord, 'rotatedAt' | 'revokedAt' | 'authTime' | 'audience' | 'browserSessionId'>
  & Partial<Pick<RefreshTokenRecord, 'authTime' | 'audience' | 'browserSessionId'>>

export interface RefreshTokenStore {
  create(token: NewRefreshToken): Promise<RefreshTokenRecord>
  findByHash(tokenHash: string): Promise<RefreshTokenRecord | null>
  /**
   * Atomically marks `oldId` rotated at `now` — only if it is neither rotated nor revoked — and
   * inserts `next`, in one transaction. Returns null when another request rotated it first, so of
   * two concurrent refreshes with one token exactly one wins.
   */
  rotate(oldId: string, now: number, next: NewRefreshToken): Promise<RefreshTokenRecord | null>
  /** Revokes every live token of the family; returns how many were revoked. */
  revokeFamily(familyId: string, now: number): Promise<number>
  revokeAllForUser(userId: string, now: number): Promise<number>
  /** Revokes every live token of the families started from this browser session (RP-initiated logout). */
  revokeAllForBrowserSession(browserSessionId: string, now: number): Promise<number>
  /** Revokes every live token of the user's families with this client (the account page's "remove access"). */
  revokeAllForUserAndClient(userId: string, clientId: string, now: number): Promise<number>
  /** Deletes tokens whose absolute expiry is before `now` (housekeeping). */
  deleteExpired(now: number): Promise<number>
}

/** Access tokens revoked by `jti` before they expire (RFC 7009); kept until `expiresAt`. */
export interface RevokedTokenStore {
  revoke(jti: string, expiresAt: number): Promise<void>
  isRevoked(jti: string): Promise<boolean>
  deleteExpired(now: number): Promise<number>
}

export type ClientType = 'confidential' | 'public'

/** A registered OAuth client (RFC 6749 §2). The secret is stored only as a hash. */
export interface ClientRecord {
  id: string
  name: string
  type: ClientType
  /** SHA-256 (hex) of the secret for confidential clients; null for public ones. */
  secretHash: string | null
  grantTypes: string[]
  scopes: string[]
  createdAt: number
  /** Registered redirect URIs, compared by exact string (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3). */
  redirectUris: string[]
  /** Where RP-initiated logout may send the browser afterwards, exact match (OIDC RP-Initiated Logout §3). */
  postLogoutRedirectUris: string[]
  /** The operator's own app: its users are not asked for consent. */
  firstParty: boolean
  /** The algorithm of this client's id_tokens (OIDC Dynamic Client Registration §2); RS256 unless asked. */
  idTokenSignedResponseAlg: SigningAlgorithm
  /** RFC 8707 resource indicators this client may ask tokens for: they become the tokens' `aud`. */
  resources: string[]
}

/** The sign-in fields are optional: a client registered without them has none (and signs its id_tokens RS256). */
export type NewClient = Omit<ClientRecord, 'createdAt' | ClientSignInField> & Partial<Pick<ClientRecord, ClientSignInField>>

export type ClientSignInField = 'redirectUris' | 'postLogoutRedirectUris' | 'firstParty' | 'idTokenSignedResponseAlg' | 'resources'

/** What may change about a registered client (the admin API's PATCH, `tessera clients update`). */
export type ClientChanges = Partial<Pick<ClientRecord, 'name' | 'grantTypes' | 'scopes' | 'secretHash' | ClientSignInField>>

export interface ClientStore {
  findById(id: string): Promise<ClientRecord | null>
  /** Throws `Conflict('Client already exists')` for a taken id. */
  create(client: NewClient): Promise<ClientRecord>
  list(): Promise<ClientRecord[]>
  update(id: string, changes: ClientChanges): Promise<ClientRecord | null>
  delete(id: string): Promise<boolean>
}

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256'
export type SigningKeyStatus = 'active' | 'verifying' | 'retired'
/**
 * What a key signs. Access-token keys: at most one active (none: HS256 with the secret key).
 * id_token keys: at most one active per algorithm, so each client gets the algorithm it asked for
 * without moving access tokens off HS256 (which FastAPI apps sharing the secret rely on).
 */
export type SigningKeyPurpose = 'access_token' | 'id_token'

/** An asymmetric signing key. The private key is PKCS#8 PEM and never leaves the server. */
export interface SigningKeyRecord {
  kid: string
  algorithm: SigningAlgorithm
  /** Absent in records written before issue 9: they sign access tokens. */
  purpose?: SigningKeyPurpose
  privateKeyPem: string
  /** The public JWK (RFC 7517) as published at /.well-known/jwks.json. */
  publicJwk: Record<string, unknown>
  /** `active` signs (exactly one at most), `verifying` only verifies, `retired` does neither. */
  status: SigningKeyStatus
  createdAt: number
}

export interface SigningKeyStore {
  /** Every key, each with its `purpose` filled in. */
  list(): Promise<SigningKeyRecord[]>
  /**
   * Inserts `key` (purpose absent: access_token); when it is `active`, demotes to `verifying`, in
   * the same transaction, the key it takes over from: the active access-token key, or the active
   * id_token key of the same algorithm.
   */
  insert(key: SigningKeyRecord): Promise<void>
  /** False when there is no such key. Setting `active` demotes the key it takes over from (as insert) in the same transaction. */
  setStatus(kid: string, status: SigningKeyStatus): Promise<boolean>
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>
  /** Deletes the entries recorded before `cutoff` (epoch ms): retention (housekeeping). Returns how many. */
  deleteOlderThan(cutoff: number): Promise<number>
}

// ---- Sign-in (issue 9): browser sessions, authorization codes, consent. Times are epoch ms.

/**
 * A browser's sign-in at Tessera (the single sign-on session behind the cookie). Only the
 * SHA-256 of the cookie's 256-bit value is stored; `id` is a separate random id, safe to show
 * (the id_token's `sid`, the account page's list).
 */
export interface BrowserSessionRecord {
  id: string
  tokenHash: string
  userId: string
  /** When the user last proved who they are: OIDC's auth_time (epoch ms). */
  authenticatedAt: number
  /** How (RFC 8176 values): ['pwd'] for a password. */
  amr: string[]
  createdAt: number
  /** Last use at /authorize: the idle lifetime runs from here. */
  lastSeenAt: number
  /** Absolute end, however often it is used. */
  expiresAt: number
  ip: string | null
  userAgent: string | null
}

export interface BrowserSessionStore {
  create(session: BrowserSessionRecord): Promise<BrowserSessionRecord>
  findByTokenHash(tokenHash: string): Promise<BrowserSessionRecord | null>
  /** By its (public) id: whether a sign-in still stands, e.g. behind a code issued from it. */
  findById(id: string): Promise<BrowserSessionRecord | null>
  /** Sets lastSeenAt (the session was used); no error when it is gone. */
  touch(id: string, now: number): Promise<void>
  delete(id: string): Promise<boolean>
  /** Logout everywhere, password change, disable: every browser session of the user. Returns how many. */
  deleteAllForUser(userId: string): Promise<number>
  /** Newest first. */
  listForUser(userId: string): Promise<BrowserSessionRecord[]>
  /** Housekeeping: sessions past their absolute end (`expiresAt < now`) or unused since `idleCutoff` (`lastSeenAt < idleCutoff`). */
  deleteExpired(now: number, idleCutoff: number): Promise<number>
}

/**
 * An authorization code (RFC 6749 §4.1.2) as stored: only its SHA-256. Bound to the client, the
 * redirect URI and the PKCE challenge; single-use. On exchange the store records what was
 * issued from it, so a second presentation can revoke exactly that (§4.1.2, RFC 9700 §4.5).
 */
export interface AuthorizationCodeRecord {
  id: string
  codeHash: string
  clientId: string
  userId: string
  redirectUri: string
  scopes: string[]
  /** S256 only (RFC 7636 §4.2; `plain` is refused at /authorize). */
  codeChallenge: string
  nonce: string | null
  /** RFC 8707 resources asked for at /authorize; empty: the default audience. */
  audience: string[]
  /** From the browser session: epoch seconds, RFC 8176 methods, its id (null for none). */
  authTime: number
  amr: string[]
  browserSessionId: string | null
  createdAt: number
  expiresAt: number
  /** Set by the one exchange that wins; any presentation after that is replay. */
  consumedAt: number | null
  /** Recorded in the same write that consumes the code: what the exchange issues. */
  familyId: string | null
  accessTokenJti: string | null
  accessTokenExpiresAt: number | null
  /** Set when the code was presented again after its exchange. */
  replayedAt: number | null
}

export type NewAuthorizationCode = Omit<AuthorizationCodeRecord, 'consumedAt' | 'familyId' | 'accessTokenJti' | 'accessTokenExpiresAt' | 'replayedAt'>

/** What an exchange is about to issue, recorded atomically as it consumes the code. */
export interface CodeExchange {
  /** The refresh-token family it starts, or null when it issues no refresh token. */
  familyId: string | null
  accessTokenJti: string
  /** Epoch ms: until then a replay must be able to revoke the access token by jti. */
  accessTokenExpiresAt: number
}

export interface AuthorizationCodeStore {
  create(code: NewAuthorizationCode): Promise<AuthorizationCodeRecord>
  findByHash(codeHash: string): Promise<AuthorizationCodeRecord | null>
  /**
   * Marks the code consumed at `now` with what its exchange issues — only if it is not consumed
   * yet (one conditional update). False when another exchange got there first: of two concurrent
   * exchanges of one code exactly one wins.
   */
  consume(id: string, now: number, exchange: CodeExchange): Promise<boolean>
  /** Sets replayedAt (if unset) and returns the code as stored afterwards; null when it is gone. */
  markReplayed(id: string, now: number): Promise<AuthorizationCodeRecord | null>
  /**
   * Housekeeping: codes that can no longer matter. An unexchanged code past `expiresAt`; an
   * exchanged one once its access token has expired too (until then a replay must find it).
   */
  deleteExpired(now: number): Promise<number>
}

/** The scopes a user has allowed a client (consent is remembered per user + client + scopes). */
export interface ConsentRecord {
  userId: string
  clientId: string
  scopes: string[]
  createdAt: number
  updatedAt: number
}

export interface ConsentStore {
  find(userId: string, clientId: string): Promise<ConsentRecord | null>
  /** Adds `scopes` to what the user allowed the client (a union), creating the record if absent. */
  grant(userId: string, clientId: string, scopes: readonly string[], now: number): Promise<ConsentRecord>
  /** False when there was nothing to revoke. */
  revoke(userId: string, clientId: string): Promise<boolean>
  /** Most recently updated first. */
  listForUser(userId: string): Promise<ConsentRecord[]>
}

// ---- Accounts (issue 10): mailed links, second factors. Times are epoch ms.

/**
 * What a single-use token is for. Mailed links: verify an address, reset a password, confirm a
 * new address. `mfa`: the short-lived proof that the password was right, redeemed with a code
 * (the password grant's `mfa_token`, the sign-in page's second step).
 */
export type OneTimeTokenPurpose = 'verify_email' | 'reset_password' | 'change_email' | 'mfa' | 'link_provider'

/** A single-use token as stored: only the SHA-256 of its 256 random bits, never the token. */
export interface OneTimeTokenRecord {
  id: string
  tokenHash: string
  purpose: OneTimeTokenPurpose
  userId: string
  /** The address a mail token was sent to (what it proves); null for `mfa`. */
  email: string | null
  /** Small purpose-specific facts, secret-free (the mfa step's client and scopes, where it began). */
  data: Record<string, string | string[] | null>
  createdAt: number
  expiresAt: number
  consumedAt: number | null
}

export type NewOneTimeToken = Omit<OneTimeTokenRecord, 'consumedAt'>

export interface OneTimeTokenStore {
  create(token: NewOneTimeToken): Promise<OneTimeTokenRecord>
  /** Read without using it (a page that shows a form before the token is spent). Null when unknown, spent or expired at `now`. */
  findLive(tokenHash: string, purpose: OneTimeTokenPurpose, now: number): Promise<OneTimeTokenRecord | null>
  /**
   * Uses the token: one conditional update that succeeds only if it has this purpose, is unspent
   * and `now < expiresAt`. The record as consumed, or null — of two concurrent uses exactly one wins.
   */
  consume(tokenHash: string, purpose: OneTimeTokenPurpose, now: number): Promise<OneTimeTokenRecord | null>
  /** Spends every unspent token of the user with this purpose (a new link makes older ones void; a reset voids the rest). Returns how many. */
  consumeAllForUser(userId: string, purpose: OneTimeTokenPurpose, now: number): Promise<number>
  /** Housekeeping: tokens past `expiresAt` or spent before `now`. */
  deleteExpired(now: number): Promise<number>
}

/** A user's TOTP factor (RFC 6238). The secret must be readable to check codes: stored as base32, like the signing keys' PKCS#8. */
export interface TotpRecord {
  userId: string
  /** Base32 (RFC 4648), 160 bits. */
  secret: string
  /** Null while enrolment waits for the first code; sign-in asks for codes only once confirmed. */
  confirmedAt: number | null
  /** The last time step (floor(unix seconds / 30)) a code was accepted for: a code of that step or earlier is a replay. */
  lastUsedStep: number | null
  createdAt: number
}

export interface TotpStore {
  find(userId: string): Promise<TotpRecord | null>
  /** Starts (or restarts) an enrolment: an unconfirmed secret replaces any unconfirmed one. Conflict when a confirmed factor exists. */
  startEnrolment(userId: string, secret: string, now: number): Promise<TotpRecord>
  /** Confirms the pending secret and records `step` as used; false when there is none pending. */
  confirm(userId: string, step: number, now: number): Promise<boolean>
  /**
   * Records `step` as used only if it is later than the last used one, in one conditional
   * update: false means the code was already used (replay), or there is no confirmed factor.
   */
  useStep(userId: string, step: number): Promise<boolean>
  /** Removes the factor and, in the same transaction, the user's recovery codes. */
  delete(userId: string): Promise<boolean>
}

/** One recovery code as stored: SHA-256 of the code (80 random bits, so no salt is needed). */
export interface RecoveryCodeStore {
  /** Replaces every code of the user with these hashes (one transaction). */
  replaceAll(userId: string, codeHashes: readonly string[], now: number): Promise<void>
  /** Spends the code if it is the user's and unspent (one conditional update); false otherwise. */
  consume(userId: string, codeHash: string, now: number): Promise<boolean>
  countUnused(userId: string): Promise<number>
}

// ---- Upstream sign-in (issue 11): identity providers, links to accounts, one sign-in's state.

/** `oidc`: any OpenID Provider by issuer (discovery); `github`: GitHub's OAuth apps and REST API (not OIDC). */
export type IdentityProviderKind = 'oidc' | 'github'

/** An upstream identity provider as an operator configured it (`tessera providers add`, the admin API). */
export interface IdentityProviderRecord {
  /** Its name in URLs (`/signin/federated/google`) and in commands: lower-case letters, digits, dashes. */
  id: string
  kind: IdentityProviderKind
  /** The button's text on the sign-in page: "Sign in with Google". */
  label: string
  /** oidc: the issuer URL discovery starts from; github: the site (https://github.com, or a GitHub Enterprise host). */
  issuer: string
  clientId: string
  /** Presented to the provider at the token endpoint; never shown again after it was set. */
  clientSecret: string
  scopes: string[]
  createdAt: number
  updatedAt: number
}

export type IdentityProviderChanges = Partial<Pick<IdentityProviderRecord, 'label' | 'issuer' | 'clientId' | 'clientSecret' | 'scopes'>>

export interface IdentityProviderStore {
  /** Every provider, in id order (the sign-in page's buttons). */
  list(): Promise<IdentityProviderRecord[]>
  findById(id: string): Promise<IdentityProviderRecord | null>
  /** Conflict('Provider already exists') when the id is taken. */
  create(provider: Omit<IdentityProviderRecord, 'createdAt' | 'updatedAt'>, now: number): Promise<IdentityProviderRecord>
  update(id: string, changes: IdentityProviderChanges, now: number): Promise<IdentityProviderRecord | null>
  /** Removes the provider, its links and its pending sign-ins. */
  delete(id: string): Promise<boolean>
}

/** A provider's account (its stable subject: OIDC `sub`, GitHub's numeric id) linked to a Tessera account. */
export interface FederatedIdentityRecord {
  providerId: string
  subject: string
  userId: string
  /** The address the provider gave at the last sign-in, for the account page. */
  email: string | null
  createdAt: number
  lastUsedAt: number
}

export interface FederatedIdentityStore {
  find(providerId: string, subject: string): Promise<FederatedIdentityRecord | null>
  listForUser(userId: string): Promise<FederatedIdentityRecord[]>
  /** Conflict when that subject is linked already, or the user has a link to this provider. */
  link(identity: FederatedIdentityRecord): Promise<FederatedIdentityRecord>
  /** A sign-in through the link: its time and the address the provider gave this time. */
  touch(providerId: string, subject: string, email: string | null, now: number): Promise<void>
  unlink(userId: string, providerId: string): Promise<boolean>
}

/** One upstream sign-in in flight: what the callback must find and check. Only hashes of state and binding are stored. */
export interface FederationStateRecord {
  stateHash: string
  providerId: string
  /** SHA-256 of the value in the browser's cookie: the callback must come back to the same browser. */
  bindingHash: string
  nonce: string | null
  codeVerifier: string
  /** What the sign-in carries on (the app's request or return_to), as the sign-in page's hidden fields. */
  carried: Record<string, string>
  /** Set when a signed-in user links a provider from the account page. */
  linkUserId: string | null
  createdAt: number
  expiresAt: number
}

export interface FederationStateStore {
  create(state: FederationStateRecord): Promise<void>
  /** Spends the state if it is live (one conditional update): of two callbacks with it, one gets the record. */
  consume(stateHash: string, now: number): Promise<FederationStateRecord | null>
  /** Housekeeping: states past their expiry. Returns how many. */
  deleteExpired(now: number): Promise<number>
}
