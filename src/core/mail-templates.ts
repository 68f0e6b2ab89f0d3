import type { MailKind, MailMessage } from './mail.js'

/*
 * The words of every mail Tessera sends: pure functions from a few values to a MailMessage with
 * the same content as plain text and HTML. Every value is escaped on its way into the HTML
 * (a product name or an address is data, never markup). Mails that carry a link say how long it
 * lasts and what happens if the reader did not ask; the notices carry no link at all, so a
 * forged look-alike asking the reader to click is easy to tell apart.
 */

export interface LinkMailValues {
  /** TESSERA_PRODUCT_NAME: who the mail is from, in the subject and the signature. */
  productName: string
  to: string
  /** The absolute link with its token (src/core/mailed-link.ts). */
  link: string
}

export function verifyEmailMail(values: LinkMailValues & { hours: number }): MailMessage {
  return compose('verify_email', values, `Verify your email address for ${values.productName}`, [
    `Someone (hopefully you) gave this address for an account at ${values.productName}. To confirm that it is yours, open the link below and confirm on the page it opens.`,
    { link: values.link, label: 'Verify email address' },
    `The link works once, for ${duration(values.hours, 'hour')}.`,
    'If you did not ask for this, ignore this mail: the address stays unverified.',
  ])
}

export function resetPasswordMail(values: LinkMailValues & { minutes: number }): MailMessage {
  return compose('reset_password', values, `Reset your ${values.productName} password`, [
    `Someone (hopefully you) asked to reset the password of the ${values.productName} account with this address. To choose a new password, open the link below.`,
    { link: values.link, label: 'Choose a new password' },
    `The link works once, for ${duration(values.minutes, 'minute')}. Setting a new password signs you out everywhere.`,
    'If you did not ask for this, ignore this mail: your password stays as it is.',
  ])
}

export function confirmEmailChangeMail(values: LinkMailValues & { hours: number }): MailMessage {
  return compose('confirm_email_change', values, `Confirm your new email address for ${values.productName}`, [
    `Someone (hopefully you) asked to use this address for their ${values.productName} account. To confirm the change, open the link below and confirm on the page it opens.`,
    { link: values.link, label: 'Confirm new address' },
    `The link works once, for ${duration(values.hours, 'hour')}. Until then the account keeps its old address.`,
    'If you did not ask for this, ignore this mail: nothing changes.',
  ])
}

export function emailChangedNotice(values: { productName: string; to: string; newEmail: string }): MailMessage {
  return compose('email_changed', values, `Your ${values.productName} email address is being changed`, [
    `The email address of your ${values.productName} account is being changed from ${values.to} to ${values.newEmail}.`,
    'If this was you, there is nothing to do.',
    `If it was not, someone may know your password: sign in to ${values.productName}, change your password and set your address back, or ask your administrator for help.`,
  ])
}

export function passwordResetDoneNotice(values: { productName: string; to: string }): MailMessage {
  return compose('password_reset_done', values, `Your ${values.productName} password was changed`, [
    `The password of your ${values.productName} account was just reset, and every device signed in to it was signed out.`,
    'If this was you, there is nothing to do.',
    `If it was not, someone can read your mail or knew a reset link: secure your mailbox, then reset your password again from the ${values.productName} sign-in page, or ask your administrator for help.`,
  ])
}

/** A paragraph of text, or the link the mail is about (a button in HTML, the bare URL in text). */
type Block = string | { link: string; label: string }

function compose(kind: MailKind, values: { productName: string; to: string }, subject: string, blocks: readonly Block[]): MailMessage {
  const text = ['Hello,', ...blocks.map((b) => (typeof b === 'string' ? b : b.link)), `— ${values.productName}`].join('\n\n')
  const body = blocks.map((b) => (typeof b === 'string'
    ? `<p style="margin:0 0 16px">${escape(b)}</p>`
    : `<p style="margin:0 0 16px"><a href="${escape(b.link)}" style="display:inline-block;padding:10px 18px;background:#1f4fd1;color:#ffffff;text-decoration:none;border-radius:4px">${escape(b.label)}</a></p>`
      + `<p style="margin:0 0 16px;font-size:13px;color:#555555">Or copy this link into your browser:<br><span style="word-break:break-all">${escape(b.link)}</span></p>`))
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escape(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a;background:#ffffff">',
    '<div style="max-width:560px">',
    '<p style="margin:0 0 16px">Hello,</p>',
    ...body,
    `<p style="margin:24px 0 0;color:#555555">— ${escape(values.productName)}</p>`,
    '</div></body></html>',
  ].join('\n')
  return { kind, to: values.to, subject, text: `${text}\n`, html: `${html}\n` }
}

/** "1 hour", "24 hours". */
function duration(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** The pages' escaping (src/http/pages/html.ts), repeated here because core does not import http. */
function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}
