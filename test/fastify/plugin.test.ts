import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import { createAccessTokens, fixedClock, type AccessTokens, type Store, type UserRecord } from 'tessera'
import { currentUser, tesseraAuth, withOAuth2PasswordSecurity, type SecuritySchemeOptions } from 'tessera/fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from 'tessera/storage'

// An application that is not Tessera's server: it installs only the plugin (no Tessera error
// handler), declares auth on its routes, and gets Tessera's answers and OpenAPI entries.
const clock = fixedClock(Date.UTC(2026, 0, 1))
let dir: string
let store: Store
let tokens: AccessTokens
let app: FastifyInstance
let active: UserRecord
let disabled: UserRecord

async function foreignApp(options: SecuritySchemeOptions = {}): Promise<FastifyInstance> {
  const instance = Fastify()
  await instance.register(tesseraAuth, { tokens, users: store.users, ...options })
  // The same options declare the schemes the plugin's security entries name.
  await instance.register(swagger, withOAuth2PasswordSecurity({
    openapi: { openapi: '3.1.0', info: { title: 'Foreign', version: '1.0.0' } },
  }, options))

  instance.get('/public', async () => ({ open: true }))
  instance.get('/ping', { config: { auth: true } }, async (request) => ({ sub: request.auth?.sub, scope: request.auth?.scope }))
  instance.get('/profile', { config: { auth: { scopes: ['me'] } } }, async (request) => ({ username: currentUser(request).username }))
  instance.get('/misused', async (request) => ({ username: currentUser(request).username }))
  instance.post('/notes', { config: { auth: { scopes: ['items', 'me'] } } }, async (request, reply) => reply.code(201).send({ by: request.user?.username }))
  await instance.ready()
  return instance
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-plugin-'))
  store = await openStore(`sqlite:${join(dir, 'plugin.db')}`)
  tokens = createAccessTokens({ secretKey: 'plugin-test-secret-0123456789abcdef', issuer: 'http://foreign.test', expiresInSeconds: 600, clock })
  // No login happens here, so the stored hash is never verified.
  active = await store.users.create({ username: 'active', passwordHash: '$argon2id$unused', scopes: ['me', 'items'] })
  disabled = await store.users.create({ username: 'inactive', passwordHash: '$argon2id$unused', disabled: true, scopes: ['me', 'items'] })
  app = await foreignApp()
})

afterAll(async () => {
  await app.close()
  await store.close()
  rmSync(dir, { recursive: true, force: true })
})

const bearer = (user: UserRecord, scopes: string[]) => ({ authorization: `Bearer ${tokens.issue(user.id, scopes).token}` })

describe('the guard derived from config.auth', () => {
  it('401 without credentials, with the challenge and the body core defines', async () => {
    const res = await app.inject({ method: 'GET', url: '/profile' })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
    expect(res.json()).toEqual({ detail: 'Not authenticated' })
  })

  it('401 for a bad token, naming the scopes the route needs', async () => {
    const res = await app.inject({ method: 'GET', url: '/profile', headers: { authorization: 'Bearer nope' } })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token is invalid", scope="me"')
    expect(res.json()).toEqual({ detail: 'Could not validate credentials' })
  })

  it('403 insufficient_scope listing every scope of the declaration', async () => {
    const res = await app.inject({ method: 'POST', url: '/notes', headers: bearer(active, ['me']) })
    expect(res.statusCode).toBe(403)
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="items me"')
    expect(res.json()).toEqual({ detail: 'Not enough permissions' })
  })

  it('400 Inactive user', async () => {
    const res = await app.inject({ method: 'GET', url: '/profile', headers: bearer(disabled, ['me']) })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ detail: 'Inactive user' })
  })

  it('200 with request.user and request.auth set', async () => {
    const profile = await app.inject({ method: 'GET', url: '/profile', headers: bearer(active, ['me']) })
    expect(profile.statusCode).toBe(200)
    expect(profile.json()).toEqual({ username: 'active' })
    const ping = await app.inject({ method: 'GET', url: '/ping', headers: bearer(active, []) })
    expect(ping.json()).toEqual({ sub: active.id, scope: [] })
    const notes = await app.inject({ method: 'POST', url: '/notes', headers: bearer(active, ['me', 'items']) })
    expect(notes.statusCode).toBe(201)
    expect(notes.json()).toEqual({ by: 'active' })
  })

  it('leaves undeclared routes alone: request.user stays null there', async () => {
    const res = await app.inject({ method: 'GET', url: '/public', headers: bearer(active, ['me']) })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ open: true })
    // currentUser() on a route without config.auth is a programming mistake, not an anonymous user.
    expect((await app.inject({ method: 'GET', url: '/misused', headers: bearer(active, ['me']) })).statusCode).toBe(500)
  })

  it('refuses a malformed declaration when the route is added, not at request time', async () => {
    const instance = Fastify()
    await instance.register(tesseraAuth, { tokens, users: store.users })
    expect(() => instance.get('/typo', { config: { auth: { scopes: 'me' } as never } }, async () => 'open')).toThrow(TypeError)
    await instance.close()
  })

  it('requires its dependencies', async () => {
    const instance = Fastify()
    await expect(instance.register(tesseraAuth, { tokens, users: undefined as never })).rejects.toThrow(TypeError)
  })
})

describe('the OpenAPI entries derived from config.auth', () => {
  it('declares the scheme and each operation\'s security', () => {
    const doc = app.swagger() as Record<string, any>
    expect(doc.components.securitySchemes).toEqual({
      OAuth2PasswordBearer: {
        type: 'oauth2',
        flows: {
          password: {
            scopes: {
              me: 'Read information about the current user', items: 'Read items',
              'users:read': 'Read and search user accounts', 'users:write': 'Create, change and delete user accounts',
            },
            tokenUrl: 'token',
          },
        },
      },
    })
    expect(doc.paths['/profile'].get.security).toEqual([{ OAuth2PasswordBearer: ['me'] }])
    expect(doc.paths['/notes'].post.security).toEqual([{ OAuth2PasswordBearer: ['items', 'me'] }])
    expect(doc.paths['/ping'].get.security).toEqual([{ OAuth2PasswordBearer: [] }])
    expect(doc.paths['/public'].get.security).toBeUndefined()
    expect(doc.paths['/misused'].get.security).toBeUndefined()
    // Without `authorizationCode`, nothing of the code flow: library users see no change.
    expect(app.tesseraAuth.authorizationCodeScheme).toBeNull()
    expect(app.tesseraAuth.authorizationCodeSchemes).toEqual({})
  })

  it('uses the scheme name and token URL it is given', async () => {
    const custom = await foreignApp({ securityScheme: 'TesseraLogin', tokenUrl: '/auth/token' })
    try {
      const doc = custom.swagger() as Record<string, any>
      expect(Object.keys(doc.components.securitySchemes)).toEqual(['TesseraLogin'])
      expect(doc.components.securitySchemes.TesseraLogin.flows.password.tokenUrl).toBe('/auth/token')
      expect(custom.tesseraAuth.securitySchemes.TesseraLogin?.flows.password.tokenUrl).toBe('/auth/token')
      expect(doc.paths['/profile'].get.security).toEqual([{ TesseraLogin: ['me'] }])
    } finally {
      await custom.close()
    }
  })

  it('with authorizationCode, declares FastAPI\'s OAuth2AuthorizationCodeBearer too, and lists both on every protected operation', async () => {
    const withCode = await foreignApp({ authorizationCode: { authorizationUrl: 'https://id.example/authorize' } })
    try {
      const doc = withCode.swagger() as Record<string, any>
      const apiScopes = {
        me: 'Read information about the current user', items: 'Read items',
        'users:read': 'Read and search user accounts', 'users:write': 'Create, change and delete user accounts',
      }
      // FastAPI's key order: the password scheme first, then scopes, authorizationUrl, tokenUrl.
      expect(JSON.stringify(doc.components.securitySchemes)).toBe(JSON.stringify({
        OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { scopes: apiScopes, tokenUrl: 'token' } } },
        OAuth2AuthorizationCodeBearer: {
          type: 'oauth2',
          flows: {
            authorizationCode: {
              scopes: {
                ...apiScopes, openid: 'Sign you in with your account', profile: 'See your name and username',
                email: 'See your email address', offline_access: 'Stay signed in when you are away (a refresh token)',
              },
              authorizationUrl: 'https://id.example/authorize',
              tokenUrl: 'token',
            },
          },
        },
      }))
      expect(doc.paths['/profile'].get.security).toEqual([{ OAuth2PasswordBearer: ['me'] }, { OAuth2AuthorizationCodeBearer: ['me'] }])
      expect(doc.paths['/notes'].post.security).toEqual([{ OAuth2PasswordBearer: ['items', 'me'] }, { OAuth2AuthorizationCodeBearer: ['items', 'me'] }])
      expect(doc.paths['/ping'].get.security).toEqual([{ OAuth2PasswordBearer: [] }, { OAuth2AuthorizationCodeBearer: [] }])
      expect(doc.paths['/public'].get.security).toBeUndefined()
      expect(withCode.tesseraAuth.authorizationCodeScheme).toBe('OAuth2AuthorizationCodeBearer')
      expect(withCode.tesseraAuth.authorizationCodeSchemes).toEqual({ OAuth2AuthorizationCodeBearer: doc.components.securitySchemes.OAuth2AuthorizationCodeBearer })
      // The guard is the same one: a token answers as before, whichever flow it came from.
      expect((await withCode.inject({ method: 'GET', url: '/profile', headers: bearer(active, ['me']) })).json()).toEqual({ username: 'active' })
      expect((await withCode.inject({ method: 'GET', url: '/profile' })).statusCode).toBe(401)
    } finally {
      await withCode.close()
    }
  })

  it('uses the code scheme\'s name, URLs and scopes it is given; its token URL defaults to the password scheme\'s', async () => {
    const custom = await foreignApp({
      securityScheme: 'TesseraLogin', tokenUrl: '/auth/token', scopes: { read: 'Read things' },
      authorizationCode: { securityScheme: 'TesseraSignIn', authorizationUrl: '/auth/authorize' },
    })
    try {
      const doc = custom.swagger() as Record<string, any>
      expect(Object.keys(doc.components.securitySchemes)).toEqual(['TesseraLogin', 'TesseraSignIn'])
      expect(doc.components.securitySchemes.TesseraSignIn.flows.authorizationCode).toEqual({
        scopes: {
          read: 'Read things', openid: 'Sign you in with your account', profile: 'See your name and username',
          email: 'See your email address', offline_access: 'Stay signed in when you are away (a refresh token)',
        },
        authorizationUrl: '/auth/authorize',
        tokenUrl: '/auth/token',
      })
      expect(doc.paths['/profile'].get.security).toEqual([{ TesseraLogin: ['me'] }, { TesseraSignIn: ['me'] }])
    } finally {
      await custom.close()
    }
    const explicit = await foreignApp({ authorizationCode: { authorizationUrl: 'authorize', tokenUrl: 'oauth/token', scopes: { openid: 'Who you are' } } })
    try {
      expect((explicit.swagger() as Record<string, any>).components.securitySchemes.OAuth2AuthorizationCodeBearer.flows.authorizationCode)
        .toEqual({ scopes: { openid: 'Who you are' }, authorizationUrl: 'authorize', tokenUrl: 'oauth/token' })
    } finally {
      await explicit.close()
    }
  })

  it('refuses a code scheme without an authorization URL, or named like the password scheme, at registration', async () => {
    for (const authorizationCode of [{ authorizationUrl: '' }, { authorizationUrl: 'authorize', securityScheme: 'OAuth2PasswordBearer' }]) {
      const instance = Fastify()
      await expect(instance.register(tesseraAuth, { tokens, users: store.users, authorizationCode })).rejects.toThrow(TypeError)
      await instance.close()
      expect(() => withOAuth2PasswordSecurity({}, { authorizationCode })).toThrow(TypeError)
    }
  })
})
