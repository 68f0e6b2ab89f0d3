import { Script } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureDocsClient } from '../../src/core/index.js'
import { docsRequestInterceptor } from '../../src/http/routes/docs.js'
import { ISSUER, startTestServer, type TestServer } from './test-server.js'

// SPEC.md "OpenAPI and interactive docs".
let server: TestServer
let doc: Record<string, any>

beforeAll(async () => {
  server = await startTestServer()
  doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
})
afterAll(async () => { await server.close() })

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with FastAPI\'s OAuth2PasswordBearer and OAuth2AuthorizationCodeBearer schemes, exactly', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: 'Tessera', version: '0.1.0' })
    const apiScopes = '"me":"Read information about the current user","items":"Read items",'
      + '"users:read":"Read and search user accounts","users:write":"Create, change and delete user accounts"'
    // The password scheme is byte for byte what it was before the code flow (FastAPI's), then
    // FastAPI's OAuth2AuthorizationCodeBearer(authorizationUrl="authorize", tokenUrl="token").
    expect(JSON.stringify(doc.components.securitySchemes)).toBe(
      `{"OAuth2PasswordBearer":{"type":"oauth2","flows":{"password":{"scopes":{${apiScopes}},"tokenUrl":"token"}}},`
        + `"OAuth2AuthorizationCodeBearer":{"type":"oauth2","flows":{"authorizationCode":{"scopes":{${apiScopes},`
        + '"openid":"Sign you in with your account","profile":"See your name and username","email":"See your email address",'
        + '"offline_access":"Stay signed in when you are away (a refresh token)"},"authorizationUrl":"authorize","tokenUrl":"token"}}}}',
    )
  })

  it('lists the API and not the docs routes, with no HEAD twins', () => {
    // The hosted pages (POST /signin, GET and POST /consent) and their assets are for browsers, not in the document.
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/admin/audit',
      '/admin/clients', '/admin/clients/{id}', '/admin/clients/{id}/secret', '/admin/users', '/admin/users/{id}', '/admin/users/{id}/mfa', '/admin/users/{id}/password',
      '/authorize', '/end-session', '/healthz', '/introspect', '/logout', '/readyz', '/revoke', '/status', '/token',
      '/userinfo', '/users', '/users/me', '/users/me/items', '/users/me/password',
      '/email/change', '/email/verify', '/email/verify/resend', '/password/forgot', '/password/reset', // mailed links (issue 10)
      '/admin/providers', '/admin/providers/{id}', // upstream identity providers (issue 11)
    ].sort())
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`))
    expect(operations.sort()).toEqual([
      'DELETE /admin/clients/{id}', 'DELETE /admin/providers/{id}', 'GET /admin/providers', 'PATCH /admin/providers/{id}', 'POST /admin/providers',
      'DELETE /admin/users/{id}', 'DELETE /admin/users/{id}/mfa', 'GET /.well-known/jwks.json', 'GET /.well-known/oauth-authorization-server',
      'GET /.well-known/openid-configuration', 'GET /admin/audit', 'GET /admin/clients', 'GET /admin/users', 'GET /admin/users/{id}',
      'GET /authorize', 'GET /end-session', 'GET /healthz', 'GET /readyz', 'GET /status', 'GET /userinfo', 'GET /users/me', 'GET /users/me/items',
      'PATCH /admin/clients/{id}', 'PATCH /admin/users/{id}', 'POST /admin/clients', 'POST /admin/clients/{id}/secret', 'POST /admin/users',
      'POST /admin/users/{id}/password', 'POST /end-session', 'POST /introspect', 'POST /logout', 'POST /revoke', 'POST /token',
      'POST /userinfo', 'POST /users', 'POST /users/me/items', 'POST /users/me/password',
      'POST /email/change', 'POST /email/verify', 'POST /email/verify/resend', 'POST /password/forgot', 'POST /password/reset',
    ].sort())
  })

  /** Both ways in, each an alternative with the same scopes (OpenAPI 3.1 §4.8.30: either one satisfies the operation). */
  const either = (scopes: string[]) => [{ OAuth2PasswordBearer: scopes }, { OAuth2AuthorizationCodeBearer: scopes }]

  it('gives each protected operation its security from config.auth, both flows, /status with []', () => {
    expect(doc.paths['/users/me'].get.security).toEqual(either(['me']))
    expect(doc.paths['/users/me/items'].get.security).toEqual(either(['items', 'me']))
    expect(doc.paths['/users/me/items'].post.security).toEqual(either(['items', 'me']))
    expect(doc.paths['/status'].get.security).toEqual(either([]))
    expect(doc.paths['/token'].post.security).toBeUndefined()
    expect(doc.paths['/logout'].post.security).toEqual(either([]))
    expect(doc.paths['/users/me/password'].post.security).toEqual(either(['me']))
    // Client-authenticated or public: no bearer token.
    for (const path of ['/revoke', '/introspect']) expect(doc.paths[path].post.security).toBeUndefined()
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/authorize', '/end-session']) {
      expect(doc.paths[path].get.security, path).toBeUndefined()
    }
    expect(doc.paths['/users'].post.security).toBeUndefined()
    expect(doc.paths['/healthz'].get.security).toBeUndefined()
    expect(doc.security).toBeUndefined()
  })

  it('gives the admin API its scopes from the same declarations: users:read to read, users:write to change', () => {
    const security = (path: string, method: string) => doc.paths[path][method].security
    for (const [path, method] of [['/admin/users', 'get'], ['/admin/users/{id}', 'get'], ['/admin/clients', 'get'], ['/admin/audit', 'get']]) {
      expect(security(path!, method!), `${method} ${path}`).toEqual(either(['users:read']))
    }
    for (const [path, method] of [
      ['/admin/users', 'post'], ['/admin/users/{id}', 'patch'], ['/admin/users/{id}', 'delete'], ['/admin/users/{id}/password', 'post'],
      ['/admin/clients', 'post'], ['/admin/clients/{id}', 'patch'], ['/admin/clients/{id}', 'delete'], ['/admin/clients/{id}/secret', 'post'],
    ]) {
      expect(security(path!, method!), `${method} ${path}`).toEqual(either(['users:write']))
    }
  })

  it('documents the admin API\'s parameters and answers, with no hash or secret hash in any schema', () => {
    const list = doc.paths['/admin/users'].get
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(['query:q', 'query:limit', 'query:offset'])
    expect(list.parameters[1]).toMatchObject({ schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, description: 'Page size, 1 to 500.' })
    expect(Object.keys(list.responses['200'].content['application/json'].schema.properties)).toEqual(['users', 'total', 'limit', 'offset'])
    const user = doc.paths['/admin/users/{id}'].get
    expect(user.parameters).toEqual([{ schema: { type: 'string', format: 'uuid' }, in: 'path', name: 'id', required: true }])
    expect(Object.keys(user.responses)).toEqual(['200', '404', '422'])
    expect(Object.keys(user.responses['200'].content['application/json'].schema.properties))
      .toEqual(['id', 'username', 'email', 'email_verified', 'full_name', 'disabled', 'scopes', 'created_at', 'updated_at'])
    expect(Object.keys(doc.paths['/admin/users/{id}'].delete.responses)).toEqual(['204', '403', '404', '422'])
    expect(doc.paths['/admin/users/{id}/password'].post.requestBody.content['application/json'].schema.properties.new_password.format).toBe('password')
    expect(doc.paths['/admin/audit'].get.parameters.map((p: { name: string }) => p.name))
      .toEqual(['event', 'user_id', 'actor_id', 'client_id', 'ip', 'since', 'until', 'limit', 'offset'])
    const created = doc.paths['/admin/clients'].post.responses['201'].content['application/json'].schema
    expect(Object.keys(created.properties)).toEqual([
      'client_id', 'name', 'type', 'grant_types', 'scopes', 'redirect_uris', 'post_logout_redirect_uris', 'first_party',
      'id_token_signed_response_alg', 'resources', 'created_at', 'client_secret',
    ])
    const admin = JSON.stringify(Object.entries(doc.paths).filter(([path]) => path.startsWith('/admin')))
    expect(admin).not.toMatch(/hash/i)
  })

  it('documents POST /token like OAuth2PasswordRequestForm', () => {
    const op = doc.paths['/token'].post
    expect(op.requestBody.required).toBe(true)
    expect(Object.keys(op.requestBody.content)).toEqual(['application/x-www-form-urlencoded'])
    const schema = op.requestBody.content['application/x-www-form-urlencoded'].schema
    expect(schema.type).toBe('object')
    expect(schema.required).toEqual(['username', 'password'])
    // The code grant's fields (RFC 6749 §4.1.3, RFC 7636 §4.5), RFC 8707's resource and the mfa-otp grant's follow the password form's.
    expect(Object.keys(schema.properties)).toEqual([
      'grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret', 'refresh_token', 'code', 'redirect_uri', 'code_verifier', 'resource',
      'mfa_token', 'otp',
    ])
    expect(schema.properties.mfa_token).toMatchObject({ type: 'string', format: 'password' })
    expect(schema.properties.otp).toMatchObject({ type: 'string', format: 'password' })
    expect(schema.properties.refresh_token).toMatchObject({ type: 'string', format: 'password' })
    expect(schema.properties.password).toEqual({ type: 'string', format: 'password' })
    expect(schema.properties.client_secret).toEqual({ type: 'string', format: 'password' })
    expect(schema.properties.username).toEqual({ type: 'string' })
    for (const optional of ['grant_type', 'scope', 'client_id']) expect(schema.properties[optional].type).toBe('string')

    expect(Object.keys(op.responses)).toEqual(['200', '422'])
    const token = op.responses['200'].content['application/json'].schema
    expect(token.required).toEqual(['access_token', 'token_type', 'expires_in', 'scope'])
    expect(token.properties.token_type).toEqual({ type: 'string', enum: ['bearer'] })
    expect(Object.keys(token.properties)).toEqual(['access_token', 'token_type', 'expires_in', 'scope', 'refresh_token', 'id_token'])
    const invalid = op.responses['422'].content['application/json'].schema
    expect(invalid.properties.detail.type).toBe('array')
    expect(invalid.properties.detail.items.required).toEqual(['type', 'loc', 'msg'])
  })

  it('documents /revoke and /introspect as RFC 7009 / 7662 forms, and the session endpoints', () => {
    for (const [path, title] of [['/revoke', 'Body_revoke_token_revoke_post'], ['/introspect', 'Body_introspect_token_introspect_post']]) {
      const schema = doc.paths[path!].post.requestBody.content['application/x-www-form-urlencoded'].schema
      expect(schema).toMatchObject({ title, required: ['token'] })
      expect(Object.keys(schema.properties)).toEqual(['token', 'token_type_hint', 'client_id', 'client_secret'])
      expect(schema.properties.token.format).toBe('password')
      expect(schema.properties.client_secret.format).toBe('password')
    }
    expect(doc.paths['/revoke'].post.responses['200']).toEqual({ description: 'Revoked, or nothing to revoke (the answer does not say which)' })
    expect(Object.keys(doc.paths['/revoke'].post.responses)).toEqual(['200', '400', '401'])
    const introspection = doc.paths['/introspect'].post.responses['200'].content['application/json'].schema
    expect(introspection.required).toEqual(['active'])
    expect(Object.keys(introspection.properties)).toEqual(['active', 'sub', 'username', 'scope', 'client_id', 'aud', 'exp', 'iat', 'token_type'])
    expect(doc.paths['/logout'].post.responses).toEqual({ 204: { description: 'Logged out everywhere' } })
    const change = doc.paths['/users/me/password'].post
    expect(change.requestBody.content['application/json'].schema.required).toEqual(['current_password', 'new_password'])
    expect(change.requestBody.content['application/json'].schema.properties.current_password.format).toBe('password')
    expect(Object.keys(change.responses)).toEqual(['200', '400', '422', '429'])
    const metadata = doc.paths['/.well-known/oauth-authorization-server'].get.responses['200'].content['application/json'].schema
    expect(metadata.required).toContain('issuer')
    expect(metadata.required).toContain('introspection_endpoint')
  })

  it('documents registration and its public user, which has no hash', () => {
    const op = doc.paths['/users'].post
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json'])
    expect(op.requestBody.content['application/json'].schema.required).toEqual(['username', 'password'])
    expect(op.requestBody.content['application/json'].schema.properties.password.format).toBe('password')
    expect(Object.keys(op.responses)).toEqual(['201', '422'])
    expect(Object.keys(op.responses['201'].content['application/json'].schema.properties)).toEqual(['id', 'username', 'email', 'email_verified', 'full_name', 'disabled'])
  })

  it('documents GET /.well-known/jwks.json: public (no security), public JWK members only, and the 304 revalidation', () => {
    const op = doc.paths['/.well-known/jwks.json'].get
    expect(op.security).toBeUndefined()
    expect(op.summary).toBe('JSON Web Key Set')
    expect(Object.keys(op.responses)).toEqual(['200', '304'])
    expect(op.responses['304'].content).toBeUndefined()
    const set = op.responses['200'].content['application/json'].schema
    expect(set.required).toEqual(['keys'])
    const jwk = set.properties.keys.items
    expect(Object.keys(jwk.properties)).toEqual(['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'])
    expect(jwk.required).toEqual(['kty', 'kid', 'alg', 'use'])
    expect(jwk.properties.alg).toEqual({ enum: ['EdDSA', 'ES256', 'RS256'], description: 'The only algorithm the key verifies.' })
    expect(jwk.properties.kty).toEqual({ enum: ['OKP', 'EC', 'RSA'] })
    expect(jwk.properties.use).toEqual({ type: 'string', enum: ['sig'] })
  })

  it('/docs/json, which Swagger UI loads, is the same document', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/json' })
    expect(res.json()).toEqual(doc)
  })
})

/** Every src/href in a page, which must all be served by us. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
}

describe('GET /docs and /redoc', () => {
  it('/docs serves Swagger UI from packaged assets: no URL to another host', async () => {
    for (const url of ['/docs', '/docs?x=1']) {
      const res = await server.app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['content-security-policy']).toContain("default-src 'self'")
      expect(res.body).toContain('<div id="swagger-ui"></div>')
      expect(res.body).not.toMatch(/https?:\/\//)
      const assets = assetUrls(res.body)
      expect(assets.length).toBeGreaterThan(3)
      for (const asset of assets) {
        const resolved = new URL(asset, `http://localhost${url}`).pathname
        const served = await server.app.inject({ method: 'GET', url: resolved })
        expect(served.statusCode, resolved).toBe(200)
      }
    }
  })

  it('sends /docs/ on to /docs, where the relative token and authorization URLs resolve to /token and /authorize', async () => {
    for (const [url, location] of [['/docs/', '/docs'], ['/docs/?x=1', '/docs?x=1']]) {
      const res = await server.app.inject({ method: 'GET', url: url! })
      expect(res.statusCode, url).toBe(308)
      expect(res.headers.location, url).toBe(location)
    }
    const page = `${ISSUER}/docs`
    expect(new URL(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl, page).pathname).toBe('/token')
    const code = doc.components.securitySchemes.OAuth2AuthorizationCodeBearer.flows.authorizationCode
    expect(new URL(code.authorizationUrl, page).pathname).toBe('/authorize')
    expect(new URL(code.tokenUrl, page).pathname).toBe('/token')
    // The UI's own files keep their addresses.
    for (const url of ['/docs/json', '/docs/static/swagger-initializer.js']) expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200)
  })

  it('the Swagger UI initializer loads the document from this server', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain("url: resolveUrl('./json')")
    expect(res.body).toContain('validatorUrl: null')
  })

  it('offers the code flow with PKCE through the built-in docs client, coming back to the page it is registered for', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(res.body).toContain('ui.initOAuth({"clientId":"tessera-docs","usePkceWithAuthorizationCodeGrant":true})')
    expect(res.body).toContain("oauth2RedirectUrl: resolveUrl('./static/oauth2-redirect.html')")
    // The interceptor the browser runs is this very function, and the whole file still compiles.
    expect(res.body).toContain(`"requestInterceptor":${docsRequestInterceptor.toString()}`)
    expect(() => new Script(res.body)).not.toThrow()
    // The initializer's resolveUrl appends a slash to /docs, so the page comes back to the URI ensureDocsClient registers.
    const client = await ensureDocsClient(server.store.clients, server.config.issuer)
    expect(client.redirectUris).toEqual([new URL('./static/oauth2-redirect.html', `${ISSUER}/docs/`).href])
  })

  it('serves the OAuth2 redirect page under the docs policy: its one script comes from this server, none inline', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/static/oauth2-redirect.html' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    const directives = String(res.headers['content-security-policy']).split(';').map((d) => d.trim())
    expect(directives.filter((d) => d.startsWith('script-src'))).toEqual(["script-src 'self'"])
    const scripts = [...res.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)]
    expect(scripts.map((m) => [m[1]!.trim(), m[2]!.trim()])).toEqual([['src="oauth2-redirect.js"', '']])
    const script = await server.app.inject({ method: 'GET', url: '/docs/static/oauth2-redirect.js' })
    expect(script.statusCode).toBe(200)
    expect(script.headers['content-type']).toMatch(/javascript/)
    expect(script.body).toContain('swaggerUIRedirectOauth2')
  })

  it('keeps the dialog\'s password flow client-less when initOAuth filled in the docs client', () => {
    const docsBasic = `Basic ${Buffer.from('tessera-docs:').toString('base64')}`
    const password = { headers: { Authorization: docsBasic }, body: 'grant_type=password&scope=me+items&username=johndoe&password=secret' }
    expect(docsRequestInterceptor(password)).toEqual({ headers: {}, body: password.body, curlOptions: [] })
    // The code exchange names the docs client in its form, and any other client or grant is left alone.
    for (const request of [
      { headers: { Authorization: docsBasic }, body: 'grant_type=authorization_code&code=c&client_id=tessera-docs' },
      { headers: { Authorization: `Basic ${Buffer.from('mine:s3cret').toString('base64')}` }, body: 'grant_type=password&username=u&password=p' },
      { headers: { Authorization: 'Bearer abc' }, body: undefined },
      { headers: { Authorization: docsBasic }, body: 'grant_type=password_like' },
    ]) {
      expect(docsRequestInterceptor(structuredClone(request))).toEqual({ ...request, curlOptions: [] })
    }
  })

  it('/redoc serves ReDoc\'s packaged bundle: no URL to another host', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/redoc' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toContain("img-src 'self' data:")
    expect(res.body).toContain('<redoc spec-url="/openapi.json"></redoc>')
    expect(res.body).not.toMatch(/https?:\/\//)
    expect(assetUrls(res.body)).toEqual(['/redoc/redoc.standalone.js'])
    const bundle = await server.app.inject({ method: 'GET', url: '/redoc/redoc.standalone.js' })
    expect(bundle.statusCode).toBe(200)
    expect(bundle.headers['content-type']).toBe('application/javascript; charset=utf-8')
    expect(bundle.rawPayload.length).toBeGreaterThan(500_000)
  })
})
