import { InvalidLink, ValidationFailed } from './errors.js'
import { verifyEmailMail } from './mail-templates.js'
import { MAILED_LINK_PATHS, mailedLink, type MailLinkDeps } from './mailed-link.js'
import { ONE_TIME_TOKEN_SECONDS, consumeOneTimeToken, findLiveOneTimeToken, issueOneTimeToken, type OneTimeTokenDeps } from './one-time-token.js'
import type { UserStore } from './ports.js'
import { emailIssues } from './registration.js'
import { normalizeEmail, type UserRecord } from './user.js'

/**
 * TESSERA_EMAIL_VERIFICATION. `off`: no verification mails; `optional`: new and changed addresses
 * get a link and nothing waits for it; `required`: sign-in and the password grant refuse an
 * account whose address is not verified (verifyCredentials).
 */
export type EmailVerificationPolicy = 'off' | 'optional' | 'required'

export interface EmailVerificationDeps extends MailLinkDeps {
  policy: EmailVerificationPolicy
}

/**
 * At most this many accounts get a link for one address asked for without signing in (the
 * resend form): unverified addresses are not unique, and a page per link names its account.
 */
export const ACCOUNTS_PER_ADDRESS = 3

/** Whether two stored addresses are the same one, as uniqueness compares them. */
export function sameAddress(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && normalizeEmail(a) === normalizeEmail(b)
}

/**
 * Mails the account a link that proves its address (24 h, single-use; an older unused link stops
 * working). False, and nothing sent, when there is nothing to verify or no way to: mail is off,
 * the policy is `off`, the account has no address or it is verified already.
 */
export async function sendEmailVerification(user: UserRecord, deps: EmailVerificationDeps): Promise<boolean> {
  if (!deps.mailer.enabled || deps.policy === 'off' || user.email === null || user.emailVerified) return false
  const { token } = await issueOneTimeToken({ purpose: 'verify_email', userId: user.id, email: user.email }, deps)
  deps.mailer.enqueue(verifyEmailMail({
    productName: deps.productName, to: user.email, hours: ONE_TIME_TOKEN_SECONDS.verify_email / 3600,
    link: mailedLink(deps.issuer, MAILED_LINK_PATHS.verifyEmail, token),
  }))
  return true
}

/**
 * "Send the link again" for someone who cannot sign in yet (TESSERA_EMAIL_VERIFICATION=required):
 * they give the address, and each active account with it unverified gets a fresh link. The
 * caller answers the same whether any did — the returned accounts are for the audit log only.
 */
export async function resendEmailVerification(email: string, deps: EmailVerificationDeps & { users: Pick<UserStore, 'findByEmail'> }): Promise<UserRecord[]> {
  assertEmailShape(email)
  if (!deps.mailer.enabled || deps.policy === 'off') return []
  const accounts = (await deps.users.findByEmail(email)).filter((u) => !u.emailVerified && !u.disabled).slice(0, ACCOUNTS_PER_ADDRESS)
  for (const account of accounts) await sendEmailVerification(account, deps)
  return accounts
}

/** What a verification link would verify, without using it (the page that asks first names the account); InvalidLink otherwise. */
export async function pendingEmailVerification(token: unknown, deps: OneTimeTokenDeps & { users: Pick<UserStore, 'findById'> }): Promise<UserRecord> {
  const record = await findLiveOneTimeToken(token, 'verify_email', deps)
  const user = record === null ? null : await deps.users.findById(record.userId)
  if (record === null || user === null || !sameAddress(user.email, record.email)) throw new InvalidLink()
  return user
}

/**
 * Uses a verification link: the account's address is verified — if it is still the address the
 * link was sent to (a link for an address the account no longer has proves nothing about the
 * current one). Conflict('Email already in use') when another account verified it meanwhile.
 */
export async function verifyEmail(token: unknown, deps: OneTimeTokenDeps & { users: Pick<UserStore, 'findById' | 'update'> }): Promise<UserRecord> {
  const record = await consumeOneTimeToken(token, 'verify_email', deps)          // single use: of two clicks one wins
  if (record === null) throw new InvalidLink()
  const user = await deps.users.findById(record.userId)
  if (user === null || !sameAddress(user.email, record.email)) throw new InvalidLink()
  if (user.emailVerified) return user
  const verified = await deps.users.update(user.id, { emailVerified: true })     // Conflict passes through
  if (verified === null) throw new InvalidLink()                                 // deleted meanwhile
  return verified
}

/** The address shape registration accepts, as a 422 on `email` (pydantic's shape). */
export function assertEmailShape(email: string): void {
  const issues = emailIssues(email)
  if (issues.length > 0) throw new ValidationFailed(issues)
}

/**
 * Under `required` an account must have an address it can verify: registration without one is
 * refused (Field required on `email`), since the account could never sign in.
 */
export function assertEmailForPolicy(email: string | null | undefined, policy: EmailVerificationPolicy): void {
  if (policy !== 'required' || (email !== null && email !== undefined && email !== '')) return
  throw new ValidationFailed([{ type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: null }])
}
