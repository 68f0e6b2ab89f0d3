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
  email?: string | null
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
}

export type NewRefreshToken = Omit<RefreshTokenRecord, 'rotatedAt' | 'revokedAt'>

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
}

export type NewClient = Omit<ClientRecord, 'createdAt'>

export interface ClientStore {
  findById(id: string): Promise<ClientRecord | null>
  /** Throws `Conflict('Client already exists')` for a taken id. */
  create(client: NewClient): Promise<ClientRecord>
  list(): Promise<ClientRecord[]>
  update(id: string, changes: Partial<Pick<ClientRecord, 'name' | 'grantTypes' | 'scopes' | 'secretHash'>>): Promise<ClientRecord | null>
  delete(id: string): Promise<boolean>
}

export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256'
export type SigningKeyStatus = 'active' | 'verifying' | 'retired'

/** An asymmetric signing key. The private key is PKCS#8 PEM and never leaves the server. */
export interface SigningKeyRecord {
  kid: string
  algorithm: SigningAlgorithm
  privateKeyPem: string
  /** The public JWK (RFC 7517) as published at /.well-known/jwks.json. */
  publicJwk: Record<string, unknown>
  /** `active` signs (exactly one at most), `verifying` only verifies, `retired` does neither. */
  status: SigningKeyStatus
  createdAt: number
}

export interface SigningKeyStore {
  list(): Promise<SigningKeyRecord[]>
  /** Inserts `key`; when it is `active`, demotes the previous active key to `verifying` in the same transaction. */
  insert(key: SigningKeyRecord): Promise<void>
  /** False when there is no such key. Setting `active` demotes the active key to `verifying` in the same transaction. */
  setStatus(kid: string, status: SigningKeyStatus): Promise<boolean>
}

export interface AuditStore {
  record(event: AuditEvent): Promise<void>
  /** Newest first. */
  list(filter: AuditFilter): Promise<AuditRecord[]>
  /** Deletes the entries recorded before `cutoff` (epoch ms): retention (housekeeping). Returns how many. */
  deleteOlderThan(cutoff: number): Promise<number>
}
