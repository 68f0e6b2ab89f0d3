import type { Clock } from './clock.js'
import { InvalidOtp, NotFound } from './errors.js'
import type { RecoveryCodeStore, TotpStore, UserStore } from './ports.js'
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js'
import { generateTotpSecret, looksLikeTotpCode, totpUri, verifyTotp } from './totp.js'
import type { UserRecord } from './user.js'

/*
 * The second factor (issue 10): an authenticator app (TOTP) and its recovery codes. Enrolment
 * is two steps — a secret is shown, and only a right first code switches it on — so a mistyped
 * secret can lock nobody out. Once on, every sign-in and every password grant asks for a code.
 */

export interface MfaDeps {
  totp: TotpStore
  recoveryCodes: RecoveryCodeStore
  clock: Clock
  /** The service's name the authenticator app lists the account under (TESSERA_PRODUCT_NAME). */
  productName: string
}

export type MfaAccount = Pick<UserRecord, 'id' | 'username'>

/** How the second step was passed: a code from the app, or a recovery code (RFC 8176 has no value of its own for it). */
export type SecondFactorMethod = 'otp' | 'recovery_code'

/** RFC 8176 `amr` of a sign-in with a password and then this second factor. */
export function amrFor(method: SecondFactorMethod | null, first: 'pwd' | 'fed' = 'pwd'): string[] {
  if (method === 'otp') return [first, 'otp', 'mfa']
  if (method === 'recovery_code') return [first, 'mfa']
  return [first]
}

/**
 * Step 1: a new secret for the user's app, and the otpauth URI its QR code carries. Restarting
 * replaces a pending secret; Conflict when a factor is already on (remove it first).
 */
export async function startTotpEnrolment(user: MfaAccount, deps: MfaDeps): Promise<{ secret: string; uri: string }> {
  const secret = generateTotpSecret()
  await deps.totp.startEnrolment(user.id, secret, deps.clock.now())
  return { secret, uri: totpUri({ secret, issuer: deps.productName, label: user.username }) }
}

/** The pending enrolment's secret, to show the same QR code again (a wrong first code); null when none is pending. */
export async function pendingTotpEnrolment(user: MfaAccount, deps: MfaDeps): Promise<{ secret: string; uri: string } | null> {
  const record = await deps.totp.find(user.id)
  if (record === null || record.confirmedAt !== null) return null
  return { secret: record.secret, uri: totpUri({ secret: record.secret, issuer: deps.productName, label: user.username }) }
}

/**
 * Step 2: the first code from the app switches the factor on (that code's step counts as used)
 * and brings the recovery codes, returned this once. InvalidOtp for a wrong code; NotFound when
 * no enrolment is pending.
 */
export async function confirmTotpEnrolment(user: MfaAccount, code: string, deps: MfaDeps): Promise<{ recoveryCodes: string[] }> {
  const record = await deps.totp.find(user.id)
  if (record === null || record.confirmedAt !== null) throw new NotFound('No authenticator app setup is in progress')
  const now = deps.clock.now()
  const step = verifyTotp(record.secret, code, now)
  if (step === null) throw new InvalidOtp()
  if (!(await deps.totp.confirm(user.id, step, now))) throw new NotFound('No authenticator app setup is in progress') // confirmed or removed meanwhile
  return { recoveryCodes: await replaceRecoveryCodes(user.id, deps) }
}

async function replaceRecoveryCodes(userId: string, deps: MfaDeps): Promise<string[]> {
  const codes = generateRecoveryCodes()
  await deps.recoveryCodes.replaceAll(userId, codes.map((code) => hashRecoveryCode(normalizeRecoveryCode(code) as string)), deps.clock.now())
  return codes
}

/** New recovery codes (the old ones stop working), returned this once. NotFound without a factor that is on. */
export async function regenerateRecoveryCodes(user: MfaAccount, deps: MfaDeps): Promise<string[]> {
  if (!(await hasSecondFactor(user.id, deps))) throw new NotFound('Two-step verification is not on')
  return replaceRecoveryCodes(user.id, deps)
}

/** Switches the factor off (or drops a pending enrolment), its recovery codes with it. False when there was none. */
export async function removeTotp(user: Pick<UserRecord, 'id'>, deps: Pick<MfaDeps, 'totp'>): Promise<boolean> {
  return deps.totp.delete(user.id)
}

export interface TotpStatus {
  /** On: sign-ins ask for a code. */
  enrolled: boolean
  /** A secret was shown but its first code not yet entered. */
  pending: boolean
  recoveryCodesLeft: number
}

export async function totpStatus(userId: string, deps: Pick<MfaDeps, 'totp' | 'recoveryCodes'>): Promise<TotpStatus> {
  const record = await deps.totp.find(userId)
  const enrolled = record !== null && record.confirmedAt !== null
  return { enrolled, pending: record !== null && !enrolled, recoveryCodesLeft: enrolled ? await deps.recoveryCodes.countUnused(userId) : 0 }
}

/** Whether sign-ins of this account need a second step. */
export async function hasSecondFactor(userId: string, deps: { totp: Pick<TotpStore, 'find'> }): Promise<boolean> {
  const record = await deps.totp.find(userId)
  return record !== null && record.confirmedAt !== null
}

/**
 * The second step of a sign-in, shared by the sign-in page and the mfa-otp grant: six digits are
 * a code from the app — right within ±1 step and of a later step than the last one accepted
 * (one conditional update, so a code works once even when two requests race); anything else is
 * tried as a recovery code, spent by the same kind of update. Every refusal is one InvalidOtp,
 * which the login limits count as a failure (throttledLogin).
 */
export async function verifySecondFactor(userId: string, input: string, deps: Pick<MfaDeps, 'totp' | 'recoveryCodes' | 'clock'>): Promise<SecondFactorMethod> {
  const record = await deps.totp.find(userId)
  if (record === null || record.confirmedAt === null) throw new InvalidOtp()        // switched off meanwhile: start over
  if (looksLikeTotpCode(input)) {
    const step = verifyTotp(record.secret, input, deps.clock.now())
    if (step === null || !(await deps.totp.useStep(userId, step))) throw new InvalidOtp() // wrong, or a replay
    return 'otp'
  }
  const normalised = normalizeRecoveryCode(input)
  if (normalised === null || !(await deps.recoveryCodes.consume(userId, hashRecoveryCode(normalised), deps.clock.now()))) throw new InvalidOtp()
  return 'recovery_code'
}

/**
 * An administrator's reset of a user's second factor (a lost phone and no recovery codes): the
 * factor and its codes go, a pending enrolment too; the next sign-in asks for the password only.
 * Sessions are left alone: the user is who asked for this. NotFound for an unknown account.
 */
export async function resetSecondFactor(userId: string, deps: { users: Pick<UserStore, 'findById'>; totp: Pick<TotpStore, 'delete'> }): Promise<{ user: UserRecord; removed: boolean }> {
  const user = await deps.users.findById(userId)
  if (user === null) throw new NotFound('User not found')
  return { user, removed: await deps.totp.delete(user.id) }
}
