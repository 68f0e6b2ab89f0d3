import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { noMetrics, type Metrics, type UserRecord } from '../../src/core/index.js'
import { buildApp, type BuildAppOptions } from '../../src/http/app.js'
import { RedisThrottleStore, createRedisClient } from '../../src/storage/index.js'
import { closedPort, deleteKeys, openTestRedis, uniquePrefix } from '../support/redis.js'
import { bearerNow } from './session-helpers.js'
import { FORM, PASSWORD, form, stableHeaders, startTestServer, testConfig, type TestServer } from './test-server.js'

// Issue 4 part 2: brute-force limits on POST /token and POST /users, on by default. The shared
// test server turns them off (its suites log in many times from one address); here they are on.
let server: TestServer
const apps: FastifyInstance[] = []

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => {
  for (const app of apps) await app.close()
  await server.close()
})
beforeEach(() => { Object.assign(server.hasher.calls, { hash: 0, verify: 0, verifyDummy: 0 }) })

const LIMITS: Partial<Config> = { loginMaxFailures: 5, loginWindowSeconds: 900, loginIpMaxFailures: 100, registrationsPerIpPerHour: 2 }

async function appWith(config: Partial<Config> = {}, extra: Partial<BuildAppOptions> = {}): Promise<FastifyInstance> {
  const app = await buildApp({
    config: testConfig({ ...LIMITS, ...config }), store: server.store, tokens: server.tokens, hasher: server.hasher, clock: server.clock, ...extra,
  })
  apps.push(app)
  return app
}

function login(app: FastifyInstance, username: string, password: string, ip: string) {
  return app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username, password }), remoteAddress: ip })
}

const hashes = () => server.hasher.calls.verify + server.hasher.calls.verifyDummy + server.hasher.calls.hash
const THROTTLED = {
  detail: 'Too many failed login attempts, retry later', error: 'slow_down', error_description: 'Too many failed login attempts, retry later',
}
const NO_STORE_JSON = { 'cache-control': 'no-store', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' }

describe('POST /token: failed logins per username and address', () => {
  it('answers the 6th attempt after 5 failures with 429 and Retry-After, before any hashing', async () => {
    const throttled: string[] = []
    const metrics: Metrics = { ...noMetrics, loginThrottled: () => throttled.push('throttled') }
    const app = await appWith({}, { metrics })
    for (let i = 0; i < 5; i++) expect((await login(app, 'johndoe', 'wrong password', '203.0.113.7')).statusCode).toBe(401)
    expect(hashes()).toBe(5)

    const res = await login(app, 'johndoe', PASSWORD, '203.0.113.7')     // the right password: the lock does not tell
    expect(res.statusCode).toBe(429)
    expect(stableHeaders(res.headers)).toEqual({ ...NO_STORE_JSON, 'retry-after': '900' })
    expect(res.json()).toEqual(THROTTLED)
    expect(hashes()).toBe(5)
    expect(throttled).toEqual(['throttled'])
  })

  it('a throttled attempt writes no audit entry and looks nobody up; it is counted in /metrics only', async () => {
    const throttled: string[] = []
    const app = await appWith({}, { metrics: { ...noMetrics, loginThrottled: () => throttled.push('throttled') } })
    const ip = '203.0.113.12'
    const failed = async () => (await server.store.audit.list({ event: 'login.failed', ip, limit: 100, offset: 0 })).length
    for (let i = 0; i < 5; i++) await login(app, 'johndoe', 'wrong password', ip)
    expect(await failed()).toBe(5)                                       // the failures that led to the lock are there
    const users = server.store.users
    const { findByUsername } = users
    let lookups = 0
    users.findByUsername = async (name) => { lookups += 1; return findByUsername.call(users, name) }
    try {
      for (let i = 0; i < 3; i++) expect((await login(app, 'johndoe', 'wrong password', ip)).statusCode).toBe(429)
    } finally {
      users.findByUsername = findByUsername
    }
    expect(await failed()).toBe(5)
    expect(lookups).toBe(0)
    expect(throttled).toHaveLength(3)
  })

  it('does not let an attacker lock the victim out from another address', async () => {
    const app = await appWith()
    for (let i = 0; i < 6; i++) await login(app, 'bob', 'wrong password', '198.51.100.66')
    expect((await login(app, 'bob', 'wrong password', '198.51.100.66')).statusCode).toBe(429)
    const victim = await login(app, 'bob', PASSWORD, '192.0.2.10')
    expect(victim.statusCode).toBe(200)
    expect(victim.json().scope).toBe('me')
  })

  it('treats an unknown username the same way (no enumeration through the lock)', async () => {
    const app = await appWith()
    const answers = []
    for (let i = 0; i < 6; i++) answers.push((await login(app, 'nobody-here', 'wrong password', '203.0.113.8')).statusCode)
    expect(answers).toEqual([401, 401, 401, 401, 401, 429])
  })

  it('forgets the failures on a success, and lifts the lock after Retry-After, then doubles it', async () => {
    const app = await appWith()
    const ip = '203.0.113.9'
    for (let i = 0; i < 4; i++) await login(app, 'johndoe', 'wrong password', ip)
    expect((await login(app, 'johndoe', PASSWORD, ip)).statusCode).toBe(200)
    const after = []
    for (let i = 0; i < 6; i++) after.push((await login(app, 'johndoe', 'wrong password', ip)).statusCode)
    expect(after).toEqual([401, 401, 401, 401, 401, 429])

    server.clock.advance(900_000)
    const again = []
    for (let i = 0; i < 6; i++) again.push(await login(app, 'johndoe', 'wrong password', ip))
    expect(again.map((r) => r.statusCode)).toEqual([401, 401, 401, 401, 401, 429])
    expect(again[5]?.headers['retry-after']).toBe('1800')
  })
})

describe('POST /token: failed logins per address', () => {
  it('refuses an address that tries many usernames', async () => {
    const app = await appWith({ loginIpMaxFailures: 3 })
    for (const name of ['a1', 'a2', 'a3']) expect((await login(app, name, 'wrong password', '203.0.113.20')).statusCode).toBe(401)
    const res = await login(app, 'johndoe', PASSWORD, '203.0.113.20')
    expect(res.statusCode).toBe(429)
    expect(res.headers['retry-after']).toBe('900')
    expect((await login(app, 'johndoe', PASSWORD, '203.0.113.21')).statusCode).toBe(200)
  })
})

describe('POST /token: limits off', () => {
  it('0 turns them off (for rigs that log in many times from one address)', async () => {
    const app = await appWith({ loginMaxFailures: 0, loginIpMaxFailures: 0 })
    const answers = []
    for (let i = 0; i < 7; i++) answers.push((await login(app, 'johndoe', 'wrong password', '203.0.113.30')).statusCode)
    expect(answers).toEqual(Array(7).fill(401))
  })
})

describe('POST /users: registrations per address', () => {
  const register = (app: FastifyInstance, username: string, ip: string) =>
    app.inject({ method: 'POST', url: '/users', payload: { username, password: 'long enough' }, remoteAddress: ip })

  it('answers 429 with Retry-After past the hour\'s quota, before any hashing; taken names count too', async () => {
    const app = await appWith()
    expect((await register(app, 'quota-one', '192.0.2.77')).statusCode).toBe(201)
    expect((await register(app, 'johndoe', '192.0.2.77')).statusCode).toBe(409)
    const before = hashes()
    const res = await register(app, 'quota-three', '192.0.2.77')
    expect(res.statusCode).toBe(429)
    expect(stableHeaders(res.headers)).toEqual({ 'content-type': 'application/json; charset=utf-8', 'retry-after': '3600' })
    expect(res.json()).toEqual({ detail: 'Too many registrations from this address, retry later' })
    expect(hashes()).toBe(before)
    expect(await server.store.users.findByUsername('quota-three')).toBeNull()
    expect((await register(app, 'quota-three', '192.0.2.78')).statusCode).toBe(201)
  })
})

describe('POST /users/me/password: wrong current passwords (a stolen token is no licence to guess)', () => {
  const NEW_PASSWORD = 'another good passphrase'
  const newUser = (username: string) => server.store.users.create({ username, passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
  const change = async (app: FastifyInstance, user: UserRecord, current: string, ip: string) => app.inject({
    method: 'POST', url: '/users/me/password', headers: { authorization: await bearerNow(server, user) },
    payload: { current_password: current, new_password: NEW_PASSWORD }, remoteAddress: ip,
  })
  const failures = () => server.store.audit.list({ event: 'password.change_failed', limit: 100, offset: 0 })

  it('count as failed logins of the username and address: the 6th try is 429 + Retry-After, before any hashing; each failure audited', async () => {
    const app = await appWith()
    const user = await newUser('guessed')
    const ip = '203.0.113.70'
    for (let i = 0; i < 5; i++) expect((await change(app, user, 'wrong password', ip)).json()).toEqual({ detail: 'Incorrect password' })
    expect(hashes()).toBe(5)

    const res = await change(app, user, PASSWORD, ip)                   // the right one: the lock does not tell
    expect(res.statusCode).toBe(429)
    expect(stableHeaders(res.headers)).toEqual({ 'content-type': 'application/json; charset=utf-8', 'retry-after': '900' })
    expect(res.json()).toEqual(THROTTLED)
    expect(hashes()).toBe(5)
    expect((await server.store.users.findById(user.id))?.passwordHash).toBe(server.users.johndoe.passwordHash)
    expect((await login(app, 'guessed', PASSWORD, ip)).statusCode).toBe(429)  // one budget with /token

    const audit = (await failures()).filter((e) => e.userId === user.id)
    expect(audit).toHaveLength(5)
    expect(audit[0]).toMatchObject({ username: 'guessed', ip, clientId: null, details: { reason: 'incorrect_password' } })
    expect(JSON.stringify(audit)).not.toContain('wrong password')
  })

  it('a success forgets the failures; a refused new password is no failure', async () => {
    const app = await appWith()
    const user = await newUser('forgetful')
    const ip = '203.0.113.71'
    for (let i = 0; i < 4; i++) expect((await change(app, user, 'wrong password', ip)).statusCode).toBe(400)
    const short = await app.inject({
      method: 'POST', url: '/users/me/password', headers: { authorization: await bearerNow(server, user) },
      payload: { current_password: 'wrong password', new_password: 'short' }, remoteAddress: ip,
    })
    expect(short.statusCode).toBe(422)                                   // refused before the password is checked
    expect((await change(app, user, PASSWORD, ip)).statusCode).toBe(200)
    const after = []
    for (let i = 0; i < 6; i++) after.push((await change(app, user, 'wrong password', ip)).statusCode)
    expect(after).toEqual([400, 400, 400, 400, 400, 429])
  })
})

describe('with Redis (TESSERA_REDIS_URL)', () => {
  const prefix = uniquePrefix('http-limits')
  let redis: Redis
  let other: Redis

  beforeAll(async () => { [redis, other] = [await openTestRedis(), await openTestRedis()] })
  afterAll(async () => {
    await deleteKeys(redis, prefix)
    redis.disconnect()
    other.disconnect()
  })

  it('failed logins spread over two instances add up to one limit', async () => {
    const a = await appWith({}, { throttle: new RedisThrottleStore(redis, prefix) })
    const b = await appWith({}, { throttle: new RedisThrottleStore(other, prefix) })
    const answers = []
    for (let i = 0; i < 7; i++) answers.push((await login(i % 2 === 0 ? a : b, 'johndoe', 'wrong password', '203.0.113.40')).statusCode)
    expect(answers).toEqual([401, 401, 401, 401, 401, 429, 429])
  })

  it('Redis down: logins go on, unthrottled, without a 5xx or a wait; the outage is logged once', async () => {
    const down = createRedisClient(`redis://127.0.0.1:${await closedPort()}`)
    const lines: string[] = []
    const sink = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } })
    try {
      const app = await appWith({ logLevel: 'warn' }, { throttle: new RedisThrottleStore(down, prefix), logger: sink })
      const took: number[] = []
      const answers = []
      for (let i = 0; i < 7; i++) {
        const started = performance.now()
        answers.push((await login(app, 'johndoe', i === 6 ? PASSWORD : 'wrong password', '203.0.113.50')).statusCode)
        took.push(performance.now() - started)
      }
      expect(answers).toEqual([401, 401, 401, 401, 401, 401, 200])
      expect(Math.max(...took)).toBeLessThan(3000)                      // one argon2 verification, no Redis wait
      const warnings = lines.map((l) => JSON.parse(l) as { msg: string }).filter((l) => l.msg.startsWith('brute-force limits unavailable'))
      expect(warnings).toHaveLength(1)
    } finally {
      down.disconnect()
    }
  })
})

describe('default store', () => {
  it('without a throttle store, limits are kept in memory', async () => {
    const app = await buildApp({ config: testConfig(LIMITS), store: server.store, tokens: server.tokens, hasher: server.hasher })
    apps.push(app)
    const answers = []
    for (let i = 0; i < 6; i++) answers.push((await login(app, 'johndoe', 'wrong password', '203.0.113.60')).statusCode)
    expect(answers).toEqual([401, 401, 401, 401, 401, 429])
  })
})
