import type { Config } from '../config.js'
import type { Clock, Mailer, MailMessage, Metrics } from '../core/index.js'
import { mailDirTransport } from './mail-dir-transport.js'
import { MailQueue, type MailLog } from './mail-queue.js'
import { smtpTransport } from './smtp-transport.js'

export { MAIL_RETRY_DELAYS_MS, MailQueue } from './mail-queue.js'

/** The server's mailer: core's Mailer, plus what the server needs to report and shut it down. */
export interface ServerMailer extends Mailer {
  /** `SMTP smtp://host:port` or `written to <dir>`, for the start-up line; never credentials. */
  readonly description: string
  /** Settles once every mail queued so far was sent or given up on (tests, shutdown). */
  flush(): Promise<void>
  /** Takes no more mail, gives queued mail `timeoutMs` to go out, then closes the transport. */
  close(timeoutMs: number): Promise<void>
}

export interface MailerDeps {
  logger: MailLog
  metrics: Pick<Metrics, 'mailSent' | 'mailFailed'>
  clock: Clock
  /** Waits between attempts (default MAIL_RETRY_DELAYS_MS); tests shorten them. */
  retryDelaysMs?: readonly number[]
}

/**
 * The mailer config asks for: SMTP when TESSERA_SMTP_URL is set (it wins over a mail folder),
 * else the mail folder (TESSERA_MAIL_DIR, the demo's default), else null: mail features off.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailDir' | 'mailFrom'>, deps: MailerDeps): ServerMailer | null {
  const transport = config.smtpUrl !== null
    ? smtpTransport(config.smtpUrl, config.mailFrom)
    : config.mailDir !== null ? mailDirTransport(config.mailDir, config.mailFrom, deps.clock) : null
  if (transport === null) return null
  const queue = new MailQueue({
    transport, logger: deps.logger, metrics: deps.metrics, ...(deps.retryDelaysMs ? { retryDelaysMs: deps.retryDelaysMs } : {}),
  })
  return {
    enabled: true,
    description: transport.description,
    enqueue: (message: MailMessage) => queue.enqueue(message),
    flush: () => queue.flush(),
    close: (timeoutMs) => queue.close(timeoutMs),
  }
}
