import { ServiceUnavailable } from './errors.js'

export interface HashAdmissionOptions {
  /** Hashes allowed to run at once: each argon2id hash holds 64 MiB and a libuv thread. */
  concurrency: number
  /** Hashes allowed to wait for a slot; beyond this, callers are turned away at once. */
  queueLimit: number
  /** The `Retry-After` a turned-away caller is given (default 1 s). */
  retryAfterSeconds?: number
}

/**
 * A bounded gate in front of password hashing. A login storm must neither exhaust memory nor
 * grow an unbounded queue of requests that time out anyway: past the bound, fail fast with 503 +
 * Retry-After (DESIGN.md "Argon2 at these parameters...").
 */
export class HashAdmission {
  readonly #concurrency: number
  readonly #queueLimit: number
  readonly #retryAfterSeconds: number
  readonly #waiting: (() => void)[] = []
  #running = 0

  constructor(options: HashAdmissionOptions) {
    const { concurrency, queueLimit, retryAfterSeconds = 1 } = options
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('HashAdmission: concurrency must be an integer >= 1')
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new TypeError('HashAdmission: queueLimit must be an integer >= 0')
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new TypeError('HashAdmission: retryAfterSeconds must be an integer >= 0')
    this.#concurrency = concurrency
    this.#queueLimit = queueLimit
    this.#retryAfterSeconds = retryAfterSeconds
  }

  get inFlight(): number { return this.#running }

  get queued(): number { return this.#waiting.length }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#queueLimit) throw new ServiceUnavailable(this.#retryAfterSeconds)
      // The slot is handed over by the finishing task (see #release), so `running` never dips
      // and a newcomer cannot overtake the queue.
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running += 1
    }
    try {
      return await task()
    } finally {
      this.#release()
    }
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next === undefined) this.#running -= 1
    else next()
  }
}
