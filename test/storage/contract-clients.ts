import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/core/errors.js'
import type { ClientChanges, ClientRecord, NewClient, Store } from '../../src/core/ports.js'

const SECRET_HASH = 'a'.repeat(64)

/** What create() gives a client registered without the sign-in fields. */
const SIGN_IN_DEFAULTS = {
  redirectUris: [], postLogoutRedirectUris: [], firstParty: false, idTokenSignedResponseAlg: 'RS256', resources: [],
} satisfies Partial<ClientRecord>

function client(id: string, overrides: Partial<NewClient> = {}): NewClient {
  return { id, name: `Client ${id}`, type: 'confidential', secretHash: SECRET_HASH, grantTypes: ['client_credentials'], scopes: ['me', 'items'], ...overrides }
}

/** Registered OAuth clients. */
export function describeClientContract(current: () => Store): void {
  describe('clients', () => {
    it('creates a client without sign-in fields with their defaults (no redirect URIs, RS256 id_tokens)', async () => {
      const store = current()
      const created = await store.clients.create(client('svc'))
      expect(created).toEqual({ ...client('svc'), ...SIGN_IN_DEFAULTS, createdAt: expect.any(Number) })
      expect(await store.clients.findById('svc')).toEqual(created)
      expect(await store.clients.findById('SVC')).toBeNull()
      expect(await store.clients.findById('')).toBeNull()
    })

    it('reads back every sign-in field as given, URIs verbatim and in order', async () => {
      const store = current()
      const fields = {
        redirectUris: ['https://app.example/cb', 'http://127.0.0.1/callback', 'com.example.app:/oauth2redirect?x=1&y="2"', 'https://app.example/cb/'],
        postLogoutRedirectUris: ['https://app.example/signed-out'],
        firstParty: true,
        idTokenSignedResponseAlg: 'ES256',
        resources: ['https://api.example/', 'urn:example:billing'],
      } satisfies Partial<NewClient>
      const created = await store.clients.create(client('web', { type: 'public', secretHash: null, grantTypes: ['authorization_code', 'refresh_token'], ...fields }))
      expect(created).toMatchObject(fields)
      expect(await store.clients.findById('web')).toEqual(created)
      expect(await store.clients.list()).toEqual([created])
    })

    it('stores a public client without a secret, and empty scope lists as empty', async () => {
      const store = current()
      const created = await store.clients.create(client('spa', { type: 'public', secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: [] }))
      expect(await store.clients.findById('spa')).toEqual(created)
      expect(created).toMatchObject({ type: 'public', secretHash: null, grantTypes: ['password', 'refresh_token'], scopes: [] })
    })

    it('refuses a taken id with Conflict', async () => {
      const store = current()
      const first = await store.clients.create(client('svc'))
      await expect(store.clients.create(client('svc', { name: 'Impostor' }))).rejects.toBeInstanceOf(Conflict)
      await expect(store.clients.create(client('svc'))).rejects.toMatchObject({ detail: 'Client already exists' })
      expect(await store.clients.list()).toEqual([first])
    })

    it('lists in creation order and never loses one', async () => {
      const store = current()
      expect(await store.clients.list()).toEqual([])
      const a = await store.clients.create(client('b-first'))
      const b = await store.clients.create(client('a-second'))
      expect((await store.clients.list()).map((c) => c.id).sort()).toEqual([a.id, b.id].sort())
    })

    it('updates only the given fields; null for an unknown client', async () => {
      const store = current()
      const created = await store.clients.create(client('svc'))
      const updated = await store.clients.update('svc', { secretHash: 'b'.repeat(64), scopes: ['me'] })
      expect(updated).toEqual({ ...created, secretHash: 'b'.repeat(64), scopes: ['me'] })
      expect(await store.clients.findById('svc')).toEqual(updated)
      expect(await store.clients.update('svc', {})).toEqual(updated)
      expect(await store.clients.update('ghost', { name: 'x' })).toBeNull()
      expect(await store.clients.update('ghost', {})).toBeNull()
    })

    it('updates every sign-in field, each alone leaving the others', async () => {
      const store = current()
      const created = await store.clients.create(client('web', { redirectUris: ['https://a.example/cb'], resources: ['https://api.example/'] }))
      const changes: ClientChanges[] = [
        { redirectUris: ['https://b.example/cb', 'https://c.example/cb'] },
        { postLogoutRedirectUris: ['https://b.example/bye'] },
        { firstParty: true },
        { idTokenSignedResponseAlg: 'EdDSA' },
        { resources: [] },
        { firstParty: false, name: 'Renamed', grantTypes: ['authorization_code'] },
      ]
      let expected: ClientRecord = created
      for (const change of changes) {
        expected = { ...expected, ...change }
        expect(await store.clients.update('web', change)).toEqual(expected)
        expect(await store.clients.findById('web')).toEqual(expected)
      }
      expect(expected).toMatchObject({ redirectUris: ['https://b.example/cb', 'https://c.example/cb'], idTokenSignedResponseAlg: 'EdDSA', resources: [], firstParty: false })
    })

    it('deletes once', async () => {
      const store = current()
      await store.clients.create(client('svc'))
      expect(await store.clients.delete('svc')).toBe(true)
      expect(await store.clients.delete('svc')).toBe(false)
      expect(await store.clients.findById('svc')).toBeNull()
    })

    it('stores hostile strings verbatim', async () => {
      const store = current()
      const id = "x'); DROP TABLE clients;--"
      const created = await store.clients.create(client(id, { name: 'O\'Brien "svc" 💥 %_' }))
      expect(await store.clients.findById(id)).toEqual(created)
      expect(await store.clients.findById("' OR '1'='1")).toBeNull()
      const uris = [`https://x.example/cb?q='); DROP TABLE clients;--`, 'https://x.example/"cb"', 'https://x.example/%20 💥']
      const withUris = await store.clients.create(client('uris', { redirectUris: uris, resources: ['[]', 'null'] }))
      expect(await store.clients.findById('uris')).toEqual(withUris)
      expect(withUris).toMatchObject({ redirectUris: uris, resources: ['[]', 'null'] })
    })
  })
}
