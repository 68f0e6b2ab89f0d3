import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrivateCluster, type PrivateCluster } from '../support/private-postgres.js'
import { call, register, tokensFor } from '../support/tessera-client.js'
import { killAllTessera, spawnTessera, type TesseraProcess } from '../support/tessera-process.js'
import { byStatus, sleep, startLoadLoop, type Sample } from './load-loop.js'

// Issue 4, part 5: PostgreSQL stopped under load. A PostgreSQL cluster of this test's own (the
// machine's shared server is never touched), `pg_ctl stop -m immediate` while requests flow,
// then started again. Every request must get an HTTP answer within a bound: 503 + Retry-After
// while the database is away (never a 500, a hang or a reset), and 200s again by themselves
// within 5 s of the database coming back.

const HEALTHY_MS = 1000
const OUTAGE_MS = 3000
const RECOVERY_LIMIT_MS = 5000
const ANSWER_LIMIT_MS = 6000
const PASSWORD = 'correct horse battery'

let cluster: PrivateCluster
let server: TesseraProcess

beforeAll(async () => {
  cluster = await createPrivateCluster()
  const admin = new pg.Client({ connectionString: cluster.url })
  await admin.connect()
  await admin.query('create database tessera')
  await admin.end()
  server = await spawnTessera({
    TESSERA_DATABASE_URL: cluster.url.replace(/\/postgres$/, '/tessera'),
    TESSERA_SECRET_KEY: 'postgres-outage-secret-0123456789abcdef0123456789',
    TESSERA_LOG_LEVEL: 'warn',
    // The loop logs in over and over from one address: no brute-force limits in the way.
    TESSERA_LOGIN_MAX_FAILURES: '0', TESSERA_LOGIN_IP_MAX_FAILURES: '0', TESSERA_REGISTRATIONS_PER_IP_PER_HOUR: '0',
  })
}, 90_000)

afterAll(async () => {
  if (server !== undefined && !server.running()) console.log(`[faults] Tessera exited on its own:\n${server.log().slice(-8000)}`)
  killAllTessera()
  await server?.exited
  await cluster?.destroy()
}, 60_000)

function summary(samples: readonly Sample[]) {
  return { answers: samples.length, byStatus: byStatus(samples), slowestMs: Math.round(Math.max(0, ...samples.map((s) => s.receivedAt - s.sentAt))) }
}

describe('PostgreSQL stopped under load', { timeout: 60_000 }, () => {
  it('answers 503 + Retry-After while it is down (no 500, no hang, no reset) and recovers by itself within 5 s', async () => {
    expect((await register(server.url, 'loader', PASSWORD)).status).toBe(201)
    const { access } = await tokensFor(server.url, 'loader', PASSWORD)
    const load = startLoadLoop({ url: server.url, token: access, username: 'loader', password: PASSWORD })

    await sleep(HEALTHY_MS)
    const stopping = load.now()
    await cluster.stop('immediate')
    const stopped = load.now()
    await sleep(OUTAGE_MS / 2)
    const readyDuringOutage = await call(`${server.url}/readyz`)
    await sleep(OUTAGE_MS / 2)
    const starting = load.now()
    await cluster.start()
    const started = load.now()                                   // accepting connections again
    // Until the first full second of nothing but 200s, at most 8 s.
    while (load.now() - started < 8000) {
      await sleep(250)
      const recent = load.samples.filter((s) => s.sentAt > load.now() - 1000)
      if (load.now() - started > 1000 && recent.length > 0 && recent.every((s) => s.status === 200)) break
    }
    const samples = await load.stop()

    const before = samples.filter((s) => s.receivedAt < stopping)
    const outage = samples.filter((s) => s.sentAt > stopped && s.receivedAt < starting)
    const after = samples.filter((s) => s.sentAt >= started)
    // Recovered: from the moment PostgreSQL accepts connections again to the last answer that was not a 200.
    const lastFailure = Math.max(started, ...samples.filter((s) => s.status !== 200).map((s) => s.receivedAt))
    const recoveredAfterMs = Math.round(lastFailure - started)
    const firstOk = Math.min(...samples.filter((s) => s.status === 200 && s.sentAt >= starting).map((s) => s.receivedAt))
    const figures = {
      stopTookMs: Math.round(stopped - stopping), restartTookMs: Math.round(started - starting), recoveredAfterMs,
      firstOkAfterStartCommandMs: Math.round(firstOk - starting),
      before: summary(before), outage: summary(outage), afterRestart: summary(after), all: summary(samples),
    }
    console.log(`[faults] PostgreSQL stopped under load: ${JSON.stringify(figures)}`)

    // Nothing is ever left without an HTTP answer, nothing is a 500, nothing takes longer than the bound.
    expect(samples.filter((s) => s.status === 0).map((s) => s.error)).toEqual([])
    expect(samples.filter((s) => s.status !== 200 && s.status !== 503)).toEqual([])
    expect(figures.all.slowestMs).toBeLessThan(ANSWER_LIMIT_MS)
    expect(before.length).toBeGreaterThan(0)
    expect(before.every((s) => s.status === 200)).toBe(true)
    // While it is down: only 503s, each telling the client when to retry; logins and protected calls alike.
    expect(outage.length).toBeGreaterThan(10)
    expect(byStatus(outage)).toEqual({ 503: outage.length })
    expect(outage.every((s) => Number(s.retryAfter) > 0)).toBe(true)
    expect(new Set(outage.map((s) => s.kind))).toEqual(new Set(['me', 'login']))
    expect(readyDuringOutage.status).toBe(503)
    expect(readyDuringOutage.body).toMatchObject({ status: 'not ready', checks: { database: 'error' } })
    // Back by itself (no restart of Tessera), within the limit, and staying back.
    expect(recoveredAfterMs).toBeLessThan(RECOVERY_LIMIT_MS)
    expect(after.filter((s) => s.status === 200).length).toBeGreaterThan(0)
    expect((await call(`${server.url}/readyz`)).status).toBe(200)
  })
})
