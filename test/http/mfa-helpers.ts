import * as OTPAuth from 'otpauth'
import { confirmTotpEnrolment, startTotpEnrolment, type UserRecord } from '../../src/core/index.js'
import type { TestServer } from './test-server.js'

/*
 * The second factor's suites: an account enrolled through core (the account page's own suite
 * enrols through the page), and the codes an authenticator app would show, computed here from
 * the secret at the server's frozen time (RFC 6238: SHA-1, 6 digits, 30 s).
 */

export const MFA_OTP = 'urn:tessera:params:oauth:grant-type:mfa-otp'

export interface Enrolled {
  secret: string
  recoveryCodes: string[]
}

/** The code for `secret` at the server's time, or `offsetSteps` steps away. */
export function codeAt(server: TestServer, secret: string, offsetSteps = 0): string {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 })
  return totp.generate({ timestamp: server.clock.now() + offsetSteps * 30_000 })
}

/**
 * Turns the authenticator app on for `user` (any earlier factor removed) and moves the clock to
 * the next step, so the enrolment's own code is not what the test presents next.
 */
export async function enrolTotp(server: TestServer, user: UserRecord): Promise<Enrolled> {
  const deps = { totp: server.store.totp, recoveryCodes: server.store.recoveryCodes, clock: server.clock, productName: server.config.productName }
  await server.store.totp.delete(user.id)
  const { secret } = await startTotpEnrolment(user, deps)
  const { recoveryCodes } = await confirmTotpEnrolment(user, codeAt(server, secret), deps)
  server.clock.advance(30_000)
  return { secret, recoveryCodes }
}

/** The JSON payload of a JWT, unverified (the token came from our own /token). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString('utf8'))
}
