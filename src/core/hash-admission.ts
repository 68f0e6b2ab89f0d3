import { ServiceUnavailable } from './errors.js'

export interface HashAdmissionOptions {
  /** Hashes allowed to run at once: each argon2id hash holds 64 MiB and a libuv thread. */
  concurrency: number
  /** Hashes allowed to wait for a slot; beyond this, callers are turned away at once. */
  queueLimit: number
  /** The `Retry-After` a turned-away caller is given (default 1 s). */
  retryAfterSeconds?: number
  /**
   * Told, as each admitted hash starts, how long it waited for its slot (0 when one was free):
   * how close the gate is to turning callers away, for a histogram. It must not throw.
   */
  onAdmitted?: (waitedSeconds: number) => void
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
  readonly #onAdmitted: ((waitedSeconds: number) => void) | undefined
  readonly #waiting: (() => void)[] = []
  #running = 0

  constructor(options: HashAdmissionOptions) {
    const { concurrency, queueLimit, retryAfterSeconds = 1, onAdmitted } = options
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError('HashAdmission: concurrency must be an integer >= 1')
    if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new TypeError('HashAdmission: queueLimit must be an integer >= 0')
    if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) throw new TypeError('HashAdmission: retryAfterSeconds must be an integer >= 0')
    this.#concurrency = concurrency
    this.#queueLimit = queueLimit
    this.#retryAfterSeconds = retryAfterSeconds
    this.#onAdmitted = onAdmitted
  }

  get inFlight(): number { return this.#running }

  get queued(): number { return this.#waiting.length }

  async run<T>(task: () => Promise<T>): Promise<T> {
    let waitedSeconds = 0
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#queueLimit) throw new ServiceUnavailable(this.#retryAfterSeconds)
      // The slot is handed over by the finishing task (see #release), so `running` never dips
      // and a newcomer cannot overtake the queue.
      const since = performance.now()
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
      waitedSeconds = (performance.now() - since) / 1000
    } else {
      this.#running += 1
    }
    try {
      // Inside the try: an observer that throws anyway must not keep the slot.
      this.#onAdmitted?.(waitedSeconds)
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
