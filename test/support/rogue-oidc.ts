import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'

/*
 * An OpenID Provider that lies (issue 11's attacks): its id_tokens are validly signed with the key
 * its JWKS publishes, but name another audience or carry another nonce than the request's. A
 * relying party that checks only signatures would accept them; Tessera must not.
 */

export interface RogueOidc {
  issuer: string
  clientId: string
  clientSecret: string
  close(): Promise<void>
}

export interface RogueOidcOptions {
  /** The id_token's aud (default: the client id, as an honest provider would). */
  audience?: string
  /** The id_token's nonce (default: the one the authorization request sent). */
  nonce?: string
}

export async function startRogueOidc(options: RogueOidcOptions = {}): Promise<RogueOidc> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rogue-1', alg: 'RS256', use: 'sig' }
  const clientId = 'tessera-at-rogue'
  const clientSecret = 'rogue-secret'
  const nonces = new Map<string, string>()                            // code → the request's nonce
  let issuer = ''
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer)
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      })
    }
    if (url.pathname === '/jwks') return json(200, { keys: [jwk] })
    if (url.pathname === '/authorize') {                              // no login at all: straight back with a code
      const code = `code-${nonces.size + 1}`
      nonces.set(code, url.searchParams.get('nonce') ?? '')
      const back = new URL(url.searchParams.get('redirect_uri') ?? '')
      back.searchParams.set('code', code)
      back.searchParams.set('state', url.searchParams.get('state') ?? '')
      back.searchParams.set('iss', issuer)
      res.writeHead(302, { location: back.href }).end()
      return
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = ''
      req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8') })
      req.on('end', () => {
        const code = new URLSearchParams(body).get('code') ?? ''
        void new SignJWT({ nonce: options.nonce ?? nonces.get(code) ?? '', email: 'ada@example.com', email_verified: true })
          .setProtectedHeader({ alg: 'RS256', kid: 'rogue-1' }).setIssuer(issuer).setSubject('rogue-sub')
          .setAudience(options.audience ?? clientId).setIssuedAt().setExpirationTime('5m').sign(privateKey)
          .then((idToken) => json(200, { access_token: 'rogue-access', token_type: 'Bearer', expires_in: 300, id_token: idToken }))
      })
      return
    }
    json(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { issuer, clientId, clientSecret, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}
