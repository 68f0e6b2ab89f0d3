import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { ConfigError, defaultHashConcurrency, loadConfig, threadpoolSize, type Config } from '../src/config.js'
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
      databasePoolSize: 10,
      databaseStatementTimeoutMs: 5000,
      secretKey: null,
      accessTokenExpireMinutes: 30,
      refreshIdleDays: 14,
      refreshAbsoluteDays: 90,
      requireClient: false,
      registration: 'open',
      issuer: 'http://127.0.0.1:8000',
      bodyLimit: 65536,
      passwordMaxBytes: 1024,
      hashConcurrency: defaultHashConcurrency(availableParallelism()),
      hashQueueLimit: 64,
      logLevel: 'info',
      demo: false,
      keysReloadSeconds: 5,
      loginMaxFailures: 5,
      loginWindowSeconds: 900,
      loginIpMaxFailures: 100,
      registrationsPerIpPerHour: 20,
      redisUrl: null,
      redisKeyPrefix: 'tessera:',
      metrics: true,
      metricsToken: null,
      hsts: false,
      corsOrigins: [],
      trustProxy: false,
      auditRetentionDays: 365,
      productName: 'Tessera',
      audience: 'http://127.0.0.1:8000',                          // the issuer, unless set
      sessionIdleHours: 72,
      sessionAbsoluteHours: 336,
      smtpUrl: null,
      mailFrom: 'Tessera <no-reply@localhost>',
      mailDir: null,
      emailVerification: 'optional',
    })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      TESSERA_HOST: '0.0.0.0',
      TESSERA_PORT: '9000',
      TESSERA_DATABASE_URL: 'sqlite::memory:',
      TESSERA_DATABASE_POOL_SIZE: '25',
      TESSERA_DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      TESSERA_SECRET_KEY: KEY,
      TESSERA_ACCESS_TOKEN_EXPIRE_MINUTES: '15',
      TESSERA_REFRESH_IDLE_DAYS: '7',
      TESSERA_REFRESH_ABSOLUTE_DAYS: '30',
      TESSERA_REQUIRE_CLIENT: 'yes',
      TESSERA_REGISTRATION: 'closed',
      TESSERA_ISSUER: 'https://auth.example.com',
      TESSERA_BODY_LIMIT: '2048',
      TESSERA_PASSWORD_MAX_BYTES: '256',
      TESSERA_HASH_CONCURRENCY: '3',
      TESSERA_HASH_QUEUE_LIMIT: '0',
      TESSERA_LOG_LEVEL: 'warn',
      TESSERA_DEMO: 'true',
      TESSERA_KEYS_RELOAD_SECONDS: '0',
      TESSERA_LOGIN_MAX_FAILURES: '10',
      TESSERA_LOGIN_WINDOW_SECONDS: '60',
      TESSERA_LOGIN_IP_MAX_FAILURES: '0',
      TESSERA_REGISTRATIONS_PER_IP_PER_HOUR: '0',
      TESSERA_REDIS_URL: 'redis://127.0.0.1:6379/0',
      TESSERA_REDIS_KEY_PREFIX: 'auth-eu:',
      TESSERA_METRICS: 'off',
      TESSERA_METRICS_TOKEN: 'scrape-token-0123456789',
      TESSERA_HSTS: 'true',
      TESSERA_CORS_ORIGINS: 'https://app.example.com, http://localhost:3000',
      TESSERA_TRUST_PROXY: '10.0.0.0/8,192.168.1.10',
      TESSERA_AUDIT_RETENTION_DAYS: '30',
      TESSERA_PRODUCT_NAME: 'Example Accounts',
      TESSERA_AUDIENCE: 'https://api.example.com',
      TESSERA_SESSION_IDLE_HOURS: '8',
      TESSERA_SESSION_ABSOLUTE_HOURS: '24',
      TESSERA_SMTP_URL: 'smtps://mailer:pw@mail.example.com:465',
      TESSERA_MAIL_FROM: 'Example <accounts@example.com>',
      TESSERA_MAIL_DIR: '/var/tmp/mail',
      TESSERA_EMAIL_VERIFICATION: 'required',
    })
    expect(config).toEqual({
      host: '0.0.0.0', port: 9000, databaseUrl: 'sqlite::memory:', databasePoolSize: 25, databaseStatementTimeoutMs: 2000, secretKey: KEY, accessTokenExpireMinutes: 15,
      refreshIdleDays: 7, refreshAbsoluteDays: 30, requireClient: true,
      registration: 'closed', issuer: 'https://auth.example.com', bodyLimit: 2048, passwordMaxBytes: 256,
      hashConcurrency: 3, hashQueueLimit: 0, logLevel: 'warn', demo: true, keysReloadSeconds: 0,
      loginMaxFailures: 10, loginWindowSeconds: 60, loginIpMaxFailures: 0, registrationsPerIpPerHour: 0, redisUrl: 'redis://127.0.0.1:6379/0',
      redisKeyPrefix: 'auth-eu:',
      metrics: false, metricsToken: 'scrape-token-0123456789', hsts: true,
      corsOrigins: ['https://app.example.com', 'http://localhost:3000'], trustProxy: ['10.0.0.0/8', '192.168.1.10'],
      auditRetentionDays: 30,
      productName: 'Example Accounts', audience: 'https://api.example.com', sessionIdleHours: 8, sessionAbsoluteHours: 24,
      smtpUrl: 'smtps://mailer:pw@mail.example.com:465', mailFrom: 'Example <accounts@example.com>', mailDir: '/var/tmp/mail',
      emailVerification: 'required',
    })
  })

  it('mail: --demo writes to tessera-mail unless SMTP or a folder is named; `required` without any mail is refused at start', () => {
    expect(loadConfig({ TESSERA_DEMO: 'true' })).toMatchObject({ smtpUrl: null, mailDir: 'tessera-mail' })
    expect(loadConfig({ TESSERA_DEMO: 'true', TESSERA_SMTP_URL: 'smtp://127.0.0.1:2525' })).toMatchObject({ mailDir: null })
    expect(() => loadConfig({ TESSERA_EMAIL_VERIFICATION: 'required' })).toThrow(/^TESSERA_EMAIL_VERIFICATION is required, but no mail can be sent/)
    expect(loadConfig({ TESSERA_EMAIL_VERIFICATION: 'required', TESSERA_SMTP_URL: 'smtp://127.0.0.1:2525' }).emailVerification).toBe('required')
    expect(() => loadConfig({ TESSERA_EMAIL_VERIFICATION: 'sometimes' })).toThrow(/^TESSERA_EMAIL_VERIFICATION/)
  })

  it('mail: refuses an SMTP URL of another scheme or without a host, and a From that is not one address', () => {
    expect(() => loadConfig({ TESSERA_SMTP_URL: 'http://mail.example.com' })).toThrow(/^TESSERA_SMTP_URL has scheme "http:"/)
    expect(() => loadConfig({ TESSERA_SMTP_URL: 'mail.example.com:587' })).toThrow(/^TESSERA_SMTP_URL/)
    expect(() => loadConfig({ TESSERA_MAIL_FROM: 'nobody' })).toThrow(/^TESSERA_MAIL_FROM must be an address/)
    expect(() => loadConfig({ TESSERA_MAIL_FROM: 'a@example.com\r\nBcc: x@evil.example' })).toThrow(/^TESSERA_MAIL_FROM/)
    // The password in the URL is never quoted back in an error.
    expect(() => loadConfig({ TESSERA_SMTP_URL: 'ftp://user:hunter2@mail.example.com' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('hunter2') }))
  })

  it('refuses a product name with control characters or over 60 characters, and an audience that is not an absolute URI', () => {
    expect(() => loadConfig({ TESSERA_PRODUCT_NAME: 'a\u0007b' })).toThrow(/^TESSERA_PRODUCT_NAME must be 1 to 60 printable characters/)
    expect(() => loadConfig({ TESSERA_PRODUCT_NAME: 'x'.repeat(61) })).toThrow(/^TESSERA_PRODUCT_NAME/)
    expect(() => loadConfig({ TESSERA_AUDIENCE: 'api' })).toThrow(/^TESSERA_AUDIENCE must be an absolute URI without a fragment/)
    expect(() => loadConfig({ TESSERA_AUDIENCE: 'https://api.example.com/#x' })).toThrow(/^TESSERA_AUDIENCE/)
    expect(() => loadConfig({ TESSERA_SESSION_IDLE_HOURS: '0' })).toThrow(/^TESSERA_SESSION_IDLE_HOURS must be a whole number from 1/)
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
    ['TESSERA_KEYS_RELOAD_SECONDS', '-1', 'TESSERA_KEYS_RELOAD_SECONDS must be a whole number from 0 to 86400, got "-1"'],
    ['TESSERA_KEYS_RELOAD_SECONDS', '0.5', 'TESSERA_KEYS_RELOAD_SECONDS must be a whole number from 0 to 86400, got "0.5"'],
    ['TESSERA_ISSUER', 'auth.example.com', 'TESSERA_ISSUER must be an absolute http(s) URL, got "auth.example.com"'],
    ['TESSERA_ISSUER', 'ftp://auth.example.com', 'TESSERA_ISSUER must be an absolute http(s) URL, got "ftp://auth.example.com"'],
    ['TESSERA_HOST', 'local host', 'TESSERA_HOST must be a host name or IP address, got "local host"'],
    ['TESSERA_HOST', '[::1]', 'TESSERA_HOST must be a host name or IP address, got "[::1]"'],
    ['TESSERA_DATABASE_URL', 'sqlite:', 'TESSERA_DATABASE_URL needs a file path: sqlite:<path> (e.g. sqlite:tessera.db) or sqlite::memory:'],
    ['TESSERA_DATABASE_URL', 'tessera.db', 'TESSERA_DATABASE_URL has no scheme: expected sqlite:<path>, sqlite::memory: or postgres://…'],
    ['TESSERA_REFRESH_IDLE_DAYS', '0', 'TESSERA_REFRESH_IDLE_DAYS must be a whole number from 1 to 3650, got "0"'],
    ['TESSERA_REFRESH_ABSOLUTE_DAYS', '1.5', 'TESSERA_REFRESH_ABSOLUTE_DAYS must be a whole number from 1 to 3650, got "1.5"'],
    ['TESSERA_REQUIRE_CLIENT', 'sometimes', 'TESSERA_REQUIRE_CLIENT must be true or false, got "sometimes"'],
    ['TESSERA_LOGIN_MAX_FAILURES', '-1', 'TESSERA_LOGIN_MAX_FAILURES must be a whole number from 0 to 1000000, got "-1"'],
    ['TESSERA_LOGIN_WINDOW_SECONDS', '0', 'TESSERA_LOGIN_WINDOW_SECONDS must be a whole number from 1 to 604800, got "0"'],
    ['TESSERA_LOGIN_IP_MAX_FAILURES', 'lots', 'TESSERA_LOGIN_IP_MAX_FAILURES must be a whole number from 0 to 1000000, got "lots"'],
    ['TESSERA_REGISTRATIONS_PER_IP_PER_HOUR', '2.5', 'TESSERA_REGISTRATIONS_PER_IP_PER_HOUR must be a whole number from 0 to 1000000, got "2.5"'],
    ['TESSERA_AUDIT_RETENTION_DAYS', '-1', 'TESSERA_AUDIT_RETENTION_DAYS must be a whole number from 0 to 36500, got "-1"'],
    ['TESSERA_AUDIT_RETENTION_DAYS', '1y', 'TESSERA_AUDIT_RETENTION_DAYS must be a whole number from 0 to 36500, got "1y"'],
    ['TESSERA_REDIS_URL', 'localhost:6379', 'TESSERA_REDIS_URL has scheme "localhost:": expected redis://… or rediss://…'],
    ['TESSERA_REDIS_URL', '127.0.0.1:6379', 'TESSERA_REDIS_URL has no scheme: expected redis://… or rediss://…'],
    ['TESSERA_REDIS_URL', 'redis://', 'TESSERA_REDIS_URL must name a host: redis://[:password@]host[:port][/db]'],
    ['TESSERA_REDIS_KEY_PREFIX', 'a b', 'TESSERA_REDIS_KEY_PREFIX must be 1 to 64 visible ASCII characters without spaces or braces, got "a b"'],
    ['TESSERA_REDIS_KEY_PREFIX', '{t}', 'TESSERA_REDIS_KEY_PREFIX must be 1 to 64 visible ASCII characters without spaces or braces, got "{t}"'],
  ])('%s=%s', (variable, value, message) => {
    const err = failure({ [variable]: value })
    expect(err.variable).toBe(variable)
    expect(err.message).toBe(message)
  })

  it('keeps audit entries forever with TESSERA_AUDIT_RETENTION_DAYS=0', () => {
    expect(loadConfig({ TESSERA_AUDIT_RETENTION_DAYS: '0' }).auditRetentionDays).toBe(0)
    expect(failure({}, { auditRetentionDays: 36_501 }).message).toBe('auditRetentionDays must be a whole number from 0 to 36500, got "36501"')
  })

  it('turns each brute-force limit off with 0, and accepts rediss:// URLs', () => {
    expect(loadConfig({
      TESSERA_LOGIN_MAX_FAILURES: '0', TESSERA_LOGIN_IP_MAX_FAILURES: '0', TESSERA_REGISTRATIONS_PER_IP_PER_HOUR: '0',
      TESSERA_REDIS_URL: 'rediss://:pw@cache.internal:6380',
    })).toMatchObject({ loginMaxFailures: 0, loginIpMaxFailures: 0, registrationsPerIpPerHour: 0, redisUrl: 'rediss://:pw@cache.internal:6380' })
  })

  it('never echoes a Redis URL, which may carry a password', () => {
    const err = failure({ TESSERA_REDIS_URL: 'memcached://admin:hunter2@cache' })
    expect(err.message).toBe('TESSERA_REDIS_URL has scheme "memcached:": expected redis://… or rediss://…')
    expect(failure({}, { redisUrl: 'http://x:hunter2@cache' }).message).not.toContain('hunter2')
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

describe('operations settings (metrics, HSTS, CORS, trusted proxies)', () => {
  it('reads TESSERA_METRICS as on/off', () => {
    expect(loadConfig({ TESSERA_METRICS: 'on' }).metrics).toBe(true)
    expect(loadConfig({ TESSERA_METRICS: 'OFF' }).metrics).toBe(false)
  })

  it('refuses a short or spaced TESSERA_METRICS_TOKEN without echoing it', () => {
    for (const token of ['short-token', 'a token with spaces in it']) {
      const err = failure({ TESSERA_METRICS_TOKEN: token })
      expect(err.message).toBe('TESSERA_METRICS_TOKEN must be at least 16 visible ASCII characters (no spaces)')
    }
  })

  it('keeps CORS origins exact and frozen, dropping blanks and repeats', () => {
    const config = loadConfig({ TESSERA_CORS_ORIGINS: ' https://a.example ,,https://a.example, http://[::1]:8080 ' })
    expect(config.corsOrigins).toEqual(['https://a.example', 'http://[::1]:8080'])
    expect(Object.isFrozen(config.corsOrigins)).toBe(true)
  })

  it.each([
    ['https://app.example.com/', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "https://app.example.com/" (did you mean "https://app.example.com"?)'],
    ['https://App.Example.com', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "https://App.Example.com" (did you mean "https://app.example.com"?)'],
    ['https://app.example.com:443', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "https://app.example.com:443" (did you mean "https://app.example.com"?)'],
    ['https://app.example.com/login', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "https://app.example.com/login" (did you mean "https://app.example.com"?)'],
    ['*', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "*"'],
    ['app.example.com', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "app.example.com"'],
    ['null', 'TESSERA_CORS_ORIGINS must be comma-separated origins like https://app.example.com, got "null"'],
  ])('refuses TESSERA_CORS_ORIGINS=%s, showing the form browsers send', (value, message) => {
    expect(failure({ TESSERA_CORS_ORIGINS: value }).message).toBe(message)
  })

  it('reads TESSERA_TRUST_PROXY as true, false, or addresses, CIDR ranges and named ranges', () => {
    expect(loadConfig({ TESSERA_TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true)
    expect(loadConfig({ TESSERA_TRUST_PROXY: 'false' }).trustProxy).toBe(false)
    expect(loadConfig({ TESSERA_TRUST_PROXY: '172.28.0.10' }).trustProxy).toEqual(['172.28.0.10'])
    expect(loadConfig({ TESSERA_TRUST_PROXY: 'loopback, 10.0.0.0/8, fd00::/8, ::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '::1'])
  })

  it.each([
    ['1', 'TESSERA_TRUST_PROXY cannot be a hop count (Fastify ignores them): list the proxies\' IP addresses or CIDR ranges, got "1"'],
    ['10.0.0.0/33', 'TESSERA_TRUST_PROXY must be true, false, or comma-separated IP addresses and CIDR ranges, got "10.0.0.0/33"'],
    ['proxy.internal', 'TESSERA_TRUST_PROXY must be true, false, or comma-separated IP addresses and CIDR ranges, got "proxy.internal"'],
    ['10.0.0.1/8/8', 'TESSERA_TRUST_PROXY must be true, false, or comma-separated IP addresses and CIDR ranges, got "10.0.0.1/8/8"'],
    [',', 'TESSERA_TRUST_PROXY must be true, false, or comma-separated IP addresses and CIDR ranges, got ","'],
  ])('refuses TESSERA_TRUST_PROXY=%s', (value, message) => {
    expect(failure({ TESSERA_TRUST_PROXY: value }).message).toBe(message)
  })

  it('reads TESSERA_HSTS as a boolean', () => {
    expect(loadConfig({ TESSERA_HSTS: 'yes' }).hsts).toBe(true)
    expect(failure({ TESSERA_HSTS: 'max-age=1' }).message).toBe('TESSERA_HSTS must be true or false, got "max-age=1"')
  })
})

describe('defaultHashConcurrency', () => {
  it('is cores ÷ argon2\'s 4 lanes, at least one, at most the limit', () => {
    expect([1, 2, 3, 4, 7, 8, 16, 64, 4096].map(defaultHashConcurrency)).toEqual([1, 1, 1, 1, 1, 2, 4, 16, 256])
  })
})
