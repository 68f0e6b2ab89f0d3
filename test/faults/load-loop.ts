import { login, me, type Answer } from '../support/tessera-client.js'

/**
 * A bounded request loop for the fault tests: `workers` clients in parallel, each sending
 * GET /users/me with a token and, every `loginEvery`-th request, a login, until stopped. Every
 * answer is recorded with when it was sent and received; a request that gets no HTTP answer
 * (reset, refused, timed out) is recorded as status 0 with the error's name.
 */
export interface Sample {
  kind: 'me' | 'login'
  /** Milliseconds since the loop started. */
  sentAt: number
  receivedAt: number
  status: number
  retryAfter: string | null
  error?: string
}

export interface LoadLoop {
  samples: Sample[]
  /** Milliseconds since the loop started. */
  now(): number
  /** Stops sending; resolves once every worker's last request has been answered. */
  stop(): Promise<Sample[]>
}

export interface LoadOptions {
  url: string
  token: string
  username: string
  password: string
  workers?: number
  loginEvery?: number
  /** Per-request limit: longer counts as "no answer" (a hang). */
  timeoutMs?: number
  /** Pause between one worker's requests. */
  pauseMs?: number
}

export function startLoadLoop(options: LoadOptions): LoadLoop {
  const { url, token, username, password, workers = 4, loginEvery = 5, timeoutMs = 10_000, pauseMs = 10 } = options
  const origin = performance.now()
  const now = () => performance.now() - origin
  const samples: Sample[] = []
  let running = true

  async function worker(offset: number): Promise<void> {
    for (let i = offset; running; i++) {
      const kind = i % loginEvery === 0 ? 'login' : 'me'
      const sentAt = now()
      let answer: Answer | null = null
      let error: string | undefined
      try {
        answer = kind === 'login' ? await login(url, username, password, timeoutMs) : await me(url, token, timeoutMs)
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause
        error = `${(err as Error).name}${cause?.code === undefined ? '' : ` ${cause.code}`}`
      }
      samples.push({
        kind, sentAt, receivedAt: now(), status: answer?.status ?? 0, retryAfter: answer?.headers.get('retry-after') ?? null,
        ...(error === undefined ? {} : { error }),
      })
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
    }
  }

  const all = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)))
  return {
    samples,
    now,
    async stop() {
      running = false
      await all
      return samples
    },
  }
}

/** `{ "200": 12, "503": 40 }`: how many answers had each status (0: no HTTP answer). */
export function byStatus(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of samples) counts[String(s.status)] = (counts[String(s.status)] ?? 0) + 1
  return counts
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
