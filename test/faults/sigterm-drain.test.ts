import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, login, register } from '../support/tessera-client.js'
import { killAllTessera, spawnTessera, type TesseraProcess } from '../support/tessera-process.js'
import { sleep } from './load-loop.js'

// Issue 4, part 5: SIGTERM (what an orchestrator sends before replacing an instance) drains:
// logins already in flight finish with 200, then the process exits with status 0. One hash at
// a time makes the logins slow and queued; the signal lands once every one has reached the server.

const LOGINS = 16
/** SIGTERM once at least this many are running or queued. */
const IN_FLIGHT = 8
const PASSWORD = 'correct horse battery'

let dir: string
let server: TesseraProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-drain-'))
  server = await spawnTessera({
    TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}`,
    TESSERA_SECRET_KEY: 'sigterm-drain-secret-0123456789abcdef0123456789ab',
    TESSERA_HASH_CONCURRENCY: '1',
    // Many logins at once from one address: no brute-force limit in the way (attempts count before they succeed).
    TESSERA_LOGIN_MAX_FAILURES: '0', TESSERA_LOGIN_IP_MAX_FAILURES: '0',
    TESSERA_LOG_LEVEL: 'warn',
  })
}, 60_000)

afterAll(() => {
  killAllTessera()
  rmSync(dir, { recursive: true, force: true })
})

/** Password hashes running or queued right now, from GET /metrics. */
async function hashesInFlight(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
  return gauge('tessera_hash_in_flight') + gauge('tessera_hash_queue_depth')
}

describe('SIGTERM', { timeout: 60_000 }, () => {
  it('drains the logins in flight (all 200), refuses new work, then exits with status 0', async () => {
    expect((await register(server.url, 'drainer', PASSWORD)).status).toBe(201)
    let done = 0
    const answers: Array<Promise<{ status: number | string; token: unknown; at: number }>> = []
    for (let i = 0; i < LOGINS; i++) {
      answers.push(login(server.url, 'drainer', PASSWORD).then(
        (a) => ({ status: a.status, token: a.body?.access_token, at: performance.now() }),
        (e: Error) => ({ status: `${e.name}: ${(e.cause as Error | undefined)?.message ?? e.message}`, token: null, at: performance.now() }),
      ).finally(() => { done += 1 }))
    }
    // Every login has reached the server (hashing, waiting to hash, or answered), and enough are
    // still to come. A request still in the listen backlog when the listener closes is not in
    // flight: it would be reset, as with any server (take the instance out of the balancer first).
    const deadline = performance.now() + 10_000
    let inFlightAtSignal = 0
    while (performance.now() < deadline) {
      const answeredBefore = done
      inFlightAtSignal = await hashesInFlight(server.url)
      if (inFlightAtSignal + answeredBefore >= LOGINS && inFlightAtSignal >= IN_FLIGHT) break
      await sleep(2)
    }

    const signalled = performance.now()
    process.kill(server.pid, 'SIGTERM')
    await sleep(200)                                            // the signal is handled; most logins still hash
    const late = await call(`${server.url}/healthz`, {}, 5000).then((a) => a.status, (e: Error) => e.name)
    const exit = await server.stop('SIGTERM', 20_000)          // waits for the exit (a repeated SIGTERM changes nothing)
    const exitedAfterMs = Math.round(performance.now() - signalled)
    const settled = await Promise.all(answers)
    const finishedAfterSignal = settled.filter((a) => a.at > signalled).length

    console.log(`[faults] SIGTERM drain: ${JSON.stringify({
      inFlightAtSignal, answered: settled.map((a) => a.status), finishedAfterSignal, lateRequest: late, exitedAfterMs, exit,
    })}`)
    expect(inFlightAtSignal).toBeGreaterThanOrEqual(IN_FLIGHT)
    expect(settled.map((a) => a.status)).toEqual(Array(LOGINS).fill(200))
    expect(settled.every((a) => typeof a.token === 'string')).toBe(true)
    expect(finishedAfterSignal).toBeGreaterThanOrEqual(IN_FLIGHT)       // they really were drained, not done before
    expect([503, 'TypeError']).toContain(late)                          // refused, or a closing server's 503
    expect(exit).toEqual({ code: 0, signal: null })
  })
})
