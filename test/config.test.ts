import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, threadpoolSize, type Config } from '../src/config.js'
import { TUTORIAL_SECRET_KEY } from '../src/core/secret-key.js'

const KEY = 'k'.repeat(32)

function failure(env: Record<string, string>, overrides: Partial<Config> = {}): ConfigError {
  try {
    loadConfig(env, overrides)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('defaults every setting', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: 'sqlite:tessera.db',
      secretKey: null,
      accessTokenExpireMinutes: 30,
      registration: 'open',
      issuer: 'http://127.0.0.1:8000',
      bodyLimit: 65536,
      passwordMaxBytes: 1024,
      hashConcurrency: Math.min(availableParallelism(), 256),
      hashQueueLimit: 64,
      logLevel: 'info',
      demo: false,
    })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      TESSERA_HOST: '0.0.0.0',
      TESSERA_PORT: '9000',
      TESSERA_DATABASE_URL: 'sqlite::memory:',
      TESSERA_SECRET_KEY: KEY,
      TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES: '15',
      TESSERA_REGISTRATION: 'closed',
      TESSERA_ISSUER: 'https://auth.example.com',
      TESSERA_BODY_LIMIT: '2048',
      TESSERA_PASSWORD_MAX_BYTES: '256',
      TESSERA_HASH_CONCURRENCY: '3',
      TESSERA_HASH_QUEUE_LIMIT: '0',
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_DEMO: 'true',
    })
    expect(config).toEqual({
      host: '0.0.0.0', port: 9000, databaseUrl: 'sqlite::memory:', secretKey: KEY, accessTokenExpireMinutes: 15,
      registration: 'closed', issuer: 'https://auth.example.com', bodyLimit: 2048, passwordMaxBytes: 256,
      hashConcurrency: 3, hashQueueLimit: 0, logLevel: 'warn', demo: true,
    })
  })

  it('ignores variables that are not Tessera settings', () => {
    expect(loadConfig({ PATH: '/usr/bin', PORT: 'x', HOST: 'y' }).port).toBe(8000)
  })

  it('is frozen', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => { (config as { port: number }).port = 1 }).toThrow(TypeError)
  })

  it('treats a set-but-empty variable as unset', () => {
    expect(loadConfig({ TESSERA_SECRET_KEY: '', TESSERA_PORT: ' ' })).toMatchObject({ secretKey: null, port: 8000 })
  })

  it('derives the issuer from host and port, bracketing IPv6', () => {
    expect(loadConfig({ TESSERA_HOST: 'localhost', TESSERA_PORT: '8443' }).issuer).toBe('http://localhost:8443')
    expect(loadConfig({ TESSERA_HOST: '::1' }).issuer).toBe('http://[::1]:8000')
  })

  it('lets overrides win over the environment, and derives the issuer from them', () => {
    const config = loadConfig({ TESSERA_HOST: '0.0.0.0', TESSERA_PORT: '9000' }, { port: 0, demo: true, host: undefined })
    expect(config).toMatchObject({ host: '0.0.0.0', port: 0, demo: true, issuer: 'http://0.0.0.0:0' })
  })

  it('keeps an explicit issuer when the port is overridden', () => {
    expect(loadConfig({ TESSERA_ISSUER: 'https://auth.example.com/' }, { port: 1234 }).issuer).toBe('https://auth.example.com/')
  })

  it('accepts case-insensitive enumerations and booleans', () => {
    expect(loadConfig({ TESSERA_REGISTRATION: 'Closed', TESSERA_LOG_LEVEL: 'DEBUG', TESSERA_DEMO: '0' }))
      .toMatchObject({ registration: 'closed', logLevel: 'debug', demo: false })
  })

  it('accepts the port range 0..65535', () => {
    expect(loadConfig({ TESSERA_PORT: '0' }).port).toBe(0)
    expect(loadConfig({ TESSERA_PORT: '65535' }).port).toBe(65535)
  })

  it('accepts postgres URLs (the storage layer decides what it can open)', () => {
    expect(loadConfig({ TESSERA_DATABASE_URL: 'postgres://u:p@db/tessera' }).databaseUrl).toBe('postgres://u:p@db/tessera')
  })
})

describe('loadConfig refuses bad values, naming the variable', () => {
  it.each([
    ['TESSERA_PORT', '65536', 'TESSERA_PORT must be a whole number from 0 to 65535, got "65536"'],
    ['TESSERA_PORT', '-1', 'TESSERA_PORT must be a whole number from 0 to 65535, got "-1"'],
    ['TESSERA_PORT', '80.5', 'TESSERA_PORT must be a whole number from 0 to 65535, got "80.5"'],
    ['TESSERA_PORT', 'http', 'TESSERA_PORT must be a whole number from 0 to 65535, got "http"'],
    ['TESSERA_PORT', '0x50', 'TESSERA_PORT must be a whole number from 0 to 65535, got "0x50"'],
    ['TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES', '0', 'TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES must be a whole number from 1 to 10080, got "0"'],
    ['TESSERA_BODY_LIMIT', '10', 'TESSERA_BODY_LIMIT must be a whole number from 1024 to 104857600, got "10"'],
    ['TESSERA_PASSWORD_MAX_BYTES', '4', 'TESSERA_PASSWORD_MAX_BYTES must be a whole number from 8 to 65536, got "4"'],
    ['TESSERA_HASH_CONCURRENCY', '0', 'TESSERA_HASH_CONCURRENCY must be a whole number from 1 to 256, got "0"'],
    ['TESSERA_HASH_QUEUE_LIMIT', 'many', 'TESSERA_HASH_QUEUE_LIMIT must be a whole number from 0 to 100000, got "many"'],
    ['TESSERA_REGISTRATION', 'maybe', 'TESSERA_REGISTRATION must be one of open, closed, got "maybe"'],
    ['TESSERA_LOG_LEVEL', 'loud', 'TESSERA_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    ['TESSERA_DEMO', 'sure', 'TESSERA_DEMO must be true or false, got "sure"'],
    ['TESSERA_ISSUER', 'auth.example.com', 'TESSERA_ISSUER must be an absolute http(s) URL, got "auth.example.com"'],
    ['TESSERA_ISSUER', 'ftp://auth.example.com', 'TESSERA_ISSUER must be an absolute http(s) URL, got "ftp://auth.example.com"'],
    ['TESSERA_HOST', 'local host', 'TESSERA_HOST must be a host name or IP address, got "local host"'],
    ['TESSERA_HOST', '[::1]', 'TESSERA_HOST must be a host name or IP address, got "[::1]"'],
    ['TESSERA_DATABASE_URL', 'sqlite:', 'TESSERA_DATABASE_URL needs a file path: sqlite:<path> (e.g. sqlite:tessera.db) or sqlite::memory:'],
    ['TESSERA_DATABASE_URL', 'tessera.db', 'TESSERA_DATABASE_URL has no scheme: expected sqlite:<path>, sqlite::memory: or postgres://…'],
  ])('%s=%s', (variable, value, message) => {
    const err = failure({ [variable]: value })
    expect(err.variable).toBe(variable)
    expect(err.message).toBe(message)
  })

  it('never echoes a database URL, which may carry a password', () => {
    const err = failure({ TESSERA_DATABASE_URL: 'mysql://admin:hunter2@db/tessera' })
    expect(err.message).toBe('TESSERA_DATABASE_URL has scheme "mysql:": expected sqlite:<path>, sqlite::memory: or postgres://…')
  })

  it('refuses the secret key published in the FastAPI tutorial, without echoing it', () => {
    const err = failure({ TESSERA_SECRET_KEY: TUTORIAL_SECRET_KEY })
    expect(err.variable).toBe('TESSERA_SECRET_KEY')
    expect(err.message).toMatch(/^TESSERA_SECRET_KEY is the key published in the FastAPI tutorial/)
    expect(err.message).not.toContain(TUTORIAL_SECRET_KEY)
  })

  it('refuses a secret key shorter than 32 characters, without echoing it', () => {
    const err = failure({ TESSERA_SECRET_KEY: 'short-secret-value' })
    expect(err.variable).toBe('TESSERA_SECRET_KEY')
    expect(err.message).toMatch(/^TESSERA_SECRET_KEY must be at least 32 characters/)
    expect(err.message).not.toContain('short-secret-value')
  })

  it('accepts a secret key of exactly 32 characters', () => {
    expect(loadConfig({ TESSERA_SECRET_KEY: KEY }).secretKey).toBe(KEY)
  })

  it('refuses an unknown TESSERA_ variable, since it is almost certainly a typo', () => {
    const err = failure({ TESSERA_SECRET: KEY })
    expect(err.variable).toBe('TESSERA_SECRET')
    expect(err.message).toMatch(/^TESSERA_SECRET is not a Tessera setting \(known: TESSERA_HOST, /)
    expect(err.message).not.toContain(KEY)
  })

  it('checks the environment even where an override replaces it', () => {
    expect(failure({ TESSERA_PORT: 'eighty' }, { port: 8080 }).variable).toBe('TESSERA_PORT')
  })

  it('checks overrides too, naming the field', () => {
    expect(failure({}, { port: 70000 }).message).toBe('port must be a whole number from 0 to 65535, got "70000"')
    expect(failure({}, { host: 'a b' }).variable).toBe('host')
    expect(failure({}, { secretKey: 'short' }).variable).toBe('secretKey')
  })
})

describe('threadpoolSize', () => {
  it('is one libuv thread per admitted hash plus two when the environment does not say', () => {
    expect(threadpoolSize({}, { hashConcurrency: 4 })).toEqual({ size: 6, inEnvironment: false, sufficient: false })
  })

  it("needs no relaunch when libuv's default pool of 4 already fits (2 hashes + 2 spare)", () => {
    expect(threadpoolSize({}, { hashConcurrency: 2 })).toEqual({ size: 4, inEnvironment: false, sufficient: true })
  })

  it("keeps the operator's UV_THREADPOOL_SIZE", () => {
    expect(threadpoolSize({ UV_THREADPOOL_SIZE: '16' }, { hashConcurrency: 4 })).toEqual({ size: 16, inEnvironment: true, sufficient: true })
  })

  it('caps at libuv’s maximum of 1024', () => {
    expect(threadpoolSize({}, { hashConcurrency: 1023 }).size).toBe(1024)
  })

  it('refuses a nonsense UV_THREADPOOL_SIZE by name', () => {
    expect(() => threadpoolSize({ UV_THREADPOOL_SIZE: 'lots' }, { hashConcurrency: 1 }))
      .toThrow(new ConfigError('UV_THREADPOOL_SIZE', 'must be a whole number from 1 to 1024, got "lots"'))
  })
})
