import type { MailMessage } from '../core/index.js'

/**
 * Where a mail goes once the queue sends it: an SMTP server, or the demo's mail folder. `send`
 * rejects when this attempt failed (the queue decides whether to try again).
 */
export interface MailTransport {
  /** For the start-up line: `SMTP smtp://host:port` or `written to <dir>`; never credentials. */
  readonly description: string
  send(message: MailMessage): Promise<void>
  close(): void
}

/**
 * Every mail Tessera sends is machine-made: RFC 3834 §5 asks auto-responders (vacation
 * replies, "out of office") not to answer it.
 */
export const AUTOMATED_MAIL_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Auto-Submitted': 'auto-generated' })

/** An error's machine-readable parts only: a message may quote the recipient or the server's reply. */
export function failureReason(err: unknown): { code?: string; responseCode?: number } {
  if (typeof err !== 'object' || err === null) return {}
  const { code, responseCode } = err as { code?: unknown; responseCode?: unknown }
  return {
    ...(typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code) ? { code } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
  }
}
