import { randomUUID } from 'node:crypto'
import { assertEmailShape, sameAddress } from './email-verification.js'
import { Conflict, InvalidLink } from './errors.js'
import { passwordResetDoneNotice, resetPasswordMail } from './mail-templates.js'
import { MAILED_LINK_PATHS, mailedLink, type MailLinkDeps } from './mailed-link.js'
import { ONE_TIME_TOKEN_SECONDS, consumeOneTimeToken, findLiveOneTimeToken, issueOneTimeToken, type OneTimeTokenDeps } from './one-time-token.js'
import type { PasswordHasher } from './password.js'
import { assertPasswordAcceptable } from './password-policy.js'
import type { Mailer } from './mail.js'
import type { UserStore } from './ports.js'
import { endAllSessions, type EndSessionsDeps } from './sessions.js'
import type { UserRecord } from './user.js'

/** At most this many accounts get a reset link for one address (unverified addresses are not unique; each page names its account). */
export const RESET_ACCOUNTS_PER_ADDRESS = 3

export interface PasswordResetRequestDeps extends MailLinkDeps {
  users: Pick<UserStore, 'findByEmail'>
}

/**
 * "Forgot password?": the accounts using `email` get a link to choose a new password (30 min,
 * single-use; an older unused link stops working). When a verified account holds the address,
 * only it does; otherwise each active account that gave it (they cannot be told apart by the
 * address alone). Disabled accounts get nothing. The caller must answer the same whatever this
 * finds: the accounts returned are for the audit log. For an address no account uses the same
 * kind of store round trip is made, so the work differs little; the HTTP layer pads the rest.
 */
export async function requestPasswordReset(email: string, deps: PasswordResetRequestDeps): Promise<UserRecord[]> {
  assertEmailShape(email)                                                         // a 422 says nothing about accounts
  const accounts = resetCandidates(await deps.users.findByEmail(email))
  if (accounts.length === 0 || !deps.mailer.enabled) {
    await deps.oneTimeTokens.consumeAllForUser(randomUUID(), 'reset_password', deps.clock.now()) // the write a real request makes; matches nothing
    return []
  }
  for (const account of accounts) {
    const { token } = await issueOneTimeToken({ purpose: 'reset_password', userId: account.id, email: account.email }, deps)
    deps.mailer.enqueue(resetPasswordMail({
      productName: deps.productName, to: account.email as string, minutes: ONE_TIME_TOKEN_SECONDS.reset_password / 60,
      link: mailedLink(deps.issuer, MAILED_LINK_PATHS.resetPassword, token),
    }))
  }
  return accounts
}

function resetCandidates(found: readonly UserRecord[]): UserRecord[] {
  const active = found.filter((u) => !u.disabled && u.email !== null)
  const verified = active.find((u) => u.emailVerified)
  return verified === undefined ? active.slice(0, RESET_ACCOUNTS_PER_ADDRESS) : [verified]
}

export interface PasswordResetLinkDeps extends OneTimeTokenDeps {
  users: Pick<UserStore, 'findById'>
}

/**
 * The account a reset link is for, without using the link (the page that asks for the new
 * password names it); InvalidLink when the link cannot be used.
 */
export async function passwordResetAccount(token: unknown, deps: PasswordResetLinkDeps): Promise<UserRecord> {
  const record = await findLiveOneTimeToken(token, 'reset_password', deps)
  const user = record === null ? null : await deps.users.findById(record.userId)
  if (record === null || user === null || !sameAddress(user.email, record.email)) throw new InvalidLink()
  return user
}

export interface PasswordResetDeps extends OneTimeTokenDeps, EndSessionsDeps {
  users: UserStore
  hasher: PasswordHasher
  passwordMaxBytes: number
  mailer: Mailer
  productName: string
}

export interface PasswordResetRequest {
  token: unknown
  newPassword: string
}

/**
 * Uses a reset link: the new password (registration's policy) replaces the old one and every
 * session of the account ends — refresh tokens, browser sign-ins, access tokens issued until
 * now — as do its other reset links and any sign-in waiting for its second factor (they proved
 * the old password). Opening the link proved the mailbox, so the address counts as verified
 * unless another account verified it first. The owner is told by mail that it happened.
 *
 * The link is checked before the ~100 ms hash and used after it, in one conditional update, so
 * a wrong link costs no hashing and of two concurrent uses exactly one sets a password.
 */
export async function resetPasswordWithLink(request: PasswordResetRequest, deps: PasswordResetDeps): Promise<UserRecord> {
  assertPasswordAcceptable(request.newPassword, deps.passwordMaxBytes, ['body', 'new_password']) // before the link is spent
  await passwordResetAccount(request.token, deps)                                 // InvalidLink before any hashing
  const passwordHash = await deps.hasher.hash(request.newPassword)               // argon2id
  const record = await consumeOneTimeToken(request.token, 'reset_password', deps) // single use
  const user = record === null ? null : await deps.users.findById(record.userId)
  if (record === null || user === null || !sameAddress(user.email, record.email)) throw new InvalidLink()
  await deps.users.updatePasswordHash(user.id, passwordHash)
  await endAllSessions(user.id, deps)                                            // every session, everywhere
  await deps.oneTimeTokens.consumeAllForUser(user.id, 'reset_password', deps.clock.now())
  await deps.oneTimeTokens.consumeAllForUser(user.id, 'mfa', deps.clock.now())
  const current = await markVerified(user, deps.users)
  if (deps.mailer.enabled && current.email !== null) deps.mailer.enqueue(passwordResetDoneNotice({ productName: deps.productName, to: current.email }))
  return current
}

/** The mailbox answered: verified, unless another account holds the address verified (then it stays as it was). */
async function markVerified(user: UserRecord, users: Pick<UserStore, 'findById' | 'update'>): Promise<UserRecord> {
  const current = (await users.findById(user.id)) ?? user
  if (current.emailVerified) return current
  try {
    return (await users.update(user.id, { emailVerified: true })) ?? current
  } catch (err) {
    if (err instanceof Conflict) return current
    throw err
  }
}
