import { createHmac, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type JsonWebKey } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  addSigningKey, buildKeySet, createAccessTokens, fixedSigningKeys, retireSigningKey, rotateSigningKey, type PublicJwk,
} from '../../src/core/index.js'
import { FORM, ISSUER, PASSWORD, SECRET_KEY, form, stableHeaders, startTestServer, type TestServer } from './test-server.js'

// GET /.well-known/jwks.json, and the app's tokens as the key set changes underneath it.
let server: TestServer

beforeEach(async () => { server = await startTestServer() })
afterEach(async () => { await server.close() })

const JWKS_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' }
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid", scope="me"'

const keyDeps = () => ({ keys: server.store.signingKeys, clock: server.clock })

/** The RS256 id_token key every server has (OIDC Core §15.1): published after the access-token keys. */
async function idTokenJwk(on: TestServer = server): Promise<Record<string, unknown>> {
  const record = (await on.store.signingKeys.list()).find((k) => k.purpose === 'id_token')
  if (record === undefined) throw new Error('no id_token key')
  return record.publicJwk
}

function jwks(headers: Record<string, string> = {}) {
  return server.app.inject({ method: 'GET', url: '/.well-known/jwks.json', headers })
}

function me(token: string) {
  return server.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })
}

async function login(): Promise<string> {
  const res = await server.app.inject({ method: 'POST', url: '/token', headers: FORM, payload: form({ username: 'johndoe', password: PASSWORD }) })
  expect(res.statusCode).toBe(200)
  return res.json().access_token as string
}

function header(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8'))
}

/** A resource server's check: pick the JWK by the token's kid, verify with node:crypto, nothing of Tessera's. */
function resourceServerAccepts(token: string, set: { keys: PublicJwk[] }): boolean {
  const { kid, alg } = header(token)
  const jwk = set.keys.find((k) => k.kid === kid)
  if (jwk === undefined || jwk.alg !== alg) return false
  const [h, p, s] = token.split('.') as [string, string, string]
  const key = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' })
  const data = Buffer.from(`${h}.${p}`)
  const signature = Buffer.from(s, 'base64url')
  if (alg === 'EdDSA') return cryptoVerify(null, data, key, signature)
  if (alg === 'ES256') return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
  return cryptoVerify('sha256', data, key, signature)
}

describe('GET /.well-known/jwks.json', () => {
  it('holds only the id_token key in HS256 mode (the secret is never published), cacheable, with an ETag, without authentication', async () => {
    const res = await jwks()
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ keys: [await idTokenJwk()] })
    expect(res.json().keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    expect(stableHeaders(res.headers)).toEqual({ ...JWKS_HEADERS, etag: expect.stringMatching(/^"[A-Za-z0-9_-]{27}"$/) })
    expect(res.body).not.toContain(SECRET_KEY)
  })

  it('publishes the active and verifying keys, never a retired one, never a private member', async () => {
    const first = await addSigningKey('EdDSA', keyDeps())
    const next = await addSigningKey('ES256', keyDeps())
    const third = await addSigningKey('RS256', keyDeps())
    await retireSigningKey(third.kid, keyDeps())
    await server.signingKeys.reload()

    const res = await jwks()
    expect(res.statusCode).toBe(200)
    const body = res.json() as { keys: Array<Record<string, unknown>> }
    const idKey = await idTokenJwk()
    expect(body.keys.map((k) => [k.kid, k.alg])).toEqual([[first.kid, 'EdDSA'], [next.kid, 'ES256'], [idKey.kid, 'RS256']])
    const stored = new Map((await server.store.signingKeys.list()).map((k) => [k.kid, k.publicJwk]))
    expect(body.keys).toEqual([stored.get(first.kid), stored.get(next.kid), idKey])
    expect(Object.keys(body.keys[0] ?? {})).toEqual(['kty', 'kid', 'alg', 'use', 'crv', 'x'])
    expect(Object.keys(body.keys[1] ?? {})).toEqual(['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y'])
    for (const member of ['"d"', '"p"', '"q"', '"dp"', '"dq"', '"qi"', 'PRIVATE KEY']) expect(res.body).not.toContain(member)
  })

  it('answers 304 to a current ETag (strong, weak or *) and 200 once the keys change', async () => {
    const etag = (await jwks()).headers.etag as string
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await jwks({ 'if-none-match': ifNoneMatch })
      expect(res.statusCode, ifNoneMatch).toBe(304)
      expect(res.body).toBe('')
      expect(res.headers).toMatchObject({ etag, 'cache-control': 'public, max-age=300' })
    }
    await addSigningKey('EdDSA', keyDeps())
    await server.signingKeys.reload()
    const changed = await jwks({ 'if-none-match': etag })
    expect(changed.statusCode).toBe(200)
    expect(changed.headers.etag).not.toBe(etag)
    expect(changed.json().keys).toHaveLength(2)
  })
})

describe('tokens as the keys change, without a restart', () => {
  it('a key added through the store signs the next login; resource servers verify it with the JWKS; HS256 tokens stop working', async () => {
    const hs256 = await login()
    expect(header(hs256)).toEqual({ alg: 'HS256', typ: 'at+jwt' })
    expect((await me(hs256)).statusCode).toBe(200)

    const key = await addSigningKey('EdDSA', keyDeps()) // what `tessera keys generate` does, from another process
    await server.signingKeys.reload()                  // what the periodic reload does

    const eddsa = await login()
    expect(header(eddsa)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
    expect((await me(eddsa)).json()).toMatchObject({ username: 'johndoe' })
    expect(resourceServerAccepts(eddsa, (await jwks()).json())).toBe(true)

    const refused = await me(hs256)
    expect(refused.statusCode).toBe(401)
    expect(refused.json()).toEqual({ detail: 'Could not validate credentials' })
    expect(refused.headers['www-authenticate']).toBe(INVALID)
  })

  it('rotation: old tokens keep working until their key is retired, then get 401', async () => {
    await addSigningKey('EdDSA', keyDeps())
    await server.signingKeys.reload()
    const old = await login()
    const { active, previous } = await rotateSigningKey({ algorithm: 'ES256' }, keyDeps())
    await server.signingKeys.reload()

    const fresh = await login()
    expect(header(fresh)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: active.kid })
    expect((await me(old)).statusCode).toBe(200)
    expect((await me(fresh)).statusCode).toBe(200)
    const published = (await jwks()).json()
    expect(resourceServerAccepts(old, published)).toBe(true)
    expect(resourceServerAccepts(fresh, published)).toBe(true)

    await retireSigningKey(previous?.kid as string, keyDeps())
    await server.signingKeys.reload()
    const res = await me(old)
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe(INVALID)
    expect((await me(fresh)).statusCode).toBe(200)
    expect(resourceServerAccepts(old, (await jwks()).json())).toBe(false)
  })

  it('a token with a kid the app has not loaded yet is refused once, and makes the app reload its keys', async () => {
    await addSigningKey('EdDSA', keyDeps())
    await server.signingKeys.reload()
    await rotateSigningKey({}, keyDeps()) // another instance rotated and signs with the new key already
    const otherInstance = createAccessTokens({
      secretKey: SECRET_KEY, issuer: ISSUER, expiresInSeconds: 1800, clock: server.clock,
      signingKeys: fixedSigningKeys(buildKeySet(await server.store.signingKeys.list())),
    })
    const token = otherInstance.issue(server.users.johndoe.id, ['me']).token

    expect((await me(token)).statusCode).toBe(401) // unknown here: refused at once, never waits for the store
    await expect.poll(async () => (await me(token)).statusCode, { timeout: 2000 }).toBe(200)
    expect(header(await login()).kid).toBe(header(token).kid)
  })

  it('picks up a rotation by itself with TESSERA_KEYS_RELOAD_SECONDS', async () => {
    const reloading = await startTestServer({ config: { keysReloadSeconds: 1 } })
    try {
      const key = await addSigningKey('EdDSA', { keys: reloading.store.signingKeys, clock: reloading.clock })
      await expect.poll(async () => {
        const res = await reloading.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
        return (res.json() as { keys: PublicJwk[] }).keys.map((k) => k.kid)
      }, { timeout: 3000, interval: 100 }).toEqual([key.kid, (await idTokenJwk(reloading)).kid])
      expect(header(reloading.tokens.issue(reloading.users.johndoe.id, ['me']).token).kid).toBe(key.kid)
    } finally {
      await reloading.close()
    }
  })
})

describe('hostile tokens against an asymmetric key set (401 Could not validate credentials)', () => {
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

  async function expectInvalid(token: string): Promise<void> {
    const res = await me(token)
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({ detail: 'Could not validate credentials' })
    expect(res.headers['www-authenticate']).toBe(INVALID)
  }

  function claims() {
    const iat = Math.floor(server.clock.now() / 1000)
    return { iss: ISSUER, sub: server.users.johndoe.id, iat, exp: iat + 600, jti: 'j', scope: 'me' }
  }

  function hs256(headerFields: Record<string, unknown>, secret: string | Buffer): string {
    const input = `${b64url(headerFields)}.${b64url(claims())}`
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  }

  beforeEach(async () => {
    await addSigningKey('EdDSA', keyDeps())
    await server.signingKeys.reload()
  })

  it('HS256 forged with the public key (PEM or published JWK) as the HMAC secret', async () => {
    const jwk = (await jwks()).json().keys[0] as PublicJwk
    const pem = createPublicKey({ key: jwk as unknown as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    for (const secret of [pem, JSON.stringify(jwk), Buffer.from(jwk.x as string, 'base64url')]) {
      await expectInvalid(hs256({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid }, secret))
      await expectInvalid(hs256({ alg: 'HS256', typ: 'at+jwt' }, secret))
    }
  })

  it('HS256 signed with the real secret key, once a key is active', async () => {
    await expectInvalid(hs256({ alg: 'HS256', typ: 'at+jwt' }, SECRET_KEY))
  })

  it('the right key, a valid signature, but a typ other than at+jwt', async () => {
    const record = (await server.store.signingKeys.list()).find((k) => k.purpose === 'access_token')
    const signed = (typ: string | undefined) => {
      const input = `${b64url({ alg: 'EdDSA', typ, kid: record?.kid })}.${b64url(claims())}`
      return `${input}.${cryptoSign(null, Buffer.from(input), record?.privateKeyPem ?? '').toString('base64url')}`
    }
    expect((await me(signed('at+jwt'))).statusCode).toBe(200) // the same token, typed as an access token, passes
    for (const typ of ['JWT', 'application/jwt', 'jwt', undefined]) await expectInvalid(signed(typ))
  })

  it('a valid at+jwt signed with the id_token key: that key signs id_tokens only', async () => {
    const record = (await server.store.signingKeys.list()).find((k) => k.purpose === 'id_token')
    const input = `${b64url({ alg: 'RS256', typ: 'at+jwt', kid: record?.kid })}.${b64url(claims())}`
    await expectInvalid(`${input}.${cryptoSign('sha256', Buffer.from(input), record?.privateKeyPem ?? '').toString('base64url')}`)
  })

  it('an unknown kid, and alg none', async () => {
    await expectInvalid(hs256({ alg: 'HS256', typ: 'at+jwt', kid: 'A'.repeat(43) }, SECRET_KEY))
    const kid = ((await jwks()).json().keys[0] as PublicJwk).kid
    await expectInvalid(`${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(claims())}.`)
  })
})
