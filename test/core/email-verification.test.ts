import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyCredentials } from '../../src/core/credentials.js'
import {
  assertEmailForPolicy, pendingEmailVerification, resendEmailVerification, sendEmailVerification, verifyEmail,
  type EmailVerificationDeps, type EmailVerificationPolicy,
} from '../../src/core/email-verification.js'
import { Conflict, EmailNotVerified, InvalidCredentials, InvalidGrant, InvalidLink, ValidationFailed } from '../../src/core/errors.js'
import { ISSUER, fakeHasher, openFixture, recordingMailer, tokenIn, type Fixture } from './mail-link-fixtures.js'

// Email verification (issue 10 part 2): a single-use link (24 h) proves the address; `required`
// refuses sign-in until it is proved, and only to someone who knows the password.

let fx: Fixture
beforeEach(async () => { fx = await openFixture() })
afterEach(async () => { await fx.close() })

function deps(overrides: Partial<EmailVerificationDeps> = {}): EmailVerificationDeps & { users: Fixture['store']['users'] } {
  return {
    oneTimeTokens: fx.store.oneTimeTokens, clock: fx.clock, mailer: fx.mailer, issuer: ISSUER, productName: 'Tessera', policy: 'optional',
    users: fx.store.users, ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e)
}

describe('sendEmailVerification', () => {
  it('mails the account\'s address a link to /email/verify that verifies it', async () => {
    const ada = await fx.account('ada', { email: 'Ada@Example.com' })
    expect(await sendEmailVerification(ada, deps())).toBe(true)
    const mail = fx.mailer.only('verify_email', 'Ada@Example.com')
    const token = tokenIn(mail, '/email/verify')
    expect(mail.html).toContain(token)
    expect((await fx.store.users.findById(ada.id))?.emailVerified).toBe(false)    // sending proves nothing
    const verified = await verifyEmail(token, deps())
    expect(verified).toMatchObject({ id: ada.id, email: 'Ada@Example.com', emailVerified: true })
    expect((await fx.store.users.findById(ada.id))?.emailVerified).toBe(true)
  })

  it.each<[string, Partial<EmailVerificationDeps>, Record<string, unknown>]>([
    ['mail is off', { mailer: recordingMailer(false) }, { email: 'ada@example.com' }],
    ['the policy is off', { policy: 'off' }, { email: 'ada@example.com' }],
    ['the account has no address', {}, { email: null }],
    ['the address is verified already', {}, { email: 'ada@example.com', emailVerified: true }],
  ])('sends nothing and says so when %s', async (_case, overrides, account) => {
    const ada = await fx.account('ada', account)
    const mailer = (overrides.mailer ?? fx.mailer) as ReturnType<typeof recordingMailer>
    expect(await sendEmailVerification(ada, deps(overrides))).toBe(false)
    expect(mailer.sent).toEqual([])
    expect(fx.mailer.sent).toEqual([])
  })

  it('makes an earlier link void: only the latest mail works', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    await sendEmailVerification(ada, deps())
    await sendEmailVerification(ada, deps())
    const [first, second] = fx.mailer.sent.map((m) => tokenIn(m, '/email/verify'))
    expect(await rejection(verifyEmail(first, deps()))).toBeInstanceOf(InvalidLink)
    expect((await verifyEmail(second, deps())).emailVerified).toBe(true)
  })
})

describe('verifyEmail', () => {
  async function linkFor(username: string, email: string): Promise<{ id: string; token: string }> {
    const user = await fx.account(username, { email })
    fx.mailer.sent.length = 0
    await sendEmailVerification(user, deps())
    return { id: user.id, token: tokenIn(fx.mailer.sent[0]!, '/email/verify') }
  }

  it('works once: the second use of the link is refused', async () => {
    const { token } = await linkFor('ada', 'ada@example.com')
    await verifyEmail(token, deps())
    expect(await rejection(verifyEmail(token, deps()))).toBeInstanceOf(InvalidLink)
  })

  it('refuses a made-up, malformed or missing token the same way', async () => {
    await linkFor('ada', 'ada@example.com')
    for (const token of ['A'.repeat(43), 'nope', '', undefined]) {
      const err = await rejection(verifyEmail(token, deps()))
      expect(err).toBeInstanceOf(InvalidLink)
      expect((err as InvalidLink).detail).toBe('This link is invalid or has expired')
    }
  })

  it('refuses a link after 24 hours', async () => {
    const { id, token } = await linkFor('ada', 'ada@example.com')
    fx.clock.advance(24 * 60 * 60 * 1000)
    expect(await rejection(verifyEmail(token, deps()))).toBeInstanceOf(InvalidLink)
    expect((await fx.store.users.findById(id))?.emailVerified).toBe(false)
  })

  it('refuses a link for an address the account no longer has: it proves nothing about the new one', async () => {
    const { id, token } = await linkFor('ada', 'ada@example.com')
    await fx.store.users.update(id, { email: 'ada@elsewhere.example' })
    expect(await rejection(verifyEmail(token, deps()))).toBeInstanceOf(InvalidLink)
    expect(await fx.store.users.findById(id)).toMatchObject({ email: 'ada@elsewhere.example', emailVerified: false })
  })

  it('answers Conflict when another account verified the same address (ignoring case) first', async () => {
    const first = await linkFor('ada', 'ada@example.com')
    const second = await linkFor('eve', 'ADA@example.com')
    await verifyEmail(first.token, deps())
    const err = await rejection(verifyEmail(second.token, deps()))
    expect(err).toBeInstanceOf(Conflict)
    expect((err as Conflict).detail).toBe('Email already in use')
    expect((await fx.store.users.findById(second.id))?.emailVerified).toBe(false)
  })

  it('shows which account a link is for without using it', async () => {
    const { id, token } = await linkFor('ada', 'ada@example.com')
    expect((await pendingEmailVerification(token, deps())).id).toBe(id)
    expect((await pendingEmailVerification(token, deps())).id).toBe(id)
    await verifyEmail(token, deps())
    expect(await rejection(pendingEmailVerification(token, deps()))).toBeInstanceOf(InvalidLink)
  })
})

describe('resendEmailVerification', () => {
  it('mails a new link to each active, unverified account with the address, ignoring case', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const eve = await fx.account('eve', { email: 'ADA@EXAMPLE.COM' })
    await fx.account('off', { email: 'ada@example.com', disabled: true })
    await fx.account('bob', { email: 'bob@example.com' })
    const mailed = await resendEmailVerification('Ada@Example.com', deps())
    // Accounts created in the same millisecond come in id order: compare as sets.
    expect(mailed.map((u) => u.username).sort()).toEqual(['ada', 'eve'])
    expect(fx.mailer.sent.map((m) => [m.kind, m.to]).sort()).toEqual([['verify_email', 'ADA@EXAMPLE.COM'], ['verify_email', 'ada@example.com']])
    const toEve = fx.mailer.sent.find((m) => m.to === 'ADA@EXAMPLE.COM')
    const verified = await verifyEmail(tokenIn(toEve!, '/email/verify'), deps())
    expect(verified.id).toBe(eve.id)
    expect((await fx.store.users.findById(ada.id))?.emailVerified).toBe(false)
  })

  it('mails nothing for an address without accounts or whose account is verified', async () => {
    await fx.account('ada', { email: 'ada@example.com', emailVerified: true })
    expect(await resendEmailVerification('ada@example.com', deps())).toEqual([])
    expect(await resendEmailVerification('nobody@example.com', deps())).toEqual([])
    expect(fx.mailer.sent).toEqual([])
  })

  it('refuses what is not an address (422 on body.email), before any lookup', async () => {
    const err = await rejection(resendEmailVerification('not an address', deps()))
    expect(err).toBeInstanceOf(ValidationFailed)
    expect((err as ValidationFailed).issues).toMatchObject([{ loc: ['body', 'email'], msg: 'value is not a valid email address' }])
  })

  it('mails nothing when mail or verification is off', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    expect(await resendEmailVerification('ada@example.com', deps({ policy: 'off' }))).toEqual([])
    expect(await resendEmailVerification('ada@example.com', deps({ mailer: recordingMailer(false) }))).toEqual([])
    expect(fx.mailer.sent).toEqual([])
  })
})

describe('TESSERA_EMAIL_VERIFICATION=required', () => {
  const credentials = (policy: EmailVerificationPolicy) => ({ users: fx.store.users, hasher: fakeHasher(), passwordMaxBytes: 1024, emailVerification: policy })

  it('refuses the right password of an unverified account with EmailNotVerified, and lets it in once verified', async () => {
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const err = await rejection(verifyCredentials({ username: 'ada', password: 'old password' }, credentials('required')))
    expect(err).toBeInstanceOf(EmailNotVerified)
    expect(err).toMatchObject({ status: 400, code: 'invalid_grant', detail: 'Email not verified' })
    await fx.store.users.update(ada.id, { emailVerified: true })
    expect((await verifyCredentials({ username: 'ada', password: 'old password' }, credentials('required'))).id).toBe(ada.id)
  })

  it('refuses an account without any address: it could never verify one', async () => {
    await fx.account('ada', { email: null })
    expect(await rejection(verifyCredentials({ username: 'ada', password: 'old password' }, credentials('required')))).toBeInstanceOf(EmailNotVerified)
  })

  it('reveals nothing before the password is right, and a disabled account stays disabled first', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    await fx.account('off', { email: 'off@example.com', disabled: true })
    expect(await rejection(verifyCredentials({ username: 'ada', password: 'wrong password' }, credentials('required')))).toBeInstanceOf(InvalidCredentials)
    expect(await rejection(verifyCredentials({ username: 'nobody', password: 'old password' }, credentials('required')))).toBeInstanceOf(InvalidCredentials)
    const disabled = await rejection(verifyCredentials({ username: 'off', password: 'old password' }, credentials('required')))
    expect(disabled).toBeInstanceOf(InvalidGrant)
    expect((disabled as InvalidGrant).detail).toBe('Inactive user')
  })

  it('lets unverified accounts in under optional and off', async () => {
    await fx.account('ada', { email: 'ada@example.com' })
    for (const policy of ['optional', 'off'] as const) {
      expect((await verifyCredentials({ username: 'ada', password: 'old password' }, credentials(policy))).username).toBe('ada')
    }
  })

  it('asks registration for an address under required only', () => {
    for (const email of [null, undefined, '']) {
      const err = (() => { try { assertEmailForPolicy(email, 'required') } catch (e) { return e } return null })()
      expect(err).toBeInstanceOf(ValidationFailed)
      expect((err as ValidationFailed).issues).toEqual([{ type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: null }])
      expect(() => assertEmailForPolicy(email, 'optional')).not.toThrow()
    }
    expect(() => assertEmailForPolicy('ada@example.com', 'required')).not.toThrow()
  })
})
