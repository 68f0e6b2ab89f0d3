import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, cleanEnv } from '../cli/run-cli.js'
import { freePort } from '../support/tessera-process.js'

// The README's quick start, as a user runs it: `npm start -- --demo --port <port>` from the
// repository root (build, then serve), then FastAPI's tutorial walk-through over real HTTP.

const START_TIMEOUT_MS = 90_000
const STOP_TIMEOUT_MS = 20_000

interface Started {
  /** The `npm start` process: its own process group, so cleanup can end everything under it. */
  npm: ChildProcess
  url: string
  /** The process that serves, as its own log line says (npm and a shell sit above it). */
  serverPid: number
  log: () => string
  exited: Promise<number | null>
}

const running = new Set<ChildProcess>()

function start(port: number, env: NodeJS.ProcessEnv): Promise<Started> {
  const npm = spawn('npm', ['start', '--', '--demo', '--port', String(port)], {
    cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(npm)
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => { running.delete(npm); resolve(code) }))
  let out = ''
  const log = () => out
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line in ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS)
    npm.stderr?.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    npm.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue
        const entry = JSON.parse(line) as { msg?: string; url?: string; pid?: number }
        if (entry.url !== undefined && entry.pid !== undefined && entry.msg?.startsWith('Tessera listening on ')) {
          clearTimeout(timer)
          resolve({ npm, url: entry.url, serverPid: entry.pid, log, exited })
          return
        }
      }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`npm start exited with ${code} before listening:\n${out}`)) })
  })
}

/** SIGTERM to the server itself; it must drain and exit 0 on its own, and so must npm above it. */
async function stop(server: Started): Promise<number | null> {
  process.kill(server.serverPid, 'SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${server.log()}`)), STOP_TIMEOUT_MS)
  })
  try {
    return await Promise.race([server.exited, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  })
}

function get(url: string, token: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${token}` } })
}

let dir: string
let env: NodeJS.ProcessEnv
let port: number

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-e2e-'))
  // No TESSERA_SECRET_KEY: the server generates one and keeps it in the database.
  env = cleanEnv({ TESSERA_DATABASE_URL: `sqlite:${join(dir, 'tessera.db')}` })
  port = await freePort()
})

afterAll(() => {
  // Whatever happened above, nothing is left running: each `npm start` leads its own process group.
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true })
})

describe('README quick start: npm start -- --demo', { timeout: 240_000 }, () => {
  let token = ''

  it('walks the tutorial, then stops on SIGTERM with status 0', async () => {
    const server = await start(port, env)
    expect(server.url).toBe(`http://127.0.0.1:${port}`)
    expect(server.log()).toContain('generated a signing key and stored it in the database; tokens survive restarts')

    const granted = await login(server.url, 'johndoe', 'secret')
    expect(granted.status).toBe(200)
    expect(granted.headers.get('cache-control')).toBe('no-store')
    const body = await granted.json() as { access_token: string }
    expect(body).toEqual({
      access_token: expect.stringMatching(/^eyJ/), token_type: 'bearer', expires_in: 1800, scope: 'me items',
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), // issue 3: logins last beyond the access token
    })
    token = body.access_token

    const me = await get(`${server.url}/users/me`, token)
    expect(me.status).toBe(200)
    expect(await me.json()).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), username: 'johndoe', email: 'johndoe@example.com', email_verified: false, full_name: 'John Doe', disabled: false,
    })

    const items = await get(`${server.url}/users/me/items`, token)
    expect(items.status).toBe(200)
    expect(await items.json()).toEqual([{ item_id: 'Foo', owner: 'johndoe', title: null, description: null }])

    const inactive = await login(server.url, 'alice', 'secret2')
    expect(inactive.status).toBe(400)
    expect(await inactive.json()).toEqual({ detail: 'Inactive user', error: 'invalid_grant', error_description: 'Inactive user' })

    const wrong = await login(server.url, 'johndoe', 'not-the-password')
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer')
    expect(await wrong.json()).toEqual({
      detail: 'Incorrect username or password', error: 'invalid_grant', error_description: 'Incorrect username or password',
    })

    expect(await stop(server)).toBe(0)
    // The log has the events, never the secrets: no token, no demo password.
    expect(server.log()).not.toContain(token)
    expect(server.log()).not.toContain('not-the-password')
  })

  it('keeps the generated key across a restart: the old token still works', async () => {
    expect(token).not.toBe('')
    const server = await start(port, env)
    expect(server.log()).not.toContain('generated a signing key')

    const me = await get(`${server.url}/users/me`, token)
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ username: 'johndoe' })

    expect(await stop(server)).toBe(0)
  })

  it('answers the requests in flight when SIGTERM arrives before it exits', async () => {
    const server = await start(port, env)
    // Each login costs an argon2id verification (~100 ms): these are still running at the signal.
    const logins = Array.from({ length: 4 }, () => login(server.url, 'johndoe', 'secret'))
    const deadline = Date.now() + 10_000
    while ((server.log().match(/"msg":"incoming request"/g)?.length ?? 0) < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const exit = stop(server)
    expect((await Promise.all(logins)).map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(await exit).toBe(0)
    expect(server.log()).toMatch(/"signal":"SIGTERM","msg":"shutting down: finishing in-flight requests"/)
  })
})
