import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { HashAdmission, createPasswordHasher, generateTotpSecret, mintRefreshToken, totpStep, type Store, type UserRecord } from '../../src/core/index.js'
import { openStore } from '../../src/storage/index.js'
import { REPO_ROOT, cleanEnv, runCli, type CliResult } from './run-cli.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const hasher = createPasswordHasher({ admission: new HashAdmission({ concurrency: 2, queueLimit: 8 }) })

let dir: string
let databaseUrl: string
let env: NodeJS.ProcessEnv

function tessera(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(args, { env: { ...env, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) })
}

/** Looks at what the CLI stored, through the same store the server uses. */
async function inStore<T>(look: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl)
  try {
    return await look(store)
  } finally {
    await store.close()
  }
}

async function user(username: string): Promise<UserRecord | null> {
  return inStore((store) => store.users.findByUsername(username))
}

/** Starts a session for `username` the way a login does; returns the refresh token's hash. */
async function refreshTokenOf(username: string): Promise<string> {
  return inStore(async (store) => {
    const found = await store.users.findByUsername(username)
    const minted = mintRefreshToken({ userId: found!.id, clientId: null, scopes: ['me'] }, { idleSeconds: 3600, absoluteSeconds: 7200 }, Date.now())
    await store.refreshTokens.create(minted.record)
    return minted.record.tokenHash
  })
}

async function refreshRecord(tokenHash: string) {
  return inStore((store) => store.refreshTokens.findByHash(tokenHash))
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'))
  databaseUrl = `sqlite:${join(dir, 'cli.db')}`
  env = cleanEnv({ TESSERA_DATABASE_URL: databaseUrl })
})

afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('tessera secret generate', () => {
  it('prints a fresh 32-byte hex key that TESSERA_SECRET_KEY accepts', async () => {
    const first = await tessera(['secret', 'generate'])
    const second = await tessera(['secret', 'generate'])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/^[0-9a-f]{64}\n$/)
    expect(second.stdout).not.toBe(first.stdout)
    const key = first.stdout.trim()
    expect(loadConfig({ TESSERA_SECRET_KEY: key }).secretKey).toBe(key)
  })
})

describe('tessera migrate', () => {
  it('applies the migrations once, then reports the schema current', async () => {
    const first = await tessera(['migrate'])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toMatch(/^Applied \d+ migrations?: \S.*\n$/)
    expect(await tessera(['migrate'])).toEqual({ code: 0, signal: null, stdout: 'The database schema is up to date.\n', stderr: '' })
  })
})

describe('tessera users', () => {
  it('adds a user with the password piped on stdin, hashed with argon2id', async () => {
    const result = await tessera(['users', 'add', 'bob', '--email', 'bob@example.com', '--full-name', 'Bob Builder'], { input: 'correct horse\n' })
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const bob = await user('bob')
    expect(result.stdout).toBe(`Created user "bob" (id ${bob?.id}).\n`)
    expect(bob).toMatchObject({ username: 'bob', email: 'bob@example.com', fullName: 'Bob Builder', disabled: false, scopes: ['me', 'items'], tokensNotBefore: null })
    expect(bob?.id).toMatch(UUID)
    expect(bob?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/)
    expect(await hasher.verify('correct horse', bob?.passwordHash ?? '')).toEqual({ valid: true, needsRehash: false })
  })

  it('takes only the first line of stdin, and a CRLF line ending is not part of the password', async () => {
    expect((await tessera(['users', 'add', 'carol', '--disabled', '--scopes', 'me'], { input: 'carols password\r\nignored\n' })).code).toBe(0)
    const carol = await user('carol')
    expect(carol).toMatchObject({ disabled: true, scopes: ['me'] })
    expect((await hasher.verify('carols password', carol?.passwordHash ?? '')).valid).toBe(true)
  })

  it('applies registration rules: a taken name, a short password, a short username', async () => {
    expect(await tessera(['users', 'add', 'BOB'], { input: 'another password\n' }))
      .toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: a user named "BOB" already exists\n' })
    expect(await tessera(['users', 'add', 'dave'], { input: 'short\n' }))
      .toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: password: String should have at least 8 characters\n' })
    expect(await tessera(['users', 'add', 'ed', '--email', 'not-an-email'], { input: 'long enough\n' })).toEqual({
      code: 1, signal: null, stdout: '',
      stderr: 'error: username: String should have at least 3 characters\nerror: email: value is not a valid email address\n',
    })
    expect(await user('dave')).toBeNull()
  })

  it('refuses to run without a password on stdin', async () => {
    expect(await tessera(['users', 'add', 'dave'], { input: '' })).toEqual({
      code: 1, signal: null, stdout: '',
      stderr: 'error: no password given: type it at a terminal, or pipe it as the first line of stdin\n',
    })
    expect(await user('dave')).toBeNull()
  })

  it('never takes a password from the command line', async () => {
    const positional = await tessera(['users', 'add', 'dave', 'hunter2hunter2'], { input: 'piped password\n' })
    expect(positional.code).toBe(2)
    expect(positional.stderr).toMatch(/^error: too many arguments for 'add'\. Expected 1 argument but got 2\.\n/)
    const option = await tessera(['users', 'add', 'dave', '--password', 'hunter2hunter2'], { input: 'piped password\n' })
    expect(option.code).toBe(2)
    expect(option.stderr).toMatch(/^error: unknown option '--password'\n/)
    const passwd = await tessera(['users', 'passwd', 'bob', '--password=hunter2hunter2'], { input: 'piped password\n' })
    expect(passwd.code).toBe(2)
    expect(await user('dave')).toBeNull()
    expect((await hasher.verify('hunter2hunter2', (await user('bob'))?.passwordHash ?? '')).valid).toBe(false)
  })

  it('lists users as a table, never with their hashes', async () => {
    const result = await tessera(['users', 'list'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = result.stdout.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^USERNAME +FULL NAME +EMAIL +STATUS +SCOPES +CREATED$/)
    expect(lines[1]).toMatch(/^bob +Bob Builder +bob@example\.com +active +me items +\d{4}-\d\d-\d\dT[\d:.]+Z$/)
    expect(lines[2]).toMatch(/^carol +- +- +disabled +me +\d{4}-\d\d-\d\dT[\d:.]+Z$/)
    expect(lines[3]).toBe('')
    expect(result.stdout).not.toContain('$argon2')
  })

  it('lists users as JSON with public fields, scopes and creation time only', async () => {
    const result = await tessera(['users', 'list', '--json'])
    expect(result).toMatchObject({ code: 0, stderr: '' })
    expect(JSON.parse(result.stdout)).toEqual([
      {
        id: expect.stringMatching(UUID), username: 'bob', email: 'bob@example.com', full_name: 'Bob Builder',
        disabled: false, scopes: ['me', 'items'], created_at: expect.stringMatching(/Z$/),
      },
      {
        id: expect.stringMatching(UUID), username: 'carol', email: null, full_name: null,
        disabled: true, scopes: ['me'], created_at: expect.stringMatching(/Z$/),
      },
    ])
    expect(result.stdout).not.toMatch(/argon2|hash/i)
  })

  it('disables a user (revoking their tokens) and enables them again', async () => {
    const before = Math.floor(Date.now() / 1000)
    const session = await refreshTokenOf('bob')
    expect(await tessera(['users', 'disable', 'bob'])).toEqual({ code: 0, signal: null, stdout: 'Disabled user "bob".\n', stderr: '' })
    const disabled = await user('bob')
    expect(disabled?.disabled).toBe(true)
    expect(disabled?.tokensNotBefore).toBeGreaterThanOrEqual(before)
    expect((await refreshRecord(session))?.revokedAt).not.toBeNull()
    expect(await tessera(['users', 'enable', 'bob'])).toEqual({ code: 0, signal: null, stdout: 'Enabled user "bob".\n', stderr: '' })
    expect((await user('bob'))?.disabled).toBe(false)
  })

  it('changes a password under the registration policy, revoking older tokens', async () => {
    expect(await tessera(['users', 'passwd', 'bob'], { input: 'tiny\n' }))
      .toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: password: String should have at least 8 characters\n' })
    const before = Math.floor(Date.now() / 1000)
    const session = await refreshTokenOf('bob')
    expect(await tessera(['users', 'passwd', 'bob'], { input: 'a new password\n' }))
      .toEqual({ code: 0, signal: null, stdout: 'Changed the password of "bob".\n', stderr: '' })
    const bob = await user('bob')
    expect((await hasher.verify('a new password', bob?.passwordHash ?? '')).valid).toBe(true)
    expect((await hasher.verify('correct horse', bob?.passwordHash ?? '')).valid).toBe(false)
    expect(bob?.tokensNotBefore).toBeGreaterThanOrEqual(before)
    expect((await refreshRecord(session))?.revokedAt).not.toBeNull()
  })

  it('resets a second factor (a lost phone): the app and recovery codes go, audited as admin.mfa_reset', async () => {
    const now = Date.now()
    await inStore(async (store) => {
      const bob = await store.users.findByUsername('bob')
      await store.totp.startEnrolment(bob!.id, generateTotpSecret(), now)
      await store.totp.confirm(bob!.id, totpStep(now), now)
      await store.recoveryCodes.replaceAll(bob!.id, ['a'.repeat(64), 'b'.repeat(64)], now)
    })
    expect(await tessera(['users', 'reset-mfa', 'bob'])).toEqual({ code: 0, signal: null, stdout: 'Removed the second factor of user "bob".\n', stderr: '' })
    await inStore(async (store) => {
      const bob = await store.users.findByUsername('bob')
      expect(await store.totp.find(bob!.id)).toBeNull()
      expect(await store.recoveryCodes.countUnused(bob!.id)).toBe(0)
      const [entry] = await store.audit.list({ event: 'admin.mfa_reset', limit: 1, offset: 0 })
      expect(entry).toMatchObject({ userId: bob!.id, actorId: null, details: { removed: true, via: 'cli' } })
    })
    expect(await tessera(['users', 'reset-mfa', 'bob'])).toEqual({ code: 0, signal: null, stdout: 'User "bob" had no second factor.\n', stderr: '' })
  })

  it('deletes a user; an unknown name is an error', async () => {
    expect(await tessera(['users', 'delete', 'carol'])).toEqual({ code: 0, signal: null, stdout: 'Deleted user "carol".\n', stderr: '' })
    expect(await user('carol')).toBeNull()
    for (const command of ['delete', 'disable', 'enable', 'passwd', 'reset-mfa']) {
      expect(await tessera(['users', command, 'carol'], { input: 'whatever password\n' }))
        .toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: no user named "carol"\n' })
    }
  })
})

describe('tessera providers', () => {
  const SECRET = 'GOCSPX-never-printed-again'

  it('adds a preset provider with the secret from stdin, names the redirect URI, and never prints the secret again', async () => {
    const added = await tessera(['providers', 'add', 'google', '--preset', 'google', '--client-id', 'abc.apps.googleusercontent.com'], {
      input: `${SECRET}\n`, env: { TESSERA_ISSUER: 'https://auth.example.com' },
    })
    expect(added).toEqual({
      code: 0, signal: null, stderr: '',
      stdout: 'Added provider "google" (oidc, https://accounts.google.com).\nRegister this redirect URI with the provider: https://auth.example.com/signin/callback/google\n',
    })
    expect(await inStore((store) => store.identityProviders.findById('google'))).toMatchObject({ clientSecret: SECRET, scopes: ['openid', 'email', 'profile'] })
    const listed = await tessera(['providers', 'list'])
    expect(listed.stdout).toMatch(/^id +kind +label +issuer +client id +scopes\ngoogle +oidc +Sign in with Google +https:\/\/accounts\.google\.com +abc\.apps\.googleusercontent\.com +openid email profile\n$/)
    const json = await tessera(['providers', 'list', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ id: 'google', client_secret_set: true })])
    expect(listed.stdout + json.stdout).not.toContain(SECRET)
  })

  it('refuses a taken id, bad fields (every one) and no secret; removes with its links', async () => {
    expect(await tessera(['providers', 'add', 'google', '--preset', 'google', '--client-id', 'x'], { input: 'y\n' }))
      .toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: a provider named "google" already exists\n' })
    const bad = await tessera(['providers', 'add', 'corp', '--issuer', 'http://corp.example', '--client-id', 'a b'], { input: 'secret\n' })
    expect(bad.code).toBe(1)
    expect(bad.stderr.split('\n').filter(Boolean).map((line) => line.split(':')[1]?.trim())).toEqual(['issuer', 'client_id'])
    expect(await tessera(['providers', 'add', 'corp', '--issuer', 'https://corp.example', '--client-id', 'a'], { input: '' }))
      .toMatchObject({ code: 1, stderr: 'error: no client secret given: type it at a terminal, or pipe it as the first line of stdin\n' })
    expect(await tessera(['providers', 'remove', 'google'])).toEqual({ code: 0, signal: null, stdout: 'Removed provider "google" and its account links.\n', stderr: '' })
    expect(await tessera(['providers', 'remove', 'google'])).toEqual({ code: 1, signal: null, stdout: '', stderr: 'error: no provider named "google"\n' })
    expect((await tessera(['providers', 'list'])).stdout).toContain('No providers.')
  })
})

describe('usage and configuration errors', () => {
  it.each([
    [['users', 'add'], "error: missing required argument 'username'"],
    [['frobnicate'], "error: unknown command 'frobnicate'"],
    [['serve', '--port', '70000'], "error: option '--port <port>' argument '70000' is invalid. must be a whole number from 0 to 65535"],
    [['users', 'add', 'erin', '--scopes', 'me admin'], "error: option '--scopes <scopes>' argument 'me admin' is invalid. unknown scope admin (known: me, items, users:read, users:write)"],
  ])('tessera %j exits 2', async (args, message) => {
    const result = await tessera(args, { input: 'a fine password\n' })
    expect(result).toMatchObject({ code: 2, stdout: '' })
    expect(result.stderr).toBe(`${message}\n(run with --help for usage)\n`)
  })

  it('shows help and exits 2 when no command is given', async () => {
    const result = await tessera([])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Usage: tessera \[options\] \[command\]/)
  })

  it('exits 0 for --help and --version', async () => {
    const help = await tessera(['users', '--help'])
    expect(help).toMatchObject({ code: 0, stderr: '' })
    expect(help.stdout).toMatch(/^Usage: tessera users \[options\] \[command\]/)
    expect(await tessera(['--version'])).toEqual({ code: 0, signal: null, stdout: '0.1.0\n', stderr: '' })
  })

  it('names a bad environment variable, without a stack trace, and exits 1', async () => {
    expect(await tessera(['users', 'list'], { env: { TESSERA_PORT: 'eighty' } })).toEqual({
      code: 1, signal: null, stdout: '', stderr: 'error: TESSERA_PORT must be a whole number from 0 to 65535, got "eighty"\n',
    })
    const key = await tessera(['serve'], { env: { TESSERA_SECRET_KEY: 'too-short-to-sign-with' } })
    expect(key).toMatchObject({ code: 1, stdout: '' })
    expect(key.stderr).toMatch(/^error: TESSERA_SECRET_KEY must be at least 32 characters/)
    expect(key.stderr).not.toContain('too-short-to-sign-with')
    expect(key.stderr).not.toMatch(/^\s+at /m)
  })

  it('explains a database it cannot open, without a stack trace', async () => {
    const result = await tessera(['users', 'list'], { env: { TESSERA_DATABASE_URL: `sqlite:${join(dir, 'missing', 'dir', 'x.db')}` } })
    expect(result).toMatchObject({ code: 1, stdout: '' })
    expect(result.stderr).toMatch(/^error: TESSERA_DATABASE_URL: cannot open SQLite database at .*x\.db/)
    expect(result.stderr).not.toMatch(/^\s+at /m)
  })
})

const hasScript = spawnSync('script', ['--version']).status === 0

/** Drives the CLI through a pseudo-terminal (util-linux `script`); the n-th answer is typed after the n-th prompt. */
function atTerminal(args: string[], answers: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args].map((a) => `'${a}'`).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
    let screen = ''
    let answered = 0
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      screen += chunk
      const prompts = screen.match(/password: /gi)?.length ?? 0
      while (answered < prompts && answered < answers.length) child.stdin.write(`${answers[answered++]}\r`)
    })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no exit; screen so far:\n${screen}`)) }, 20_000)
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, screen }) })
  })
}

describe.skipIf(!hasScript)('at a terminal', () => {
  it('asks twice without echo', async () => {
    const { code, screen } = await atTerminal(['users', 'add', 'frank'], ['typed password', 'typed password'])
    expect(code).toBe(0)
    expect(screen).toMatch(/^Password: \r?\nRepeat password: \r?\nCreated user "frank" \(id [0-9a-f-]{36}\)\.\r?\n$/)
    expect((await hasher.verify('typed password', (await user('frank'))?.passwordHash ?? '')).valid).toBe(true)
  })

  it('refuses two different answers, pasted at once after the first prompt', async () => {
    const { code, screen } = await atTerminal(['users', 'passwd', 'frank'], ['first password\rsecond password'])
    expect(code).toBe(1)
    expect(screen).toMatch(/^Password: \r?\nRepeat password: \r?\nerror: the passwords do not match\r?\n$/)
    expect(screen).not.toContain('password\r')
    expect((await hasher.verify('typed password', (await user('frank'))?.passwordHash ?? '')).valid).toBe(true)
  })
})
