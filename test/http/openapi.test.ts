import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from './test-server.js'

// SPEC.md "OpenAPI and interactive docs".
let server: TestServer
let doc: Record<string, any>

beforeAll(async () => {
  server = await startTestServer()
  doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json()
})
afterAll(async () => { await server.close() })

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with FastAPI\'s OAuth2PasswordBearer scheme, exactly', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.info).toMatchObject({ title: 'Tessera', version: '0.1.0' })
    expect(JSON.stringify(doc.components.securitySchemes)).toBe(
      '{"OAuth2PasswordBearer":{"type":"oauth2","flows":{"password":{"scopes":{"me":"Read information about the current user","items":"Read items"},"tokenUrl":"token"}}}}',
    )
  })

  it('lists the API and not the docs routes, with no HEAD twins', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/status', '/token', '/users', '/users/me', '/users/me/items'])
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`))
    expect(operations.sort()).toEqual([
      'GET /healthz', 'GET /status', 'GET /users/me', 'GET /users/me/items', 'POST /token', 'POST /users', 'POST /users/me/items',
    ])
  })

  it('gives each protected operation its security from config.auth, /status with []', () => {
    expect(doc.paths['/users/me'].get.security).toEqual([{ OAuth2PasswordBearer: ['me'] }])
    expect(doc.paths['/users/me/items'].get.security).toEqual([{ OAuth2PasswordBearer: ['items', 'me'] }])
    expect(doc.paths['/users/me/items'].post.security).toEqual([{ OAuth2PasswordBearer: ['items', 'me'] }])
    expect(doc.paths['/status'].get.security).toEqual([{ OAuth2PasswordBearer: [] }])
    expect(doc.paths['/token'].post.security).toBeUndefined()
    expect(doc.paths['/users'].post.security).toBeUndefined()
    expect(doc.paths['/healthz'].get.security).toBeUndefined()
    expect(doc.security).toBeUndefined()
  })

  it('documents POST /token like OAuth2PasswordRequestForm', () => {
    const op = doc.paths['/token'].post
    expect(op.requestBody.required).toBe(true)
    expect(Object.keys(op.requestBody.content)).toEqual(['application/x-www-form-urlencoded'])
    const schema = op.requestBody.content['application/x-www-form-urlencoded'].schema
    expect(schema.type).toBe('object')
    expect(schema.required).toEqual(['username', 'password'])
    expect(Object.keys(schema.properties)).toEqual(['grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret'])
    expect(schema.properties.password).toEqual({ type: 'string', format: 'password' })
    expect(schema.properties.client_secret).toEqual({ type: 'string', format: 'password' })
    expect(schema.properties.username).toEqual({ type: 'string' })
    for (const optional of ['grant_type', 'scope', 'client_id']) expect(schema.properties[optional].type).toBe('string')

    expect(Object.keys(op.responses)).toEqual(['200', '422'])
    const token = op.responses['200'].content['application/json'].schema
    expect(token.required).toEqual(['access_token', 'token_type', 'expires_in', 'scope'])
    expect(token.properties.token_type).toEqual({ type: 'string', enum: ['bearer'] })
    const invalid = op.responses['422'].content['application/json'].schema
    expect(invalid.properties.detail.type).toBe('array')
    expect(invalid.properties.detail.items.required).toEqual(['type', 'loc', 'msg'])
  })

  it('documents registration and its public user, which has no hash', () => {
    const op = doc.paths['/users'].post
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json'])
    expect(op.requestBody.content['application/json'].schema.required).toEqual(['username', 'password'])
    expect(op.requestBody.content['application/json'].schema.properties.password.format).toBe('password')
    expect(Object.keys(op.responses)).toEqual(['201', '422'])
    expect(Object.keys(op.responses['201'].content['application/json'].schema.properties)).toEqual(['id', 'username', 'email', 'full_name', 'disabled'])
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
    for (const url of ['/docs', '/docs/']) {
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

  it('the Swagger UI initializer loads the document from this server', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain("url: resolveUrl('./json')")
    expect(res.body).toContain('validatorUrl: null')
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
