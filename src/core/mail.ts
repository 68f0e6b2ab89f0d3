/**
 * Mail as core sees it (issue 10): a message to queue, never an SMTP conversation. The server's
 * mailer (src/mail/) sends it off the request path with bounded retries, so a slow or failing
 * mail server never holds up an answer — and never changes one (password reset must answer the
 * same whether or not an address exists and whether or not its mail went out).
 */

/** Which mail this is: logged and counted by kind, never by content (a link is a credential). */
export type MailKind = 'verify_email' | 'reset_password' | 'confirm_email_change' | 'email_changed' | 'password_reset_done'

export interface MailMessage {
  kind: MailKind
  to: string
  subject: string
  /** Plain text and HTML bodies of the same content. */
  text: string
  html: string
}

export interface Mailer {
  /** False when neither SMTP nor a mail folder is configured: features that need mail are off. */
  readonly enabled: boolean
  /** Queues the message and returns at once; failures are retried, then logged and counted, never thrown. */
  enqueue(message: MailMessage): void
}

/** For servers and tests without mail: enqueue does nothing, and callers check `enabled` first. */
export const noMailer: Mailer = Object.freeze({ enabled: false, enqueue: () => undefined })
