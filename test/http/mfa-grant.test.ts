import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { generateClientId, hashOneTimeToken, tokensNotBeforeAt, type ClientRecord } from '../../src/core/index.js'
import { MFA_OTP, codeAt, enrolTotp, type Enrolled } from './mfa-helpers.js'
import { NO_STORE_JSON, REFRESH_TOKEN, auditEvents, errorBody, postForm, refresh } from './session-helpers.js'
import { PASSWORD, startTestServer, stableHeaders, type TestServer } from './test-server.js'

// Issue 10 part 4 at /token: an account with a second factor gets 403 mfa_required and an
// mfa_token from the password grant, and finishes with grant_type=…:mfa-otp (mfa_token + otp).

let server: TestServer
let app: ClientRecord
let other: ClientRecord
let factor: Enrolled

function publicClient(name: string): Promise<ClientRecord> {
  return server.store.clients.create({
    id: generateClientId(), name, type: 'public', secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: ['me', 'items'],
  })
}

beforeAll(async () => {
  server = await startTestServer()
  app = await publicClient('Phone App')
  other = await publicClient('Other App')
})
afterAll(async () => { await server.close() })
beforeEach(async () => {
  server.clock.advance(5 * 60_000)                                      // fresh time steps, and every earlier mfa token expired
  factor = await enrolTotp(server, server.users.johndoe)
})

const passwordStep = (fields: Record<string, string> = {}) => postForm(server, '/token', { username: 'johndoe', password: PASSWORD, ...fields })
const otpStep = (fields: Record<string, string>) => postForm(server, '/token', { grant_type: MFA_OTP, ...fields })

/** The password step's mfa_token (asserting the 403 on the way). */
async function mfaToken(fields: Record<string, string> = {}): Promise<string> {
  const res = await passwordStep(fields)
  expect(res.statusCode, res.body).toBe(403)
  return res.json().mfa_token as string
}

describe('the password grant for an account with a second factor', () => {
  it('answers 403 mfa_required with a short-lived mfa_token and no token (Auth0\'s shape)', async () => {
    const res = await passwordStep({ scope: 'me' })
    expect(res.statusCode).toBe(403)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(body).toEqual({
      detail: 'Multi-factor authentication required', error: 'mfa_required', error_description: 'Multi-factor authentication required',
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expires_in: 300,
    })
    // Stored hashed, bound to how it began; the token itself is nowhere in the store.
    const stored = await server.store.oneTimeTokens.findLive(hashOneTimeToken(body.mfa_token), 'mfa', server.clock.now())
    expect(stored).toMatchObject({ userId: server.users.johndoe.id, data: { via: 'token', client_id: null, scope: 'me' }, expiresAt: server.clock.now() + 300_000 })
    expect(await auditEvents(server, 'login.succeeded').then((rows) => rows.filter((r) => r.at === server.clock.now()))).toEqual([])
  })

  it('still refuses a wrong password as before (401), and an unknown scope before any mfa step', async () => {
    const wrong = await passwordStep({ password: 'wrong password' })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.json()).not.toHaveProperty('mfa_token')
    const scope = await passwordStep({ scope: 'root' })
    expect(scope.statusCode).toBe(400)
    expect(scope.json()).toMatchObject({ error: 'invalid_scope' })
  })

  it('leaves accounts without a factor as they were: tokens at once', async () => {
    const res = await postForm(server, '/token', { username: 'bob', password: PASSWORD })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toHaveProperty('access_token')
  })
})

describe('grant_type=urn:tessera:params:oauth:grant-type:mfa-otp', () => {
  it('gives the tokens the password grant would have, for the scope asked for then', async () => {
    const token = await mfaToken({ scope: 'me' })
    const res = await otpStep({ mfa_token: token, otp: codeAt(server, factor.secret) })
    expect(res.statusCode, res.body).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(NO_STORE_JSON)
    const body = res.json()
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 1800, scope: 'me', refresh_token: expect.stringMatching(REFRESH_TOKEN) })
    const me = await server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${body.access_token}` } })
    expect(me.statusCode, me.body).toBe(200)
    expect(me.json()).toMatchObject({ username: 'johndoe' })
    expect((await refresh(server, body.refresh_token)).statusCode).toBe(200)
    const [succeeded] = await auditEvents(server, 'login.succeeded')
    expect(succeeded).toMatchObject({ userId: server.users.johndoe.id, username: 'johndoe', details: { scope: 'me' } })
  })

  it('refuses the same code again (a replay within its window), even with a new mfa_token', async () => {
    const code = codeAt(server, factor.secret)
    expect((await otpStep({ mfa_token: await mfaToken(), otp: code })).statusCode).toBe(200)
    const again = await otpStep({ mfa_token: await mfaToken(), otp: code })
    expect(again.statusCode).toBe(400)
    expect(again.json()).toEqual(errorBody('invalid_grant', 'Invalid one-time code'))
    expect(again.json()).not.toHaveProperty('access_token')
    server.clock.advance(30_000)                                        // the next step's code works
    expect((await otpStep({ mfa_token: await mfaToken(), otp: codeAt(server, factor.secret) })).statusCode).toBe(200)
  })

  it('spends the mfa_token on any attempt: a right code after a wrong one needs a new password step', async () => {
    const token = await mfaToken()
    expect((await otpStep({ mfa_token: token, otp: '000000' === codeAt(server, factor.secret) ? '111111' : '000000' })).statusCode).toBe(400)
    const reused = await otpStep({ mfa_token: token, otp: codeAt(server, factor.secret) })
    expect(reused.statusCode).toBe(400)
    expect(reused.json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
    const [failed] = await auditEvents(server, 'mfa.challenge_failed')
    expect(failed).toMatchObject({ userId: server.users.johndoe.id, details: { reason: 'invalid_otp', via: 'token' } })
  })

  it('refuses an mfa_token after 5 minutes, and one the user made stale by a password change', async () => {
    const late = await mfaToken()
    server.clock.advance(300_000)
    expect((await otpStep({ mfa_token: late, otp: codeAt(server, factor.secret) })).json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
    const stale = await mfaToken()
    await server.store.users.setTokensNotBefore(server.users.johndoe.id, tokensNotBeforeAt(server.clock.now()))
    try {
      expect((await otpStep({ mfa_token: stale, otp: codeAt(server, factor.secret) })).json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
    } finally {
      await server.store.users.setTokensNotBefore(server.users.johndoe.id, 0)
    }
  })

  it('binds the mfa_token to the client: another client, or none, burns it', async () => {
    const fromApp = await mfaToken({ client_id: app.id })
    const stolen = await otpStep({ mfa_token: fromApp, otp: codeAt(server, factor.secret), client_id: other.id })
    expect(stolen.json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
    expect((await otpStep({ mfa_token: fromApp, otp: codeAt(server, factor.secret), client_id: app.id })).statusCode).toBe(400) // burnt
    const anonymous = await mfaToken()
    expect((await otpStep({ mfa_token: anonymous, otp: codeAt(server, factor.secret), client_id: app.id })).statusCode).toBe(400)
    const own = await otpStep({ mfa_token: await mfaToken({ client_id: app.id, scope: 'items' }), otp: codeAt(server, factor.secret), client_id: app.id })
    expect(own.statusCode).toBe(200)
    expect(own.json()).toMatchObject({ scope: 'items' })
  })

  it('takes a recovery code instead of the app\'s code, once; the audit log says how many are left', async () => {
    const [code] = factor.recoveryCodes as [string]
    const res = await otpStep({ mfa_token: await mfaToken(), otp: code.toUpperCase() })
    expect(res.statusCode).toBe(200)
    const [used] = await auditEvents(server, 'mfa.recovery_code_used')
    expect(used).toMatchObject({ userId: server.users.johndoe.id, details: { via: 'token', recovery_codes_left: 9 } })
    expect(JSON.stringify(used)).not.toContain(code)
    const again = await otpStep({ mfa_token: await mfaToken(), otp: code })
    expect(again.json()).toEqual(errorBody('invalid_grant', 'Invalid one-time code'))
    expect(await server.store.recoveryCodes.countUnused(server.users.johndoe.id)).toBe(9)
  })

  it('refuses a disabled account between the steps, and says what is missing', async () => {
    const token = await mfaToken()
    await server.store.users.setDisabled(server.users.johndoe.id, true)
    try {
      expect((await otpStep({ mfa_token: token, otp: codeAt(server, factor.secret) })).json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
    } finally {
      await server.store.users.setDisabled(server.users.johndoe.id, false)
    }
    expect((await otpStep({ otp: '123456' })).json()).toEqual(errorBody('invalid_request', 'Missing mfa_token parameter'))
    expect((await otpStep({ mfa_token: await mfaToken() })).json()).toEqual(errorBody('invalid_request', 'Missing otp parameter'))
    expect((await otpStep({ mfa_token: 'x'.repeat(43), otp: '123456' })).json()).toEqual(errorBody('invalid_grant', 'Invalid or expired mfa_token'))
  })

  it('never echoes the otp or mfa_token in a 422', async () => {
    const res = await server.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=${encodeURIComponent(MFA_OTP)}&mfa_token=abc123secret&mfa_token=abc123secret&otp=987654&otp=987654`,
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).not.toContain('abc123secret')
    expect(res.body).not.toContain('987654')
  })
})

describe('wrong codes and the login limits', () => {
  let limited: TestServer
  beforeAll(async () => { limited = await startTestServer({ config: { loginMaxFailures: 3, loginIpMaxFailures: 0 } }) })
  afterAll(async () => { await limited.close() })

  it('count as failed logins of the account: after 3 the password grant itself answers 429, a right password in between resets nothing', async () => {
    const { secret } = await enrolTotp(limited, limited.users.johndoe)
    const step = (fields: Record<string, string>) => postForm(limited, '/token', fields)
    for (let i = 0; i < 3; i += 1) {
      const challenge = await step({ username: 'johndoe', password: PASSWORD })
      expect(challenge.statusCode, `attempt ${i}`).toBe(403)
      const wrong = codeAt(limited, secret) === '000000' ? '111111' : '000000'
      expect((await step({ grant_type: MFA_OTP, mfa_token: challenge.json().mfa_token, otp: wrong })).statusCode).toBe(400)
    }
    const locked = await step({ username: 'johndoe', password: PASSWORD })
    expect(locked.statusCode).toBe(429)
    expect(locked.headers['retry-after']).toBe('900')
    expect(locked.json()).not.toHaveProperty('mfa_token')
    const metrics = await limited.app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.body).toMatch(/tessera_logins_total\{outcome="failed"\} 3/)
  })

  it('count per account too: 10 wrong codes from 10 networks lock the second step everywhere, even for the right code', async () => {
    const { secret } = await enrolTotp(limited, limited.users.bob)
    const from = (i: number) => ({ remoteAddress: `2001:db8:${i.toString(16)}::1` })          // a /64 of its own each time
    const step = (fields: Record<string, string>, i: number) => limited.app.inject({
      method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(), ...from(i),
    })
    const wrong = codeAt(limited, secret) === '000000' ? '111111' : '000000'
    for (let i = 0; i < 10; i += 1) {
      const challenge = await step({ username: 'bob', password: PASSWORD }, i)
      expect(challenge.statusCode, `attempt ${i}`).toBe(403)
      expect((await step({ grant_type: MFA_OTP, mfa_token: challenge.json().mfa_token, otp: wrong }, i)).statusCode).toBe(400)
    }
    const challenge = await step({ username: 'bob', password: PASSWORD }, 10)                  // the password alone still gets this far
    expect(challenge.statusCode).toBe(403)
    const locked = await step({ grant_type: MFA_OTP, mfa_token: challenge.json().mfa_token, otp: codeAt(limited, secret) }, 10)
    expect(locked.statusCode).toBe(429)
    expect(locked.headers['retry-after']).toBe('900')
    expect(locked.json()).not.toHaveProperty('access_token')
  })
})
