import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { subscribeKeyChanges } from '../../src/storage/index.js'
import { REDIS_URL, closedPort, uniquePrefix } from '../support/redis.js'
import { cleanEnv, runCli } from './run-cli.js'

// `tessera keys` with TESSERA_REDIS_URL: every change is announced on Redis, so running servers
// reload at once; an unreachable Redis never fails the command (servers reload periodically).
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-keys-redis-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const KID = /[A-Za-z0-9_-]{43}/

describe('tessera keys with Redis', () => {
  it('announces generate, rotate and retire to the servers subscribed under its prefix', async () => {
    const prefix = uniquePrefix('clikeys')
    let heard = 0
    const server = subscribeKeyChanges(REDIS_URL, prefix, { onChange: () => { heard += 1 } })
    const env = cleanEnv({ TESSERA_DATABASE_URL: `sqlite:${join(dir, 'announce.db')}`, TESSERA_REDIS_URL: REDIS_URL, TESSERA_REDIS_KEY_PREFIX: prefix })
    try {
      expect(await server.subscribed(2000)).toBe(true)
      const generated = await runCli(['keys', 'generate'], { env })
      expect(generated).toMatchObject({ code: 0, stderr: '' })
      expect(generated.stdout).toMatch(/: active\. .* Announced on Redis: 1 running server reloaded the keys at once; any other within TESSERA_KEYS_RELOAD_SECONDS\.\n$/)
      await expect.poll(() => heard, { timeout: 1000, interval: 10 }).toBe(1)

      const rotated = await runCli(['keys', 'rotate'], { env })
      expect(rotated.stdout).toContain('Announced on Redis: 1 running server')
      await expect.poll(() => heard, { timeout: 1000, interval: 10 }).toBe(2)

      const first = KID.exec(generated.stdout)?.[0] as string
      expect((await runCli(['keys', 'retire', first], { env })).stdout).toContain('Announced on Redis: 1 running server')
      await expect.poll(() => heard, { timeout: 1000, interval: 10 }).toBe(3)
      expect((await runCli(['keys', 'retire', first], { env })).stdout).toBe(`Key ${first} was already retired.\n`) // nothing changed, nothing said
      expect(heard).toBe(3)
    } finally {
      server.close()
    }
  })

  it('still makes the change when Redis does not answer, and says servers reload periodically', async () => {
    const env = cleanEnv({ TESSERA_DATABASE_URL: `sqlite:${join(dir, 'down.db')}`, TESSERA_REDIS_URL: `redis://127.0.0.1:${await closedPort()}` })
    const generated = await runCli(['keys', 'generate'], { env })
    expect(generated).toMatchObject({ code: 0, stderr: '' })
    expect(generated.stdout).toMatch(/: active\. .* Redis did not answer, so no server was told\. Running servers pick this up within TESSERA_KEYS_RELOAD_SECONDS\.\n$/)
    expect((await runCli(['keys', 'list', '--json'], { env })).stdout).toMatch(KID)
  })
})
