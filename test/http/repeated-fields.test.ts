import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { auditEvents, basic, createClient, errorBody } from './session-helpers.js'
import { FORM, PASSWORD, startTestServer, type TestServer } from './test-server.js'

// A form parser turns a repeated field into an array (RFC 6749 §3.2: parameters MUST NOT repeat).
// Client authentication must never see one: it would reach a hash or a query and answer 500.
let server: TestServer
let client: { id: string; secret: string }

beforeAll(async () => {
  server = await startTestServer()
  const created = await createClient(server, { name: 'Resource server', scopes: ['items'] })
  client = { id: created.client.id, secret: created.secret! }
})
afterAll(async () => { await server.close() })

function post(url: string, payload: string, headers: Record<string, string> = {}) {
  return server.app.inject({ method: 'POST', url, headers: { ...FORM, ...headers }, payload })
}

/** Bodies that repeat a client field, each with the field it names. */
function repeats(): [string, string][] {
  return [
    [`token=abc&client_id=${client.id}&client_secret=a&client_secret=b`, 'client_secret'],
    [`token=abc&client_id=${client.id}&client_id=${client.id}&client_secret=${client.secret}`, 'client_id'],
    ['token=abc&client_id=x&client_id=y', 'client_id'],
  ]
}

describe.each(['/revoke', '/introspect'])('POST %s with a repeated client field', (url) => {
  it('400 invalid_request naming the field, never 500; nothing audited as a client failure', async () => {
    const before = (await auditEvents(server, 'client.authentication_failed')).length
    for (const [payload, field] of repeats()) {
      const res = await post(url, payload)
      expect(res.statusCode, payload).toBe(400)
      expect(res.json()).toEqual(errorBody('invalid_request', `Missing or invalid parameter: ${field}`))
    }
    // Also alongside HTTP Basic: the form is judged before the credentials.
    const withBasic = await post(url, 'token=abc&client_id=a&client_id=b', basic(client.id, client.secret))
    expect(withBasic.statusCode).toBe(400)
    expect(withBasic.json()).toEqual(errorBody('invalid_request', 'Missing or invalid parameter: client_id'))
    expect(await auditEvents(server, 'client.authentication_failed')).toHaveLength(before)
  })
})

describe('POST /token with a repeated client field', () => {
  it('refused by the form schema (FastAPI\'s 422 string_type, as any repeated field there), never 500, nothing hashed', async () => {
    server.hasher.calls.verify = 0
    const bodies: [string, string][] = [
      [`username=johndoe&password=${encodeURIComponent(PASSWORD)}&client_id=x&client_id=y`, 'client_id'],
      [`username=johndoe&password=${encodeURIComponent(PASSWORD)}&client_id=${client.id}&client_secret=a&client_secret=b`, 'client_secret'],
      [`grant_type=refresh_token&refresh_token=abc&client_id=x&client_secret=a&client_secret=b`, 'client_secret'],
      [`grant_type=client_credentials&client_id=${client.id}&client_id=${client.id}&client_secret=${client.secret}`, 'client_id'],
    ]
    for (const [payload, field] of bodies) {
      const res = await post('/token', payload)
      expect(res.statusCode, payload).toBe(422)
      expect(res.json().detail).toEqual([expect.objectContaining({ type: 'string_type', loc: ['body', field] })])
      expect(res.body).not.toContain(client.secret)
    }
    expect(server.hasher.calls.verify).toBe(0)
  })
})

describe('POST /token with a repeated code or code_verifier', () => {
  it('answers 422 without echoing either: a code and its verifier are secrets as a password is', async () => {
    const code = 'Xq3rT8vLm2Kp9sWn4bYc7dFg1hJk6zAe5uIo0pQw8Er'
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
    for (const payload of [
      `grant_type=authorization_code&code=${code}&code=${code}&code_verifier=${verifier}&client_id=x&redirect_uri=https://a.example/cb`,
      `grant_type=authorization_code&code=${code}&code_verifier=${verifier}&code_verifier=${verifier}&client_id=x&redirect_uri=https://a.example/cb`,
    ]) {
      const res = await post('/token', payload)
      expect(res.statusCode, payload).toBe(422)
      expect(res.json().detail).toEqual([expect.objectContaining({ type: 'string_type' })])
      expect(res.body).not.toContain(code)
      expect(res.body).not.toContain(verifier)
    }
  })
})
