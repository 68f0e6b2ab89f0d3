import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addSigningKey, systemClock } from '../../src/core/index.js'
import { openStore } from '../../src/storage/index.js'
import { killAllPrivateRedis, startPrivateRedis, type PrivateRedis } from '../support/private-redis.js'
import { call, login, publishedKids, register, tokensFor } from '../support/tessera-client.js'
import { killAllTessera, spawnTessera, type TesseraProcess } from '../support/tessera-process.js'
import { byStatus, sleep, startLoadLoop } from './load-loop.js'

// Issue 4, part 5: Redis down. A redis-server of this test's own, SIGKILLed while Tessera
// serves and started again. Redis holds only what may be lost (brute-force counters) and
// carries key-change announcements: without it logins and protected calls go on (the limits
// fail open), key changes arrive by the periodic reload, /readyz says Redis is missing; nothing
// answers 5xx. When Redis is back, all of that resumes by itself.

const PASSWORD = 'correct horse battery'
let dir: string
let databaseUrl: string
let redis: PrivateRedis
let server: TesseraProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-redis-down-'))
  databaseUrl = `sqlite:${join(dir, 'tessera.db')}`
  redis = await startPrivateRedis()
  await addKey()                                                    // active: the one added during the outage only verifies
  server = await spawnTessera({
    TESSERA_DATABASE_URL: databaseUrl,
    TESSERA_REDIS_URL: redis.url,
    TESSERA_REDIS_KEY_PREFIX: 'tessera-fault:',
    TESSERA_SECRET_KEY: 'redis-outage-secret-0123456789abcdef0123456789abc',
    TESSERA_LOGIN_MAX_FAILURES: '3',
    TESSERA_LOGIN_IP_MAX_FAILURES: '0',
    TESSERA_KEYS_RELOAD_SECONDS: '1',                               // the fallback while Redis is away
    TESSERA_LOG_LEVEL: 'info',
  })
}, 60_000)

afterAll(async () => {
  if (server !== undefined && !server.running()) console.log(`[faults] Tessera exited on its own:\n${server.log().slice(-8000)}`)
  killAllTessera()
  await server?.exited
  killAllPrivateRedis()
  rmSync(dir, { recursive: true, force: true })
}, 30_000)

async function addKey() {
  const store = await openStore(databaseUrl)
  try {
    return await addSigningKey('EdDSA', { keys: store.signingKeys, clock: systemClock })
  } finally {
    await store.close()
  }
}

async function readyz() {
  const res = await call(`${server.url}/readyz`)
  return { status: res.status, checks: res.body?.checks }
}

async function wrongLogins(username: string, count: number): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < count; i++) statuses.push((await login(server.url, username, 'wrong password')).status)
  return statuses
}

describe('Redis down', { timeout: 60_000 }, () => {
  it('keeps serving without a 5xx (limits open, keys by periodic reload, /readyz 503), and resumes when Redis is back', async () => {
    for (const user of ['rita', 'sam', 'tom']) expect((await register(server.url, user, PASSWORD)).status).toBe(201)
    expect(await readyz()).toEqual({ status: 200, checks: { database: 'ok', redis: 'ok' } })
    expect(await wrongLogins('sam', 4)).toEqual([401, 401, 401, 429])      // the shared limit works

    const { access } = await tokensFor(server.url, 'rita', PASSWORD)
    const load = startLoadLoop({ url: server.url, token: access, username: 'rita', password: PASSWORD, workers: 2 })
    await sleep(300)
    const killedAt = load.now()
    await redis.kill()
    await sleep(1500)

    // Down: the brute-force limit fails open (no 429 after 3 failures), nothing is a 5xx.
    const failOpen = await wrongLogins('tom', 5)
    const notReady = await readyz()
    // A key added meanwhile (no announcement can reach anyone) arrives by the periodic reload.
    const added = await addKey()
    const keyAddedAt = performance.now()
    await expect.poll(() => publishedKids(server.url), { timeout: 5000, interval: 50 }).toContain(added.kid)
    const keyByReloadMs = Math.round(performance.now() - keyAddedAt)
    const restartingAt = load.now()
    await redis.start()
    const restartedAt = performance.now()
    await expect.poll(async () => (await readyz()).status, { timeout: 5000, interval: 50 }).toBe(200)
    const readyAgainMs = Math.round(performance.now() - restartedAt)
    const samples = await load.stop()
    const outage = samples.filter((s) => s.sentAt > killedAt && s.receivedAt < restartingAt)

    // Back: limits count again (the new Redis starts empty) once the fail-open pause after the last
    // failed command (1 s) is over; the key-change subscription is back.
    await sleep(1100)
    const limitedAgain = await wrongLogins('tom', 4)
    const figures = {
      outage: { answers: outage.length, byStatus: byStatus(outage) }, all: byStatus(samples), failOpen, notReady,
      keyByReloadMs, readyAgainMs, limitedAgain,
    }
    console.log(`[faults] Redis killed under load: ${JSON.stringify(figures)}`)

    expect(samples.filter((s) => s.status === 0 || s.status >= 500)).toEqual([])
    expect(outage.length).toBeGreaterThan(10)
    expect(byStatus(outage)).toEqual({ 200: outage.length })
    expect(failOpen).toEqual([401, 401, 401, 401, 401])
    expect(notReady.status).toBe(503)
    expect(notReady.checks).toMatchObject({ database: 'ok', redis: expect.stringMatching(/^(error|timeout)$/) })
    expect(keyByReloadMs).toBeLessThan(3000)
    expect(readyAgainMs).toBeLessThan(3000)
    expect(limitedAgain).toEqual([401, 401, 401, 429])
    expect(server.log()).toContain('Redis unreachable')
    expect(server.log()).toContain('key change notifications back')
  })
})
