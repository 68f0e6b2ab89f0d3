import type { FastifyRequest } from 'fastify'
import { InvalidOtp, TooManyRequests, type Audit, type Clock, type RecoveryCodeStore, type SecondFactorMethod, type UserRecord } from '../core/index.js'
import { recordAudit } from './audit.js'

/** Where the second step happened: the mfa-otp grant at /token, or the sign-in page. */
export type MfaVia = 'token' | 'sign_in_page'

export interface MfaAuditDeps {
  audit: Audit
  recoveryCodes: Pick<RecoveryCodeStore, 'countUnused'>
  clock: Clock
}

/**
 * A refused second step, as the audit log keeps it: which account (its password was right), and
 * why as a code — never the code typed. A throttled attempt is not recorded, as for passwords
 * (recordLoginFailed): the failures that led to the lock are. Null for what is not a refusal.
 */
export async function recordMfaFailed(
  request: FastifyRequest, deps: MfaAuditDeps, who: { user: Pick<UserRecord, 'id' | 'username'>; clientId: string | null; via: MfaVia }, err: unknown,
): Promise<void> {
  if (err instanceof TooManyRequests || !(err instanceof InvalidOtp)) return
  await recordAudit(deps.audit, request, 'mfa.challenge_failed', {
    userId: who.user.id, username: who.user.username, clientId: who.clientId, details: { reason: 'invalid_otp', via: who.via },
  }, deps.clock.now())
}

/** A recovery code was spent: the owner should know how many are left (an attacker may have used one). */
export async function recordRecoveryCodeUsed(
  request: FastifyRequest, deps: MfaAuditDeps, who: { user: Pick<UserRecord, 'id' | 'username'>; clientId: string | null; via: MfaVia }, method: SecondFactorMethod,
): Promise<void> {
  if (method !== 'recovery_code') return
  const left = await deps.recoveryCodes.countUnused(who.user.id)
  await recordAudit(deps.audit, request, 'mfa.recovery_code_used', {
    userId: who.user.id, username: who.user.username, clientId: who.clientId, details: { via: who.via, recovery_codes_left: left },
  }, deps.clock.now())
}
