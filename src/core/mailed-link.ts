import type { Mailer } from './mail.js'
import type { OneTimeTokenDeps } from './one-time-token.js'

/**
 * Where the links in Tessera's mails lead: pages of the server itself. Opening one (GET) never
 * uses the token — mail scanners and link previews fetch links before people do — the page's
 * button (POST) does.
 */
export const MAILED_LINK_PATHS = Object.freeze({
  verifyEmail: '/email/verify',
  resetPassword: '/password/reset',
  changeEmail: '/email/change',
})

/** What a flow that mails a link needs: the token store and clock, the mailer, and how links and mails are worded. */
export interface MailLinkDeps extends OneTimeTokenDeps {
  mailer: Mailer
  /** The server's public base URL (the issuer): what a link in a mail points at. */
  issuer: string
  /** Names the server in subjects and greetings (TESSERA_PRODUCT_NAME). */
  productName: string
}

/** `${issuer}${path}?token=…`. The token is base64url, so it needs no escaping; the issuer has no trailing slash. */
export function mailedLink(issuer: string, path: string, token: string): string {
  return `${issuer.replace(/\/+$/, '')}${path}?token=${token}`
}
