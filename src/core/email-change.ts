import { assertEmailShape, sameAddress, type EmailVerificationPolicy } from './email-verification.js'
import { Conflict, InvalidLink, NotFound, ValidationFailed } from './errors.js'
import { confirmEmailChangeMail, emailChangedNotice } from './mail-templates.js'
import { MAILED_LINK_PATHS, mailedLink, type MailLinkDeps } from './mailed-link.js'
import { ONE_TIME_TOKEN_SECONDS, consumeOneTimeToken, findLiveOneTimeToken, issueOneTimeToken, type OneTimeTokenDeps } from './one-time-token.js'
import type { UserStore } from './ports.js'
import type { UserRecord } from './user.js'

export interface EmailChangeDeps extends MailLinkDeps {
  users: Pick<UserStore, 'findByEmail' | 'update'>
  policy: EmailVerificationPolicy
}

/**
 * The signed-in user asks for a new address (the account page; the caller has checked the
 * password). With mail and verification on, nothing changes yet: the new address gets a link
 * (24 h, single-use) and the change applies when it is opened, verified; the current address is
 * told at once, so a hijacker who got into the account cannot move it away unnoticed. With mail
 * off or TESSERA_EMAIL_VERIFICATION=off the new address applies at once, unverified (and the old
 * one is still told when mail is on). `applied`: the account has the new address now.
 *
 * Refused: a malformed address (422), the current address (422), an address another account
 * has verified (Conflict 'Email already in use', 409).
 */
export async function requestEmailChange(user: UserRecord, newEmail: string, deps: EmailChangeDeps): Promise<{ applied: boolean }> {
  assertEmailShape(newEmail)
  if (sameAddress(user.email, newEmail)) throw unchanged(newEmail)
  const taken = (await deps.users.findByEmail(newEmail)).some((u) => u.emailVerified && u.id !== user.id)
  if (taken) throw new Conflict('Email already in use')
  const notice = () => {
    if (user.email !== null) deps.mailer.enqueue(emailChangedNotice({ productName: deps.productName, to: user.email, newEmail }))
  }
  if (!deps.mailer.enabled || deps.policy === 'off') {
    if ((await deps.users.update(user.id, { email: newEmail })) === null) throw new NotFound('User not found') // deleted meanwhile
    if (deps.mailer.enabled) notice()
    return { applied: true }
  }
  const { token } = await issueOneTimeToken({ purpose: 'change_email', userId: user.id, email: newEmail }, deps)
  deps.mailer.enqueue(confirmEmailChangeMail({
    productName: deps.productName, to: newEmail, hours: ONE_TIME_TOKEN_SECONDS.change_email / 3600,
    link: mailedLink(deps.issuer, MAILED_LINK_PATHS.changeEmail, token),
  }))
  notice()
  return { applied: false }
}

/** What a confirmation link would change, without using it (the page that asks first shows it). */
export interface PendingEmailChange {
  user: UserRecord
  newEmail: string
}

export async function pendingEmailChange(token: unknown, deps: OneTimeTokenDeps & { users: Pick<UserStore, 'findById'> }): Promise<PendingEmailChange> {
  const record = await findLiveOneTimeToken(token, 'change_email', deps)
  const user = record === null ? null : await deps.users.findById(record.userId)
  if (record === null || record.email === null || user === null || askedBeforeSessionsEnded(record, user)) throw new InvalidLink()
  return { user, newEmail: record.email }
}

/**
 * A change asked for before the account's sessions were last ended (a password reset or change,
 * "log out everywhere", an administrator) is void: otherwise someone who had the password and a
 * session could ask to move the address, wait for the owner to reset the password, and then
 * confirm the move — and with it the next password reset.
 */
function askedBeforeSessionsEnded(record: { createdAt: number }, user: Pick<UserRecord, 'tokensNotBefore'>): boolean {
  return user.tokensNotBefore !== null && record.createdAt < user.tokensNotBefore * 1000
}

/** The change as confirmed: the account now, and the address it had before. */
export interface EmailChanged {
  user: UserRecord
  previousEmail: string | null
}

/**
 * Uses a confirmation link: the account's address becomes the new one, verified (opening the link
 * proved it). Conflict('Email already in use') when another account verified it meanwhile.
 */
export async function confirmEmailChange(token: unknown, deps: OneTimeTokenDeps & { users: Pick<UserStore, 'findById' | 'update'> }): Promise<EmailChanged> {
  const record = await consumeOneTimeToken(token, 'change_email', deps)           // single use
  const user = record === null ? null : await deps.users.findById(record.userId)
  if (record === null || record.email === null || user === null || askedBeforeSessionsEnded(record, user)) throw new InvalidLink()
  const changed = await deps.users.update(user.id, { email: record.email, emailVerified: true }) // Conflict passes through
  if (changed === null) throw new InvalidLink()                                   // deleted meanwhile
  return { user: changed, previousEmail: user.email }
}

function unchanged(email: string): ValidationFailed {
  return new ValidationFailed([{ type: 'value_error', loc: ['body', 'email'], msg: 'Value error, New email address must differ from the current one', input: email }])
}
