import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashClientSecret } from '../../src/core/index.js'
import { createLogger } from '../../src/http/logger.js'
import { TestBrowser, VERIFIER, codeFlowClient, exchangeCode, signInAndAuthorize } from './sign-in-helpers.js'
import { FORM, PASSWORD, form, startTestServer, type TestServer } from './test-server.js'

// DESIGN.md: never log a password, hash, token or secret. Everything the server writes at the
// most verbose level during a login and a protected call is read back and searched.
const chunks: string[] = []
const sink = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done() } })
const output = () => chunks.join('')
const lines = () => output().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

let server: TestServer

beforeAll(async () => { server = await startTestServer({ config: { logLevel: 'trace' }, logger: sink }) })
afterAll(async () => { await server.close() })

describe('log redaction', () => {
  it('a login, a protected call and a few refusals leave no secret in the log', async () => {
    const cookie = 'session=cookie-secret-value'
    // A registered client, so the login authenticates one (issue 3): its secret must not be logged either.
    await server.store.clients.create({
      id: 'web', name: 'Web', type: 'confidential', secretHash: hashClientSecret('client-secret-value'), grantTypes: ['password', 'refresh_token'], scopes: ['me', 'items'],
    })
    const login = await server.app.inject({
      method: 'POST', url: '/token', headers: { ...FORM, cookie, 'x-request-id': 'login-1' },
      payload: form({ username: 'johndoe', password: PASSWORD, client_id: 'web', client_secret: 'client-secret-value' }),
    })
    expect(login.statusCode).toBe(200)
    const token = login.json().access_token as string

    const boundary = 'log-boundary'
    const multipartLogin = await server.app.inject({
      method: 'POST', url: '/token',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie, authorization: `Bearer ${token}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\njohndoe\r\n`
        + `--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${PASSWORD}\r\n--${boundary}--\r\n`,
    })
    expect(multipartLogin.statusCode).toBe(200)
    const secondToken = multipartLogin.json().access_token as string

    const refreshToken = login.json().refresh_token as string
    const refreshed = await server.app.inject({
      method: 'POST', url: '/token', headers: { ...FORM, authorization: `Basic ${Buffer.from('web:client-secret-value').toString('base64')}` },
      payload: form({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    })
    expect(refreshed.statusCode).toBe(200)
    const revoked = await server.app.inject({ method: 'POST', url: '/revoke', headers: FORM, payload: form({ token: refreshed.json().refresh_token, client_id: 'web', client_secret: 'client-secret-value' }) })
    expect(revoked.statusCode).toBe(200)

    const me = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}`, cookie, 'x-request-id': 'me-1' } })
    expect(me.statusCode).toBe(200)
    const queryToken = await server.app.inject({ method: 'GET', url: `/status?access_token=${token}`, headers: { authorization: `Bearer ${token}` } })
    expect(queryToken.statusCode).toBe(200)
    const badPassword = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: 'wrong-password-value' }) })
    expect(badPassword.statusCode).toBe(401)
    const badRegistration = await server.app.inject({ method: 'POST', url: '/users', payload: { username: 'x', password: 'short-pw' } })
    expect(badRegistration.statusCode).toBe(422)
    const badToken = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}x` } })
    expect(badToken.statusCode).toBe(401)

    const written = output()
    // The requests were logged, under their ids...
    expect(lines().some((l) => l.reqId === 'login-1' && l.msg === 'incoming request')).toBe(true)
    expect(lines().some((l) => l.reqId === 'me-1' && l.msg === 'request completed')).toBe(true)
    // ...and nothing secret was.
    for (const secret of [
      PASSWORD, 'wrong-password-value', 'short-pw', 'client-secret-value', 'cookie-secret-value',
      token, secondToken, token.split('.')[2] as string, server.users.johndoe.passwordHash, '$argon2id$',
      refreshToken, refreshed.json().refresh_token, Buffer.from('web:client-secret-value').toString('base64'),
    ]) {
      expect(written.includes(secret), `log contains ${secret.slice(0, 20)}…`).toBe(false)
    }
    expect(written).toContain('/status?access_token=[Redacted]')
  })

  it('a revocation, an introspection and a password change leave neither the token nor either password in the log', async () => {
    await server.store.clients.create({ id: 'rs', name: 'RS', type: 'confidential', secretHash: hashClientSecret('rs-secret-value'), grantTypes: [], scopes: [] })
    const user = await server.store.users.create({ username: 'log-changer', passwordHash: server.users.johndoe.passwordHash, scopes: ['me'] })
    const token = server.bearer(user).slice('Bearer '.length)
    const introspected = await server.app.inject({ method: 'POST', url: '/introspect', headers: FORM, payload: form({ token, client_id: 'rs', client_secret: 'rs-secret-value' }) })
    expect(introspected.json().active).toBe(true)
    const revoked = await server.app.inject({ method: 'POST', url: '/revoke', headers: FORM, payload: form({ token }) })
    expect(revoked.statusCode).toBe(200)
    const changed = await server.app.inject({
      method: 'POST', url: '/users/me/password', headers: { authorization: server.bearer(user) },
      payload: { current_password: PASSWORD, new_password: 'new-password-value' },
    })
    expect(changed.statusCode).toBe(200)
    const refused = await server.app.inject({
      method: 'POST', url: '/users/me/password', headers: { authorization: `Bearer ${changed.json().access_token}` },
      payload: { current_password: 'wrong-current-value', new_password: 'another-new-value' },
    })
    expect(refused.statusCode).toBe(400)
    // And should a body ever be logged (a debug line, a plugin at trace), its fields are redacted by name.
    server.app.log.info({ body: { token, current_password: 'wrong-current-value', new_password: 'new-password-value' } }, 'a body')
    const written = output()
    for (const secret of [token, token.split('.')[2] as string, PASSWORD, 'new-password-value', 'wrong-current-value', 'another-new-value', 'rs-secret-value']) {
      expect(written.includes(secret), `log contains ${secret.slice(0, 20)}…`).toBe(false)
    }
  })

  it('the code flow — sign-in page, consent, code exchange, refresh, userinfo, end-session — leaves no code, token, cookie or CSRF value in the log', async () => {
    const client = (await codeFlowClient(server)).client
    const browser = new TestBrowser(server)
    const { code } = await signInAndAuthorize(browser, client)
    const session = browser.cookies.get('tessera-session') as string
    const csrf = browser.cookies.get('tessera-csrf') as string
    const tokens = (await exchangeCode(server, client.id, code)).json()
    const replay = await exchangeCode(server, client.id, code)
    expect(replay.statusCode).toBe(400)
    const refreshed = await server.app.inject({
      method: 'POST', url: '/token', headers: FORM, payload: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.id }),
    })
    expect(refreshed.statusCode).toBe(400)                              // the replay revoked the family
    expect((await server.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } })).statusCode).toBe(401)
    const logout = await browser.get(`/end-session?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://app.example.com/bye', state: 'st' })}`)
    expect(logout.statusCode).toBe(303)
    server.app.log.info({ body: { code, code_verifier: VERIFIER, id_token: tokens.id_token, id_token_hint: tokens.id_token, csrf } }, 'a body')
    const written = output()
    for (const secret of [code, VERIFIER, session, csrf, tokens.access_token, tokens.refresh_token, tokens.id_token, String(tokens.id_token).split('.')[2], PASSWORD]) {
      expect(written.includes(secret), `log contains ${secret.slice(0, 20)}…`).toBe(false)
    }
    expect(written).toContain('"url":"/authorize?response_type=[Redacted]')
  })

  it('redacts the named keys at any depth of a logged object, and credentials in error text', () => {
    const records: string[] = []
    const logger = createLogger({ logLevel: 'info' }, { write: (line: string) => { records.push(line) } })
    logger.info({
      password: 'p1', body: { client_secret: 'p2', nested: { refresh_token: 'p3', deeper: { access_token: 'p4' } } },
      headers: { authorization: 'Bearer p5', cookie: 'p6', 'set-cookie': 'p7' },
      form: { token: 'p9', current_password: 'p10', new_password: 'p11' },
    }, 'object')
    logger.error({ err: new Error('failed for postgres://admin:p8@db/x with eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl') }, 'error')
    const text = records.join('')
    for (const secret of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', ':p8@', 'p9', 'p10', 'p11', 'eyJhbGciOiJIUzI1NiJ9']) expect(text, secret).not.toContain(`${secret}`)
    expect(text).toContain('postgres://admin:[Redacted]@db/x')
  })
})

// Issue 5: one log line per request at 10k requests a second cost more CPU than answering them.
// At info, state changes (and every failure or slow request) are logged; successful reads only at debug.
describe('request log lines by level', () => {
  async function linesFor(logLevel: 'info' | 'debug', send: (s: TestServer) => Promise<unknown>) {
    const written: string[] = []
    const stream = new Writable({ write(chunk, _encoding, done) { written.push(String(chunk)); done() } })
    const s = await startTestServer({ config: { logLevel }, logger: stream })
    try {
      await send(s)
      return written.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    } finally {
      await s.close()
    }
  }
  const requestLines = (all: Record<string, unknown>[], id: string) => all.filter((l) => l.reqId === id).map((l) => l.msg)

  it('info: a successful read leaves no line; a failed read one naming the request; a login two', async () => {
    const logged = await linesFor('info', async (s) => {
      expect((await s.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: s.bearer(s.users.johndoe), 'x-request-id': 'read-ok' } })).statusCode).toBe(200)
      expect((await s.app.inject({ method: 'GET', url: '/users/me', headers: { 'x-request-id': 'read-401' } })).statusCode).toBe(401)
      expect((await s.app.inject({ method: 'POST', url: '/token', headers: { ...FORM, 'x-request-id': 'login' }, payload: form({ username: 'johndoe', password: PASSWORD }) })).statusCode).toBe(200)
    })
    expect(requestLines(logged, 'read-ok')).toEqual([])
    expect(requestLines(logged, 'read-401')).toEqual(['request completed'])
    expect(logged.find((l) => l.reqId === 'read-401')).toMatchObject({ level: 30, req: { method: 'GET', url: '/users/me' }, res: { statusCode: 401 } })
    expect(requestLines(logged, 'login')).toEqual(['incoming request', 'request completed'])
  })

  it('debug: every request, reads included, arrives and completes in the log', async () => {
    const logged = await linesFor('debug', async (s) => {
      await s.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: s.bearer(s.users.johndoe), 'x-request-id': 'read-ok' } })
    })
    expect(requestLines(logged, 'read-ok')).toEqual(['incoming request', 'request completed'])
    expect(logged.find((l) => l.reqId === 'read-ok' && l.msg === 'request completed')).toMatchObject({ level: 20, res: { statusCode: 200 } })
  })
})
