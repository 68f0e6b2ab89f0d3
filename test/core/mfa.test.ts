import { Secret, TOTP } from 'otpauth'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Conflict, InvalidOtp, NotFound } from '../../src/core/errors.js'
import {
  amrFor, confirmTotpEnrolment, hasSecondFactor, pendingTotpEnrolment, regenerateRecoveryCodes, removeTotp, resetSecondFactor,
  startTotpEnrolment, totpStatus, verifySecondFactor, type MfaDeps,
} from '../../src/core/mfa.js'
import type { UserRecord } from '../../src/core/user.js'
import { openFixture, type Fixture } from './mail-link-fixtures.js'

// The second factor on the real stores (a SQLite file: replay and single use are conditional
// updates). Codes are computed in the test from the secret, as the user's phone would.

let fx: Fixture
let user: UserRecord
let deps: MfaDeps
beforeEach(async () => {
  fx = await openFixture()
  user = await fx.account('ada')
  deps = { totp: fx.store.totp, recoveryCodes: fx.store.recoveryCodes, clock: fx.clock, productName: 'Tessera' }
})
afterEach(async () => { await fx.close() })

function codeFor(secret: string, timestamp = fx.clock.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp })
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e)
}

/** Enrolled and confirmed; the next code is a step later (the confirming code's step is used up). */
async function enrolled(): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { secret } = await startTotpEnrolment(user, deps)
  const { recoveryCodes } = await confirmTotpEnrolment(user, codeFor(secret), deps)
  fx.clock.advance(30_000)
  return { secret, recoveryCodes }
}

describe('enrolment', () => {
  it('starts with a secret and the URI for the QR code; nothing is on until the first code', async () => {
    const { secret, uri } = await startTotpEnrolment(user, deps)
    expect(uri).toBe(`otpauth://totp/Tessera:ada?issuer=Tessera&secret=${secret}&algorithm=SHA1&digits=6&period=30`)
    expect(await totpStatus(user.id, deps)).toEqual({ enrolled: false, pending: true, recoveryCodesLeft: 0 })
    expect(await hasSecondFactor(user.id, deps)).toBe(false)
    expect(await pendingTotpEnrolment(user, deps)).toEqual({ secret, uri })
  })

  it('a restart replaces the pending secret: the old one\'s codes do not confirm', async () => {
    const first = await startTotpEnrolment(user, deps)
    const second = await startTotpEnrolment(user, deps)
    expect(second.secret).not.toBe(first.secret)
    expect(await rejection(confirmTotpEnrolment(user, codeFor(first.secret), deps))).toBeInstanceOf(InvalidOtp)
    await confirmTotpEnrolment(user, codeFor(second.secret), deps)
  })

  it('a wrong first code changes nothing; the right one switches it on with 10 recovery codes, shown once', async () => {
    const { secret } = await startTotpEnrolment(user, deps)
    expect(await rejection(confirmTotpEnrolment(user, '000000', deps))).toBeInstanceOf(InvalidOtp)
    expect(await totpStatus(user.id, deps)).toMatchObject({ enrolled: false, pending: true })
    const { recoveryCodes } = await confirmTotpEnrolment(user, codeFor(secret), deps)
    expect(recoveryCodes).toHaveLength(10)
    expect(await totpStatus(user.id, deps)).toEqual({ enrolled: true, pending: false, recoveryCodesLeft: 10 })
    expect(await hasSecondFactor(user.id, deps)).toBe(true)
    expect(await pendingTotpEnrolment(user, deps)).toBeNull()
    expect((await fx.store.totp.find(user.id))?.lastUsedStep).toBe(Math.floor(fx.clock.now() / 30_000)) // the confirming code is spent
  })

  it('refuses a second enrolment while one is on (Conflict), and a confirmation with nothing pending (NotFound)', async () => {
    const { secret } = await enrolled()
    expect(await rejection(startTotpEnrolment(user, deps))).toBeInstanceOf(Conflict)
    expect(await rejection(confirmTotpEnrolment(user, codeFor(secret), deps))).toBeInstanceOf(NotFound)
    const other = await fx.account('bob')
    expect(await rejection(confirmTotpEnrolment(other, '123456', deps))).toBeInstanceOf(NotFound)
  })
})

describe('verifySecondFactor', () => {
  it('takes the app\'s code once: the same code again is a replay, even within its window', async () => {
    const { secret } = await enrolled()
    const code = codeFor(secret)
    expect(await verifySecondFactor(user.id, code, deps)).toBe('otp')
    expect(await rejection(verifySecondFactor(user.id, code, deps))).toBeInstanceOf(InvalidOtp)
    fx.clock.advance(10_000)                                                   // same step or the next: still the used code
    expect(await rejection(verifySecondFactor(user.id, code, deps))).toBeInstanceOf(InvalidOtp)
  })

  it('refuses an older step\'s code after a newer one was used, takes the next step\'s', async () => {
    const { secret } = await enrolled()
    const now = fx.clock.now()
    expect(await verifySecondFactor(user.id, codeFor(secret, now + 30_000), deps)).toBe('otp') // the phone a step ahead
    expect(await rejection(verifySecondFactor(user.id, codeFor(secret, now), deps))).toBeInstanceOf(InvalidOtp)
    fx.clock.advance(60_000)
    expect(await verifySecondFactor(user.id, codeFor(secret), deps)).toBe('otp')
  })

  it('refuses wrong codes, codes two steps old, and anything for an account without a factor', async () => {
    const { secret } = await enrolled()
    expect(await rejection(verifySecondFactor(user.id, codeFor(secret, fx.clock.now() - 60_000), deps))).toBeInstanceOf(InvalidOtp)
    for (const input of ['', 'nope', '12345']) expect(await rejection(verifySecondFactor(user.id, input, deps)), input).toBeInstanceOf(InvalidOtp)
    const other = await fx.account('bob')
    expect(await rejection(verifySecondFactor(other.id, codeFor(secret), deps))).toBeInstanceOf(InvalidOtp)
  })

  it('takes each recovery code once, typed in any case with or without dashes', async () => {
    const { recoveryCodes } = await enrolled()
    const [first, second] = recoveryCodes as [string, string]
    expect(await verifySecondFactor(user.id, first, deps)).toBe('recovery_code')
    expect(await rejection(verifySecondFactor(user.id, first, deps))).toBeInstanceOf(InvalidOtp)
    expect(await verifySecondFactor(user.id, second.toUpperCase().replace(/-/g, ''), deps)).toBe('recovery_code')
    expect(await totpStatus(user.id, deps)).toMatchObject({ recoveryCodesLeft: 8 })
    expect(await rejection(verifySecondFactor(user.id, 'abcd-efgh-ijkl-mnop', deps))).toBeInstanceOf(InvalidOtp)
  })

  it('another account\'s recovery code is no use', async () => {
    await enrolled()
    const bob = await fx.account('bob')
    const bobsDeps = { ...deps }
    const { secret } = await startTotpEnrolment(bob, bobsDeps)
    const { recoveryCodes } = await confirmTotpEnrolment(bob, codeFor(secret), bobsDeps)
    expect(await rejection(verifySecondFactor(user.id, recoveryCodes[0] as string, deps))).toBeInstanceOf(InvalidOtp)
  })
})

describe('regenerate, remove, reset', () => {
  it('new recovery codes replace all the old ones', async () => {
    const { recoveryCodes: old } = await enrolled()
    await verifySecondFactor(user.id, old[0] as string, deps)
    const fresh = await regenerateRecoveryCodes(user, deps)
    expect(fresh).toHaveLength(10)
    expect(fresh.some((code) => old.includes(code))).toBe(false)
    expect(await totpStatus(user.id, deps)).toMatchObject({ recoveryCodesLeft: 10 })
    expect(await rejection(verifySecondFactor(user.id, old[1] as string, deps))).toBeInstanceOf(InvalidOtp)
    expect(await verifySecondFactor(user.id, fresh[0] as string, deps)).toBe('recovery_code')
  })

  it('regenerating needs a factor that is on', async () => {
    expect(await rejection(regenerateRecoveryCodes(user, deps))).toBeInstanceOf(NotFound)
    await startTotpEnrolment(user, deps)
    expect(await rejection(regenerateRecoveryCodes(user, deps))).toBeInstanceOf(NotFound)
  })

  it('removing switches it off, recovery codes with it', async () => {
    const { secret, recoveryCodes } = await enrolled()
    expect(await removeTotp(user, deps)).toBe(true)
    expect(await removeTotp(user, deps)).toBe(false)
    expect(await totpStatus(user.id, deps)).toEqual({ enrolled: false, pending: false, recoveryCodesLeft: 0 })
    expect(await fx.store.recoveryCodes.countUnused(user.id)).toBe(0)
    expect(await rejection(verifySecondFactor(user.id, codeFor(secret), deps))).toBeInstanceOf(InvalidOtp)
    expect(await rejection(verifySecondFactor(user.id, recoveryCodes[0] as string, deps))).toBeInstanceOf(InvalidOtp)
  })

  it('an administrator\'s reset removes it and says whether there was one; an unknown account is NotFound', async () => {
    await enrolled()
    const resetDeps = { users: fx.store.users, totp: fx.store.totp }
    expect(await resetSecondFactor(user.id, resetDeps)).toMatchObject({ user: { id: user.id }, removed: true })
    expect(await resetSecondFactor(user.id, resetDeps)).toMatchObject({ removed: false })
    expect(await rejection(resetSecondFactor('00000000-0000-4000-8000-000000000000', resetDeps))).toBeInstanceOf(NotFound)
    expect(await hasSecondFactor(user.id, deps)).toBe(false)
  })
})

describe('amrFor (RFC 8176)', () => {
  it('says how the sign-in was made', () => {
    expect(amrFor(null)).toEqual(['pwd'])
    expect(amrFor('otp')).toEqual(['pwd', 'otp', 'mfa'])
    expect(amrFor('recovery_code')).toEqual(['pwd', 'mfa'])
  })
})
