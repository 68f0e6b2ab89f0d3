import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig, type Config } from '../../src/config.js'
import { startServer } from '../../src/http/server.js'
import { SECRET_KEY } from './test-server.js'
import { logSink } from '../support/log-sink.js'

// What `tessera serve` says about mail at start, and what it then offers: with no SMTP server and
// no mail folder the mail features are off (and the log says so); with a folder (the demo's) a
// reset link lands there as files a newcomer can open. Real listening servers on SQLite files.
const dir = mkdtempSync(join(tmpdir(), 'tessera-server-mail-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function config(name: string, overrides: Partial<Config>): Config {
  return loadConfig({}, { port: 0, databaseUrl: `sqlite:${join(dir, `${name}.db`)}`, secretKey: SECRET_KEY, logLevel: 'info', ...overrides })
}


const forgot = (url: string) => fetch(`${url}/password/forgot`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'johndoe@example.com' }),
})

describe('mail at start', () => {
  it('without SMTP or a folder: says mail is off, and offers no reset', async () => {
    const log = logSink()
    const server = await startServer(config('off', { demo: false }), { logger: log.stream, handleSignals: false })
    try {
      expect(log.messages).toContain('mail is off (no TESSERA_SMTP_URL or TESSERA_MAIL_DIR): email verification, password reset and email change are not offered')
      const res = await forgot(server.url)
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({ detail: 'Password reset is not available here: this server sends no mail. Ask your administrator to set a new password.' })
    } finally {
      await server.close()
    }
  })

  it('--demo: writes mail to the folder it names at start, and sends what is queued before it stops', async () => {
    const log = logSink()
    const mailDir = join(dir, 'mail')
    const server = await startServer(config('demo', { demo: true, mailDir }), { logger: log.stream, handleSignals: false })
    try {
      expect(log.messages).toContain(`mail: written to ${mailDir}`)
      expect((await forgot(server.url)).status).toBe(202)
    } finally {
      await server.close()
    }
    const text = readdirSync(mailDir).filter((f) => f.endsWith('-reset_password.txt'))
    expect(text).toHaveLength(1)
    const mail = readFileSync(join(mailDir, text[0] as string), 'utf8')
    expect(mail).toMatch(/^To: johndoe@example\.com$/m)
    expect(mail).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/password\/reset\?token=[A-Za-z0-9_-]{43}$/m)     // the issuer's link, clickable
  })
})
