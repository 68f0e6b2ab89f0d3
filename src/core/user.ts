import type { Scope } from './scopes.js'

/** A user as stored. Only storage and core see this; the HTTP layer shows `PublicUser`. */
export interface UserRecord {
  /** Immutable UUID: the `sub` of every token, so a rename never re-targets a token. */
  id: string
  username: string
  email: string | null
  /**
   * The owner proved `email` by a mailed link (issue 10). Any change of address clears it. Among
   * verified addresses an email is unique ignoring case (the store refuses a second with Conflict).
   */
  emailVerified: boolean
  fullName: string | null
  /** PHC string (argon2id) or a legacy bcrypt `$2a$/$2b$/$2y$` hash. Never leaves the server. */
  passwordHash: string
  disabled: boolean
  /** Scopes this user may be granted (the upper bound of any token). */
  scopes: Scope[]
  /** Tokens with `iat` before this (epoch seconds) are rejected: logout-all / password change. */
  tokensNotBefore: number | null
  createdAt: Date
  updatedAt: Date
}

/** What a client may see of a user (SPEC.md "Users"): never a hash. */
export interface PublicUser {
  id: string
  username: string
  email: string | null
  email_verified: boolean
  full_name: string | null
  disabled: boolean
}

export interface NewUser {
  username: string
  passwordHash: string
  email?: string | null
  /** Imported or admin-created accounts may arrive verified; registration never does. */
  emailVerified?: boolean
  fullName?: string | null
  disabled?: boolean
  scopes?: Scope[]
}

export function toPublicUser(user: UserRecord): PublicUser {
  return { id: user.id, username: user.username, email: user.email, email_verified: user.emailVerified, full_name: user.fullName, disabled: user.disabled }
}

export const USERNAME_MIN = 3
export const USERNAME_MAX = 50

/**
 * The key usernames are unique under: NFKC (so compatibility forms like full-width letters fold
 * to one name) then case-folded, so "JohnDoe" and "johndoe" cannot both exist.
 */
/** The key verified emails are unique under: the whole address lower-cased (as Supabase and Keycloak compare them). */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase()
}

export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase()
}

export interface ItemRecord {
  id: number
  ownerId: string
  /** The tutorial's item name ("Foo"): unique per owner. */
  itemId: string
  title: string | null
  description: string | null
}

export interface NewItem {
  itemId: string
  title?: string | null
  description?: string | null
}

/** The item as the tutorial shows it: `{"item_id": "Foo", "owner": "johndoe", ...}`. */
export interface PublicItem {
  item_id: string
  owner: string
  title: string | null
  description: string | null
}

export function toPublicItem(item: ItemRecord, ownerUsername: string): PublicItem {
  return { item_id: item.itemId, owner: ownerUsername, title: item.title, description: item.description }
}
