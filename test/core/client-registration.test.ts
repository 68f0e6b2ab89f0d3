import { describe, expect, it } from 'vitest'
import { registerClient, updateClient, type ClientRegistration } from '../../src/core/client-registration.js'
import { NotFound, ValidationFailed, type ValidationIssue } from '../../src/core/errors.js'
import { inMemoryClients } from './in-memory-sessions.js'

// Issue 9 part 7: the sign-in fields of a client (redirect URIs, post-logout redirect URIs,
// first-party, id_token algorithm, resources), their defaults and their rules.
const APP = 'https://app.example/callback'
const IDENTITY = ['openid', 'profile', 'email', 'offline_access']

async function issuesOf(promise: Promise<unknown>): Promise<ValidationIssue[]> {
  const error = await promise.then(() => null, (e: unknown) => e)
  expect(error).toBeInstanceOf(ValidationFailed)
  return (error as ValidationFailed).issues
}

const refused = (registration: ClientRegistration) => issuesOf(registerClient(registration, inMemoryClients()))

describe('registerClient: the sign-in fields', () => {
  it('stores every field given, duplicates removed, order kept', async () => {
    const clients = inMemoryClients()
    const { client, secret } = await registerClient({
      name: 'Web app', redirectUris: [APP, 'http://127.0.0.1:8080/cb', APP], postLogoutRedirectUris: ['https://app.example/', 'https://app.example/'],
      firstParty: true, idTokenSignedResponseAlg: 'ES256', resources: ['https://api.example', 'urn:example:billing', 'https://api.example'],
    }, clients)
    expect(client).toMatchObject({
      name: 'Web app', type: 'confidential', redirectUris: [APP, 'http://127.0.0.1:8080/cb'], postLogoutRedirectUris: ['https://app.example/'],
      firstParty: true, idTokenSignedResponseAlg: 'ES256', resources: ['https://api.example', 'urn:example:billing'],
    })
    expect(secret).not.toBeNull()
    expect(clients.records.get(client.id)).toEqual(client)
  })

  it('with redirect URIs and no grant types: the code flow and refresh, and OpenID Connect\'s scopes beside the everyday ones', async () => {
    const { client } = await registerClient({ name: 'SPA', type: 'public', redirectUris: [APP] }, inMemoryClients())
    expect(client).toMatchObject({
      grantTypes: ['authorization_code', 'refresh_token'], scopes: ['me', 'items', ...IDENTITY],
      postLogoutRedirectUris: [], firstParty: false, idTokenSignedResponseAlg: 'RS256', resources: [],
    })
    const given = await registerClient({ name: 'Both', redirectUris: [APP], grantTypes: ['authorization_code', 'client_credentials'] }, inMemoryClients())
    expect(given.client).toMatchObject({ grantTypes: ['authorization_code', 'client_credentials'], scopes: ['me', 'items', ...IDENTITY] })
  })

  it('without redirect URIs the defaults stay as before: client_credentials or password + refresh_token, the everyday scopes', async () => {
    const clients = inMemoryClients()
    expect((await registerClient({ name: 'svc' }, clients)).client).toMatchObject({ grantTypes: ['client_credentials'], scopes: ['me', 'items'], redirectUris: [] })
    expect((await registerClient({ name: 'app', type: 'public' }, clients)).client).toMatchObject({ grantTypes: ['password', 'refresh_token'], scopes: ['me', 'items'] })
  })

  it('accepts the identity scopes beside Tessera\'s own, and a private-use scheme for a public (native) client', async () => {
    const { client } = await registerClient({
      name: 'Phone', type: 'public', redirectUris: ['com.example.app:/oauth2redirect'], scopes: ['openid', 'email', 'me'],
    }, inMemoryClients())
    expect(client).toMatchObject({ redirectUris: ['com.example.app:/oauth2redirect'], scopes: ['openid', 'email', 'me'] })
  })

  it.each([
    ['http to a non-loopback host', { redirectUris: ['http://app.example/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "http://app.example/cb" may use http only for a loopback host (127.0.0.1, [::1], localhost); use https'],
    ['a fragment', { redirectUris: ['https://app.example/cb#x'] }, 'redirect_uris',
      'Value error, The redirect URI "https://app.example/cb#x" must not contain a fragment (RFC 6749 §3.1.2)'],
    ['a wildcard', { redirectUris: ['https://*.example/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "https://*.example/cb" must not contain wildcards: redirect URIs are matched exactly'],
    ['a private-use scheme for a confidential client', { redirectUris: ['com.example.app:/cb'] }, 'redirect_uris',
      'Value error, The redirect URI "com.example.app:/cb" a private-use scheme is for native (public) clients only'],
    ['a post-logout URI breaking the same rules', { redirectUris: [APP], postLogoutRedirectUris: ['javascript:alert(1)'] }, 'post_logout_redirect_uris',
      'Value error, The post-logout redirect URI "javascript:alert(1)" must use https, http to a loopback host, or a reverse-domain private-use scheme (com.example.app:/callback)'],
    ['authorization_code without a redirect URI', { grantTypes: ['authorization_code'] }, 'redirect_uris',
      'Value error, A client using authorization_code needs at least one redirect URI'],
    ['an unknown id_token algorithm', { idTokenSignedResponseAlg: 'HS256' }, 'id_token_signed_response_alg',
      "Input should be 'EdDSA', 'ES256' or 'RS256'"],
    ['a relative resource', { resources: ['/api'] }, 'resources', 'Value error, The resource "/api" must be an absolute URI (RFC 8707 §2)'],
    ['a resource with a fragment', { resources: ['https://api.example/#v1'] }, 'resources',
      'Value error, The resource "https://api.example/#v1" must not contain a fragment (RFC 8707 §2)'],
    ['an unknown scope', { scopes: ['admin'] }, 'scopes',
      'Value error, Scopes are any of me, items, users:read, users:write, openid, profile, email, offline_access'],
  ])('refuses %s with a 422 naming the field', async (_, fields, field, msg) => {
    const issues = await refused({ name: 'x', ...fields })
    expect(issues).toEqual([expect.objectContaining({ loc: ['body', field], msg })])
  })

  it('refuses more than 20 URIs of each kind, and reports every problem at once', async () => {
    const many = Array.from({ length: 21 }, (_, i) => `https://app.example/cb/${i}`)
    expect((await refused({ name: 'x', redirectUris: many })).map((i) => i.msg)).toEqual(['Value error, At most 20 redirect URIs'])
    expect((await refused({ name: 'x', redirectUris: [APP], postLogoutRedirectUris: many })).map((i) => i.msg)).toEqual(['Value error, At most 20 post-logout redirect URIs'])
    expect((await refused({ name: 'x', resources: many })).map((i) => i.msg)).toEqual(['Value error, At most 20 resources'])
    // Twenty, duplicates removed first, is fine.
    await registerClient({ name: 'x', redirectUris: [...many.slice(0, 20), APP.replace('callback', 'cb/0')] }, inMemoryClients())
    const all = await refused({ name: '', type: 'public', grantTypes: ['client_credentials'], redirectUris: ['http://evil.example/'] })
    expect(all.map((i) => i.loc)).toEqual([['body', 'name'], ['body', 'grant_types'], ['body', 'redirect_uris']])
  })
})

describe('updateClient', () => {
  async function webApp() {
    const clients = inMemoryClients()
    const { client } = await registerClient({ name: 'Web app', redirectUris: [APP] }, clients)
    return { clients, client }
  }

  it('applies the fields given, lists replacing lists, and names what changed in a fixed order', async () => {
    const { clients, client } = await webApp()
    const { client: updated, changed } = await updateClient(client.id, {
      resources: ['https://api.example'], name: ' Web app 2 ', redirectUris: [APP, 'https://app.example/other', APP],
      firstParty: true, idTokenSignedResponseAlg: 'EdDSA', postLogoutRedirectUris: ['https://app.example/bye'], scopes: ['openid', 'me'],
    }, clients)
    expect(changed).toEqual(['name', 'scopes', 'redirect_uris', 'post_logout_redirect_uris', 'first_party', 'id_token_signed_response_alg', 'resources'])
    expect(updated).toEqual({
      ...client, name: 'Web app 2', redirectUris: [APP, 'https://app.example/other'], postLogoutRedirectUris: ['https://app.example/bye'],
      firstParty: true, idTokenSignedResponseAlg: 'EdDSA', resources: ['https://api.example'], scopes: ['openid', 'me'],
    })
    expect(clients.records.get(client.id)).toEqual(updated)
    expect(updated.secretHash).toBe(client.secretHash) // never touched
  })

  it('names only the fields whose value differs; nothing different writes nothing', async () => {
    const { clients, client } = await webApp()
    expect(await updateClient(client.id, { name: 'Web app', redirectUris: [APP], firstParty: false }, clients)).toEqual({ client, changed: [] })
    expect((await updateClient(client.id, { name: 'Web app', firstParty: true }, clients)).changed).toEqual(['first_party'])
  })

  it('checks the merged client with registration\'s rules, and writes nothing when they fail', async () => {
    const { clients, client } = await webApp()
    const noRedirect = await issuesOf(updateClient(client.id, { redirectUris: [] }, clients))
    expect(noRedirect).toEqual([expect.objectContaining({ loc: ['body', 'redirect_uris'], msg: 'Value error, A client using authorization_code needs at least one redirect URI' })])
    // Dropping the code flow first makes an empty list fine.
    expect((await updateClient(client.id, { grantTypes: ['client_credentials'], redirectUris: [] }, clients)).changed).toEqual(['grant_types', 'redirect_uris'])
    const pub = await registerClient({ name: 'SPA', type: 'public', redirectUris: [APP] }, clients)
    expect((await issuesOf(updateClient(pub.client.id, { grantTypes: ['client_credentials'] }, clients))).map((i) => i.loc)).toEqual([['body', 'grant_types']])
    expect((await issuesOf(updateClient(pub.client.id, { name: '', idTokenSignedResponseAlg: 'none' }, clients))).map((i) => i.loc))
      .toEqual([['body', 'name'], ['body', 'id_token_signed_response_alg']])
    expect(clients.records.get(pub.client.id)).toEqual(pub.client)
  })

  it('a confidential client stays confidential: a private-use scheme is still refused', async () => {
    const { clients, client } = await webApp()
    const issues = await issuesOf(updateClient(client.id, { redirectUris: ['com.example.app:/cb'] }, clients))
    expect(issues.map((i) => i.loc)).toEqual([['body', 'redirect_uris']])
  })

  it('404 for an unknown client', async () => {
    await expect(updateClient('ghost', { name: 'x' }, inMemoryClients())).rejects.toThrow(new NotFound('Client not found'))
  })
})
