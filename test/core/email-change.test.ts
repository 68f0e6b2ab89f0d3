import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { confirmEmailChange, pendingEmailChange, requestEmailChange, type EmailChangeDeps } from '../../src/core/email-change.js'
import { Conflict, InvalidLink, ValidationFailed } from '../../src/core/errors.js'
import type { UserStore } from '../../src/core/ports.js'
import { ISSUER, openFixture, recordingMailer, tokenIn, type Fixture } from './mail-link-fixtures.js'

// Email change (issue 10 part 3): the new address confirms by a link (24 h, single-use) and is
// then verified; the old address is told at once; without mail the change applies at once.

let fx: Fixture
beforeEach(async () => { fx = await openFixture() })
afterEach(async () => { await fx.close() })

function deps(overrides: Partial<Omit<EmailChangeDeps, 'users'>> = {}): EmailChangeDeps & { users: UserStore } {
  return {
    oneTimeTokens: fx.store.oneTimeTokens, clock: fx.clock, mailer: fx.mailer, issuer: ISSUER, productName: 'Tessera', policy: 'optional' as const,
    users: fx.store.users, ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => expect.unreachable('expected a rejection'), (e: unknown) => e)
}

describe('requestEmailChange with mail', () => {
  it('keeps the old address until the new one confirms; mails the new one a link and tells the old one', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example', emailVerified: true })
    expect(await requestEmailChange(ada, 'ada@new.example', deps())).toEqual({ applied: false })
    expect(await fx.store.users.findById(ada.id)).toMatchObject({ email: 'ada@old.example', emailVerified: true })
    const confirm = fx.mailer.only('confirm_email_change', 'ada@new.example')
    const notice = fx.mailer.only('email_changed', 'ada@old.example')
    expect(notice.text).toContain('ada@new.example')
    const token = tokenIn(confirm, '/email/change')
    expect(notice.text).not.toContain(token)
    expect(notice.html).not.toContain(token)

    expect(await pendingEmailChange(token, deps())).toMatchObject({ user: { id: ada.id }, newEmail: 'ada@new.example' })
    const changed = await confirmEmailChange(token, deps())
    expect(changed.previousEmail).toBe('ada@old.example')
    expect(changed.user).toMatchObject({ id: ada.id, email: 'ada@new.example', emailVerified: true })
    expect(await fx.store.users.findById(ada.id)).toMatchObject({ email: 'ada@new.example', emailVerified: true })
  })

  it('confirms once, and not after 24 hours', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example' })
    await requestEmailChange(ada, 'ada@new.example', deps())
    const token = tokenIn(fx.mailer.only('confirm_email_change', 'ada@new.example'), '/email/change')
    await confirmEmailChange(token, deps())
    expect(await rejection(confirmEmailChange(token, deps()))).toBeInstanceOf(InvalidLink)

    const bob = await fx.account('bob', { email: 'bob@old.example' })
    await requestEmailChange(bob, 'bob@new.example', deps())
    const late = tokenIn(fx.mailer.only('confirm_email_change', 'bob@new.example'), '/email/change')
    fx.clock.advance(24 * 60 * 60 * 1000)
    expect(await rejection(pendingEmailChange(late, deps()))).toBeInstanceOf(InvalidLink)
    expect(await rejection(confirmEmailChange(late, deps()))).toBeInstanceOf(InvalidLink)
    expect((await fx.store.users.findById(bob.id))?.email).toBe('bob@old.example')
  })

  it('lets only the latest request confirm', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example' })
    await requestEmailChange(ada, 'first@new.example', deps())
    await requestEmailChange(ada, 'second@new.example', deps())
    const first = tokenIn(fx.mailer.only('confirm_email_change', 'first@new.example'), '/email/change')
    expect(await rejection(confirmEmailChange(first, deps()))).toBeInstanceOf(InvalidLink)
    const second = tokenIn(fx.mailer.only('confirm_email_change', 'second@new.example'), '/email/change')
    expect((await confirmEmailChange(second, deps())).user.email).toBe('second@new.example')
  })

  it('gives an account without an address one, with nobody to tell', async () => {
    const bob = await fx.account('bob', { email: null })
    expect(await requestEmailChange(bob, 'bob@new.example', deps())).toEqual({ applied: false })
    expect(fx.mailer.sent.map((m) => m.kind)).toEqual(['confirm_email_change'])
  })

  it('refuses an address another account has verified (ignoring case), and the current one', async () => {
    await fx.account('eve', { email: 'taken@example.com', emailVerified: true })
    await fx.account('tom', { email: 'unverified@example.com' })
    const ada = await fx.account('ada', { email: 'ada@example.com' })
    const err = await rejection(requestEmailChange(ada, 'TAKEN@example.com', deps()))
    expect(err).toBeInstanceOf(Conflict)
    expect((err as Conflict).detail).toBe('Email already in use')
    const same = await rejection(requestEmailChange(ada, 'ADA@example.com', deps()))
    expect(same).toBeInstanceOf(ValidationFailed)
    expect((same as ValidationFailed).issues[0]).toMatchObject({ loc: ['body', 'email'], msg: 'Value error, New email address must differ from the current one' })
    expect(await requestEmailChange(ada, 'unverified@example.com', deps())).toEqual({ applied: false }) // an unproved claim holds nothing
    expect(fx.mailer.sent.map((m) => m.kind)).toEqual(['confirm_email_change', 'email_changed'])
  })

  it('answers Conflict at confirmation when another account verified the address meanwhile', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example' })
    await requestEmailChange(ada, 'wanted@example.com', deps())
    const token = tokenIn(fx.mailer.only('confirm_email_change', 'wanted@example.com'), '/email/change')
    await fx.account('eve', { email: 'Wanted@Example.com', emailVerified: true })
    expect(await rejection(confirmEmailChange(token, deps()))).toBeInstanceOf(Conflict)
    expect((await fx.store.users.findById(ada.id))?.email).toBe('ada@old.example')
  })

  it('refuses what is not an address', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example' })
    for (const email of ['', 'no-at-sign', 'a@b', 'two@@example.com', `${'x'.repeat(250)}@example.com`]) {
      expect(await rejection(requestEmailChange(ada, email, deps()))).toBeInstanceOf(ValidationFailed)
    }
    expect(fx.mailer.sent).toEqual([])
  })
})

describe('requestEmailChange without confirmation', () => {
  it('applies at once, unverified, when the server sends no mail', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example', emailVerified: true })
    const off = recordingMailer(false)
    expect(await requestEmailChange(ada, 'ada@new.example', deps({ mailer: off }))).toEqual({ applied: true })
    expect(await fx.store.users.findById(ada.id)).toMatchObject({ email: 'ada@new.example', emailVerified: false })
    expect(off.sent).toEqual([])
  })

  it('applies at once, unverified, under TESSERA_EMAIL_VERIFICATION=off, still telling the old address', async () => {
    const ada = await fx.account('ada', { email: 'ada@old.example' })
    expect(await requestEmailChange(ada, 'ada@new.example', deps({ policy: 'off' }))).toEqual({ applied: true })
    expect(await fx.store.users.findById(ada.id)).toMatchObject({ email: 'ada@new.example', emailVerified: false })
    expect(fx.mailer.sent.map((m) => [m.kind, m.to])).toEqual([['email_changed', 'ada@old.example']])
  })
})
