import type { Logger } from 'pino'
import type { MailMessage, Metrics } from '../core/index.js'
import { failureReason, type MailTransport } from './transport.js'

/** Waits before the second and the third attempt: a mail server's brief hiccup passes, a long outage is given up on. */
export const MAIL_RETRY_DELAYS_MS: readonly number[] = Object.freeze([1000, 5000])

/** Mails sent at once: enough to keep up with sign-ups, few enough not to look like a spammer to the relay. */
const CONCURRENCY = 4

/**
 * Mails waiting at most: the request limits keep the queue short, and this keeps a relay outage
 * under a request flood from growing memory without end. Past it, a mail is given up on at once.
 */
const QUEUE_LIMIT = 1000

export type MailLog = Pick<Logger, 'info' | 'warn' | 'error'>

export interface MailQueueOptions {
  transport: MailTransport
  logger: MailLog
  metrics: Pick<Metrics, 'mailSent' | 'mailFailed'>
  /** One entry per retry (default MAIL_RETRY_DELAYS_MS: three attempts in all); tests shorten them. */
  retryDelaysMs?: readonly number[]
}

/**
 * Tessera's mail queue: `enqueue` returns at once and the mail goes out off the request path,
 * retried on temporary failures. What it logs names the kind of mail and the attempt, never the
 * recipient, the link or the body: a link in a mail is a credential, and an SMTP error's text may
 * quote the address. Each mail ends counted as sent or failed.
 */
export class MailQueue {
  readonly #transport: MailTransport
  readonly #logger: MailLog
  readonly #metrics: MailQueueOptions['metrics']
  readonly #delays: readonly number[]
  readonly #waiting: MailMessage[] = []
  #running = 0
  #idle: (() => void)[] = []
  #closed: Promise<void> | null = null
  /** Aborted when shutdown runs out of time: mails waiting for a retry give up then. */
  readonly #shutdown = new AbortController()

  constructor(options: MailQueueOptions) {
    this.#transport = options.transport
    this.#logger = options.logger
    this.#metrics = options.metrics
    this.#delays = options.retryDelaysMs ?? MAIL_RETRY_DELAYS_MS
  }

  /** Mails waiting or being sent. */
  get pending(): number {
    return this.#waiting.length + this.#running
  }

  enqueue(message: MailMessage): void {
    if (this.#closed !== null || this.pending >= QUEUE_LIMIT) {
      this.#logger.error({ kind: message.kind, reason: this.#closed !== null ? 'shutting down' : 'queue full' }, 'mail not sent')
      this.#metrics.mailFailed()
      return
    }
    this.#waiting.push(message)
    this.#next()
  }

  /** Settles once every mail queued so far has been sent or given up on. */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /**
   * Takes no new mail, lets queued ones finish for at most `timeoutMs`, then gives up on the rest
   * (each logged and counted as failed) and closes the transport. Idempotent.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closed ??= (async () => {
      let timer: NodeJS.Timeout | undefined
      const finished = await Promise.race([
        this.flush().then(() => true),
        new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) }),
      ])
      clearTimeout(timer)
      if (!finished) {
        const dropped = this.#waiting.splice(0)
        this.#logger.error({ count: dropped.length + this.#running }, `mails still queued after ${timeoutMs} ms at shutdown were not sent`)
        for (const message of dropped) { this.#metrics.mailFailed(); void message }
        this.#shutdown.abort()
      }
      this.#transport.close()
    })()
    return this.#closed
  }

  #next(): void {
    while (this.#running < CONCURRENCY && this.#waiting.length > 0) {
      const message = this.#waiting.shift() as MailMessage
      this.#running += 1
      void this.#deliver(message).finally(() => {
        this.#running -= 1
        this.#next()
        if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }

  async #deliver(message: MailMessage): Promise<void> {
    const attempts = this.#delays.length + 1
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#transport.send(message)
        this.#logger.info({ kind: message.kind, attempt }, 'mail sent')
        this.#metrics.mailSent()
        return
      } catch (err) {
        const reason = failureReason(err)
        // 5xx is the server's final word (unknown mailbox, refused sender): asking again changes nothing.
        const permanent = reason.responseCode !== undefined && reason.responseCode >= 500
        const delay = this.#delays[attempt - 1]
        if (permanent || delay === undefined || this.#shutdown.signal.aborted) {
          this.#logger.error({ kind: message.kind, attempt, ...reason }, `mail given up after ${attempt} of ${attempts} attempts`)
          this.#metrics.mailFailed()
          return
        }
        this.#logger.warn({ kind: message.kind, attempt, ...reason }, `mail not sent; trying again in ${delay} ms`)
        if (!(await this.#wait(delay))) {
          this.#logger.error({ kind: message.kind, attempt, reason: 'shutting down' }, `mail given up after ${attempt} of ${attempts} attempts`)
          this.#metrics.mailFailed()
          return
        }
      }
    }
  }

  /** True after `ms`; false at once when shutdown runs out of time first. */
  #wait(ms: number): Promise<boolean> {
    const signal = this.#shutdown.signal
    if (signal.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const onAbort = () => { clearTimeout(timer); resolve(false) }
      const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true) }, ms)
      // A retry pending must not keep a process alive that has nothing else to do.
      timer.unref()
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}
