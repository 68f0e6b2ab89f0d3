import { describe, expect, it } from 'vitest'
import { authenticateClient, readClientCredentials } from '../../src/core/client-auth.js'
import {
  clientSecretMatches, generateClientId, generateClientSecret, hashClientSecret, rotateClientSecret,
} from '../../src/core/client.js'
import { registerClient } from '../../src/core/client-registration.js'
import { toErrorResponse } from '../../src/core/error-response.js'
import { Conflict, InvalidClient, InvalidRequest, NotFound, ValidationFailed } from '../../src/core/errors.js'
import type { ClientRecord } from '../../src/core/ports.js'
import { inMemoryClients } from './in-memory-sessions.js'

const SECRET = 'kI5n0tR3allyAS3cr3t-but-long-enough-for-tests'
const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: 'svc', name: 'Service', type: 'confidential', secretHash: hashClientSecret(SECRET), grantTypes: ['client_credentials'],
    scopes: ['me'], createdAt: 0, redirectUris: [], postLogoutRedirectUris: [], firstParty: false, idTokenSignedResponseAlg: 'RS256',
    resources: [], ...overrides,
  }
}

function failure(run: () => unknown): unknown {
  try {
    run()
  } catch (err) {
    return err
  }
  throw new Error('expected a failure')
}

describe('readClientCredentials', () => {
  it('reads client_secret_basic, undoing RFC 6749 §2.3.1\'s form-urlencoding of id and secret', () => {
    expect(readClientCredentials(basic('my+client%3A1:p%40ss%3Aw%25rd+x'), {}))
      .toEqual({ clientId: 'my client:1', secret: 'p@ss:w%rd x', method: 'client_secret_basic' })
    expect(readClientCredentials(`bAsIc   ${Buffer.from('svc:s').toString('base64')}`, {})).toMatchObject({ clientId: 'svc', secret: 's' })
    // The secret may itself contain a colon once encoded... and an unencoded one after the first is the secret's.
    expect(readClientCredentials(basic('svc:a:b'), {})).toMatchObject({ clientId: 'svc', secret: 'a:b' })
  })

  it('reads client_secret_post, and a public client naming itself', () => {
    expect(readClientCredentials(undefined, { client_id: 'svc', client_secret: 's' })).toEqual({ clientId: 'svc', secret: 's', method: 'client_secret_post' })
    expect(readClientCredentials(undefined, { client_id: 'app' })).toEqual({ clientId: 'app', secret: null, method: 'none' })
  })

  it('is null without a client, including Swagger UI\'s empty Basic (Og==) and a Bearer header', () => {
    expect(readClientCredentials(undefined, {})).toBeNull()
    expect(readClientCredentials('Basic Og==', {})).toBeNull()
    expect(readClientCredentials('Basic Og==', { client_id: 'app' })).toMatchObject({ clientId: 'app', method: 'none' })
    expect(readClientCredentials('Bearer abc', {})).toBeNull()
    // ...and Basic with an id but an empty secret is a public client naming itself.
    expect(readClientCredentials(basic('app:'), {})).toEqual({ clientId: 'app', secret: null, method: 'none' })
  })

  it('refuses two methods at once, and a secret without an id: 400 invalid_request', () => {
    const both = failure(() => readClientCredentials(basic('svc:s'), { client_secret: 's' }))
    expect(both).toBeInstanceOf(InvalidRequest)
    expect(toErrorResponse(both).body).toEqual({ detail: 'Use only one client authentication method', error: 'invalid_request', error_description: 'Use only one client authentication method' })
    expect(failure(() => readClientCredentials(basic('svc:s'), { client_id: 'other' }))).toBeInstanceOf(InvalidRequest)
    expect(readClientCredentials(basic('svc:s'), { client_id: 'svc' })).toMatchObject({ clientId: 'svc', method: 'client_secret_basic' })
    expect(failure(() => readClientCredentials(undefined, { client_secret: 's' }))).toBeInstanceOf(InvalidRequest)
  })


  it('refuses a client field that is not one string (a repeated form field arrives as an array): 400 invalid_request', () => {
    for (const [form, field] of [
      [{ client_id: 'svc', client_secret: ['a', 'b'] }, 'client_secret'],
      [{ client_id: ['svc', 'svc'], client_secret: 's' }, 'client_id'],
      [{ client_id: ['svc', 'other'] }, 'client_id'],
      [{ client_id: { svc: 1 } }, 'client_id'],
    ] as const) {
      const error = failure(() => readClientCredentials(undefined, form))
      expect(error).toBeInstanceOf(InvalidRequest)
      expect(toErrorResponse(error)).toMatchObject({ status: 400, body: { error: 'invalid_request', detail: `Missing or invalid parameter: ${field}` } })
    }
    // ...whatever the Authorization header says.
    expect(failure(() => readClientCredentials(basic('svc:s'), { client_id: ['svc', 'svc'] }))).toBeInstanceOf(InvalidRequest)
  })
  it.each([
    ['not base64', 'Basic ***'],
    ['no colon', basic('svc')],
    ['bad percent-encoding', basic('svc:%E0%A4%A')],
    ['nothing after the scheme', 'Basic'],
  ])('malformed Basic credentials (%s): 401 invalid_client with a Basic challenge', (_, header) => {
    const error = failure(() => readClientCredentials(header, {}))
    expect(error).toBeInstanceOf(InvalidClient)
    expect(toErrorResponse(error)).toEqual({
      status: 401, headers: { 'www-authenticate': 'Basic realm="tessera"' },
      body: { detail: 'Malformed Basic credentials', error: 'invalid_client', error_description: 'Malformed Basic credentials' },
    })
  })
})

describe('authenticateClient', () => {
  const clients = inMemoryClients([client(), client({ id: 'app', type: 'public', secretHash: null, grantTypes: ['password'] })])
  const rejected = (pending: Promise<unknown>) => pending.then(() => { throw new Error('expected a failure') }, (e: unknown) => e)

  it('accepts a confidential client with its secret, by either method, and a public client by id', async () => {
    expect(await authenticateClient({ clientId: 'svc', secret: SECRET, method: 'client_secret_basic' }, clients)).toMatchObject({ id: 'svc' })
    expect(await authenticateClient({ clientId: 'svc', secret: SECRET, method: 'client_secret_post' }, clients)).toMatchObject({ id: 'svc' })
    expect(await authenticateClient({ clientId: 'app', secret: null, method: 'none' }, clients)).toMatchObject({ id: 'app' })
    expect(await authenticateClient(null, clients)).toBeNull()
  })

  it.each([
    ['a wrong secret', { clientId: 'svc', secret: `${SECRET}x` }, 'svc'],
    ['no secret for a confidential client', { clientId: 'svc', secret: null }, 'svc'],
    ['a secret for a public client', { clientId: 'app', secret: 'anything' }, 'app'],
    ['an unknown client', { clientId: 'ghost', secret: SECRET }, 'ghost'],
  ])('refuses %s: InvalidClient naming the claimed id (for the audit log)', async (_, credentials, claimed) => {
    const error = await rejected(authenticateClient({ ...credentials, method: 'client_secret_post' }, clients))
    expect(error).toBeInstanceOf(InvalidClient)
    expect(error).toMatchObject({ status: 401, code: 'invalid_client', detail: 'Client authentication failed', clientId: claimed })
  })
})

describe('client secrets and registration', () => {
  it('generates 128-bit ids and 256-bit secrets, compares hashes in constant time', () => {
    expect(generateClientId()).toMatch(/^[0-9a-f]{32}$/) // 128 bits, never a leading '-' (CLI)
    const secret = generateClientSecret()
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(hashClientSecret(secret)).toMatch(/^[0-9a-f]{64}$/)
    expect(clientSecretMatches(secret, hashClientSecret(secret))).toBe(true)
    expect(clientSecretMatches(`${secret}x`, hashClientSecret(secret))).toBe(false)
    expect(clientSecretMatches('', null)).toBe(false)
    expect(clientSecretMatches(secret, 'not-a-hash')).toBe(false)
  })

  it('registers a confidential client with a secret shown once and stored as its hash; defaults by type', async () => {
    const clients = inMemoryClients()
    const { client: svc, secret } = await registerClient({ name: '  Billing  ' }, clients)
    expect(svc).toMatchObject({ name: 'Billing', type: 'confidential', grantTypes: ['client_credentials'], scopes: ['me', 'items'] })
    expect(svc.secretHash).toBe(hashClientSecret(secret!))
    const { client: app, secret: none } = await registerClient({ name: 'SPA', type: 'public' }, clients)
    expect(app).toMatchObject({ type: 'public', secretHash: null, grantTypes: ['password', 'refresh_token'] })
    expect(none).toBeNull()
  })

  it.each([
    ['a public client with client_credentials', { name: 'x', type: 'public' as const, grantTypes: ['client_credentials'] }, ['body', 'grant_types']],
    ['an unknown grant type', { name: 'x', grantTypes: ['implicit'] }, ['body', 'grant_types']],
    ['no grant types', { name: 'x', grantTypes: [] }, ['body', 'grant_types']],
    ['an unknown scope', { name: 'x', scopes: ['admin'] }, ['body', 'scopes']],
    ['a blank name', { name: '   ' }, ['body', 'name']],
    ['a name with a control character', { name: 'a\u0007b' }, ['body', 'name']],
  ])('refuses %s with a 422', async (_, registration, loc) => {
    const error = await registerClient(registration, inMemoryClients()).then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationFailed)
    expect((error as ValidationFailed).issues.map((i) => i.loc)).toEqual([loc])
  })

  it('rotates a confidential client\'s secret; a public client has none; an unknown client is 404', async () => {
    const clients = inMemoryClients()
    const { client: svc, secret } = await registerClient({ name: 'svc' }, clients)
    const rotated = await rotateClientSecret(svc.id, clients)
    expect(rotated.secret).not.toBe(secret)
    expect(clientSecretMatches(secret!, rotated.client.secretHash)).toBe(false)
    expect(clientSecretMatches(rotated.secret, rotated.client.secretHash)).toBe(true)
    const { client: app } = await registerClient({ name: 'app', type: 'public' }, clients)
    await expect(rotateClientSecret(app.id, clients)).rejects.toBeInstanceOf(Conflict)
    await expect(rotateClientSecret('ghost', clients)).rejects.toBeInstanceOf(NotFound)
  })
})
