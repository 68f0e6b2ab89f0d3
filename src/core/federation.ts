import { randomBytes } from 'node:crypto'
import type { Clock } from './clock.js'
import { Conflict, Forbidden, InvalidGrant } from './errors.js'
import type { FederatedIdentityStore, UserStore } from './ports.js'
import { normalizeEmail, USERNAME_MAX, USERNAME_MIN, type UserRecord } from './user.js'

/*
 * Accounts behind an upstream sign-in (issue 11 part 3). A provider's subject is linked to one
 * Tessera account; the first sign-in of an unknown subject creates an account, unless its
 * address belongs to an existing one: then it links only when the provider vouches for the
 * address AND the person proves that account (its password, or a session already signed in) —
 * never silently, or whoever controls an upstream account with a victim's address would take
 * over the victim's account.
 */

/** Who the provider says signed in, after openid-client (or GitHub's API) checked everything it can. */
export interface UpstreamIdentity {
  providerId: string
  /** OIDC `sub`, GitHub's numeric user id: stable, unlike a username or an address. */
  subject: string
  email: string | null
  /** The provider vouches for the address (OIDC email_verified; GitHub's verified flag). */
  emailVerified: boolean
  name: string | null
  /** A username suggestion: GitHub's login, OIDC preferred_username. */
  preferredUsername: string | null
}

export type FederatedSignIn =
  /** Linked before, or a new account made for it: signed in. */
  | { kind: 'signed_in'; user: UserRecord; created: boolean }
  /** An existing account has this (verified) address: it must be proved before the link is made. */
  | { kind: 'confirm_link'; user: UserRecord }

export interface FederationDeps {
  users: UserStore
  federatedIdentities: FederatedIdentityStore
  registration: 'open' | 'closed'
  clock: Clock
}

/**
 * The password hash of an account made by an upstream sign-in: not a scheme any hasher knows, so
 * no password opens it (verify answers invalid) until the owner sets one through a reset link.
 */
export const NO_PASSWORD = '!federated'

export function hasPassword(user: Pick<UserRecord, 'passwordHash'>): boolean {
  return user.passwordHash !== NO_PASSWORD
}

export class ExistingAccountUnverified extends Forbidden {
  constructor() {
    super('An account with this email address exists. Sign in with its password, then link the provider on the account page.')
  }
}

/** The upstream sign-in's account: see the module comment for the rules. */
export async function resolveFederatedSignIn(identity: UpstreamIdentity, deps: FederationDeps): Promise<FederatedSignIn> {
  const linked = await deps.federatedIdentities.find(identity.providerId, identity.subject)
  if (linked !== null) {
    const user = await deps.users.findById(linked.userId)
    if (user !== null) {
      if (user.disabled) throw new InvalidGrant('Inactive user')
      await deps.federatedIdentities.touch(identity.providerId, identity.subject, identity.email, deps.clock.now())
      return { kind: 'signed_in', user, created: false }
    }
  }
  // Only an account that proved the address owns it: an unverified holder (a typo, or someone
  // squatting the address to be linked to later) must not capture the real owner's sign-in.
  const sameAddress = identity.email === null ? [] : await deps.users.findByEmail(identity.email)
  const owner = sameAddress.find((u) => u.emailVerified)
  if (owner !== undefined) {
    // Only an address the provider vouches for may even ask; the proof comes next.
    if (!identity.emailVerified) throw new ExistingAccountUnverified()
    return { kind: 'confirm_link', user: owner }
  }
  if (deps.registration === 'closed') throw new Forbidden('Registration is closed')
  const user = await createFederatedUser(identity, deps)
  await linkIdentity(user, identity, deps)
  return { kind: 'signed_in', user, created: true }
}

/** Links the identity to `user` (after the user proved the account, or from the account page). */
export async function linkIdentity(user: Pick<UserRecord, 'id'>, identity: UpstreamIdentity, deps: Pick<FederationDeps, 'federatedIdentities' | 'clock'>): Promise<void> {
  const now = deps.clock.now()
  await deps.federatedIdentities.link({
    providerId: identity.providerId, subject: identity.subject, userId: user.id, email: identity.email, createdAt: now, lastUsedAt: now,
  })                                                                  // Conflict('This account is linked already')
}

/**
 * Unlinks a provider from the account page, unless it is the last way to sign in: an account
 * without a password and without another link would be locked out for good.
 */
export async function unlinkIdentity(user: UserRecord, providerId: string, deps: Pick<FederationDeps, 'federatedIdentities'>): Promise<boolean> {
  const links = await deps.federatedIdentities.listForUser(user.id)
  if (!links.some((l) => l.providerId === providerId)) return false
  if (!hasPassword(user) && links.length === 1) {
    throw new Conflict('This is your only way to sign in. Set a password (Forgot password?) or link another provider first.')
  }
  return deps.federatedIdentities.unlink(user.id, providerId)
}

/** A username from what the provider said, made unique with a number when taken (alice, alice2, …). */
async function createFederatedUser(identity: UpstreamIdentity, deps: FederationDeps): Promise<UserRecord> {
  const base = usernameBase(identity)
  const verified = identity.emailVerified && identity.email !== null
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    const suffix = attempt === 1 ? '' : String(attempt === 20 ? randomBytes(4).toString('hex') : attempt)
    const username = `${base.slice(0, USERNAME_MAX - suffix.length)}${suffix}`
    try {
      return await deps.users.create({
        username, passwordHash: NO_PASSWORD, email: identity.email, emailVerified: verified, fullName: identity.name,
      })
    } catch (err) {
      // Taken names try the next; an address verified by another account meanwhile keeps the account, unverified.
      if (!(err instanceof Conflict)) throw err
      if (err.detail === 'Email already in use') {
        return deps.users.create({ username, passwordHash: NO_PASSWORD, email: identity.email, emailVerified: false, fullName: identity.name })
      }
    }
  }
  throw new Conflict('Username already registered')
}

/** GitHub's login, else the address's mailbox, else the name: letters, digits, dots, dashes and underscores. */
export function usernameBase(identity: Pick<UpstreamIdentity, 'preferredUsername' | 'email' | 'name' | 'providerId'>): string {
  const candidates = [identity.preferredUsername, identity.email === null ? null : normalizeEmail(identity.email).split('@')[0], identity.name]
  for (const candidate of candidates) {
    const cleaned = (candidate ?? '').normalize('NFKC').replace(/[^\p{L}\p{N}._-]+/gu, '').slice(0, USERNAME_MAX)
    if ([...cleaned].length >= USERNAME_MIN) return cleaned
  }
  return `${identity.providerId}-user`
}
