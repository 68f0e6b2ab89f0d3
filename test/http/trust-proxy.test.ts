import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Config } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { startTestServer, testConfig, type TestServer } from './test-server.js'

let server: TestServer

beforeAll(async () => { server = await startTestServer() })
afterAll(async () => { await server.close() })

/**
 * request.ip as the app sees it, read from its request log (which records request.ip as
 * `remoteAddress`): the address limits and audit records use.
 */
async function clientIp(trustProxy: Config['trustProxy'], peer: string, forwardedFor?: string): Promise<string> {
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await buildApp({
    config: testConfig({ trustProxy, logLevel: 'info' }), store: server.store, tokens: server.tokens, hasher: server.hasher, logger: stream,
  })
  try {
    const res = await app.inject({
      method: 'GET', url: '/status', remoteAddress: peer, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    })
    expect(res.statusCode).toBe(401)
    // A failed read is logged at info in one line that names the request (src/http/logger.ts).
    const logged = lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.msg === 'request completed' && l.req !== undefined)
    return logged.req.remoteAddress as string
  } finally {
    await app.close()
  }
}

describe('TESSERA_TRUST_PROXY', () => {
  it('off (the default): the peer is the client, X-Forwarded-For is ignored', async () => {
    expect(await clientIp(false, '10.0.0.5', '203.0.113.7')).toBe('10.0.0.5')
  })

  it('a list: X-Forwarded-For is believed only from listed proxies, and only past them', async () => {
    const proxies = ['10.0.0.0/8', '192.168.1.10']
    expect(await clientIp(proxies, '10.0.0.5', '203.0.113.7')).toBe('203.0.113.7')
    expect(await clientIp(proxies, '192.168.1.10', '203.0.113.7')).toBe('203.0.113.7')
    // A client-supplied entry left of the real one is not believed: the first untrusted hop wins.
    expect(await clientIp(proxies, '10.0.0.5', '198.51.100.66, 203.0.113.7')).toBe('203.0.113.7')
    // Two trusted proxies in a row (10.0.0.9 forwarded to 10.0.0.5).
    expect(await clientIp(proxies, '10.0.0.5', '203.0.113.7, 10.0.0.9')).toBe('203.0.113.7')
    // Someone reaching Tessera directly cannot claim another address.
    expect(await clientIp(proxies, '198.51.100.1', '203.0.113.7')).toBe('198.51.100.1')
    expect(await clientIp(proxies, '10.0.0.5')).toBe('10.0.0.5')
  })

  it('true: every hop is believed, so the left-most address wins (only when nothing else can reach Tessera)', async () => {
    expect(await clientIp(true, '10.0.0.5', '198.51.100.66, 203.0.113.7')).toBe('198.51.100.66')
  })
})
