import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, runCli } from '../cli/run-cli.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'
import { REDIS_URL, deleteKeys, openTestRedis, uniquePrefix } from '../support/redis.js'
import { call, kidOf, login, me, publishedKids, refresh, register, tokensFor } from '../support/tessera-client.js'
import { killAllTessera, spawnTessera, type TesseraProcess } from '../support/tessera-process.js'

// Issue 4, part 4: two real `tessera serve` processes on two ports, one PostgreSQL database and
// one Redis between them, as behind a load balancer. Whatever one instance does, the other
// enforces on the very next request.

const PASSWORD = 'correct horse battery'
let database: TestDatabase
let redis: Redis
let env: Record<string, string>
let a: TesseraProcess
let b: TesseraProcess
const prefix = uniquePrefix('multi')

beforeAll(async () => {
  database = await createTestDatabase('multi')
  redis = await openTestRedis()
  env = {
    TESSERA_DATABASE_URL: database.url,
    TESSERA_REDIS_URL: REDIS_URL,
    TESSERA_REDIS_KEY_PREFIX: prefix,
    TESSERA_SECRET_KEY: 'two-instances-secret-0123456789abcdef0123456789',
    TESSERA_ISSUER: 'https://auth.example.test',
    TESSERA_LOGIN_MAX_FAILURES: '3',
    // No periodic reload: a key change can reach B only through Redis (or a token's unknown kid).
    TESSERA_KEYS_RELOAD_SECONDS: '0',
    TESSERA_LOG_LEVEL: 'warn',
  }
  a = await spawnTessera(env)                                  // A migrates the fresh database first
  b = await spawnTessera(env)
  for (const username of ['carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) {
    expect((await register(a.url, username, PASSWORD)).status).toBe(201)
  }
}, 90_000)

afterAll(async () => {
  killAllTessera()
  await Promise.allSettled([a?.exited, b?.exited])
  if (redis !== undefined) {
    await deleteKeys(redis, prefix)
    redis.disconnect()
  }
  await database?.drop()
}, 30_000)

describe('two instances, one PostgreSQL, one Redis', { timeout: 30_000 }, () => {
  it('a token issued by A works at B', async () => {
    const { access } = await tokensFor(a.url, 'carol', PASSWORD)
    const res = await me(b.url, access)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ username: 'carol' })
  })

  it('POST /logout at A is enforced at B on the next request', async () => {
    const { access } = await tokensFor(a.url, 'dave', PASSWORD)
    expect((await me(b.url, access)).status).toBe(200)
    const out = await call(`${a.url}/logout`, { method: 'POST', headers: { authorization: `Bearer ${access}` } })
    expect(out.status).toBe(204)
    const after = await me(b.url, access)
    expect(after.status).toBe(401)
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"')
  })

  it('an access token revoked at A (RFC 7009) is refused at B on the next request', async () => {
    const { access } = await tokensFor(b.url, 'grace', PASSWORD)
    expect((await me(b.url, access)).status).toBe(200)
    const revoked = await call(`${a.url}/revoke`, { method: 'POST', body: new URLSearchParams({ token: access, token_type_hint: 'access_token' }) })
    expect(revoked.status).toBe(200)
    expect((await me(b.url, access)).status).toBe(401)
  })

  it('a refresh token rotated at A is reuse at B: 400, and the whole family is dead at A too', async () => {
    const first = await tokensFor(a.url, 'erin', PASSWORD)
    const rotated = await refresh(a.url, first.refresh)
    expect(rotated.status).toBe(200)
    const second = String(rotated.body?.refresh_token)

    const reuse = await refresh(b.url, first.refresh)
    expect(reuse.status).toBe(400)
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' })
    const afterReuse = await refresh(a.url, second)
    expect(afterReuse.status).toBe(400)
    expect(afterReuse.body).toMatchObject({ error: 'invalid_grant' })
  })

  it('failed logins spread over A and B add up to one limit (3): the 4th attempt at either is 429', async () => {
    const statuses = []
    for (const server of [a, b, a]) statuses.push((await login(server.url, 'frank', 'wrong password')).status)
    expect(statuses).toEqual([401, 401, 401])
    const fourthAtB = await login(b.url, 'frank', 'wrong password')
    expect(fourthAtB.status).toBe(429)
    expect(Number(fourthAtB.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await login(a.url, 'frank', PASSWORD)).status).toBe(429)     // locked at A too, even with the right password
  })

  it('a key rotated with `tessera keys rotate` (announced on Redis) is published and verified by B within 1 s', async () => {
    const rotated = await runCli(['keys', 'rotate'], { env: cleanEnv(env), timeoutMs: 30_000 })
    const exitedAt = performance.now()
    expect(rotated).toMatchObject({ code: 0, stderr: '' })
    expect(rotated.stdout).toContain('Announced on Redis: 2 running servers reloaded the keys at once')
    const kid = /key ([A-Za-z0-9_-]{43}) is now active/.exec(rotated.stdout)?.[1] as string

    // B has not seen a token with the new kid: only the announcement can have told it.
    await expect.poll(() => publishedKids(b.url), { timeout: 1000, interval: 20 }).toContain(kid)
    const seenWithin = performance.now() - exitedAt
    console.log(`[two-instances] new signing key published by B ${seenWithin.toFixed(0)} ms after \`tessera keys rotate\` exited (limit 1000 ms)`)
    expect(seenWithin).toBeLessThan(1000)

    const { access } = await tokensFor(a.url, 'heidi', PASSWORD)
    expect(kidOf(access)).toBe(kid)                                       // A signs with it already
    expect((await me(b.url, access)).status).toBe(200)                  // and B accepts it on the first try
  })
})
