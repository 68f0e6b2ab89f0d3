import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  DEMO_CLIENT_ID, DOCS_CLIENT_ID, ensureDemoClient, ensureDocsClient,
} from '../../src/core/built-in-clients.js'
import type { ClientStore, Store } from '../../src/core/ports.js'
import { openStore } from '../../src/storage/index.js'
import { createTestDatabase, type TestDatabase } from '../support/postgres.js'

// The built-in public clients of the interactive docs and the demo app (issue 9 parts 8 and 9),
// upserted at every start, on the real stores.
const ISSUER = 'http://127.0.0.1:8000'

const DOCS = {
  id: 'tessera-docs', name: 'Interactive API docs', type: 'public', secretHash: null,
  grantTypes: ['authorization_code', 'refresh_token'],
  scopes: ['me', 'items', 'users:read', 'users:write', 'openid', 'profile', 'email', 'offline_access'],
  redirectUris: ['http://127.0.0.1:8000/docs/static/oauth2-redirect.html'], postLogoutRedirectUris: [],
  firstParty: true, idTokenSignedResponseAlg: 'RS256', resources: [],
}

const DEMO = {
  id: 'demo-app', name: 'Tessera demo app', type: 'public', secretHash: null,
  grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
  redirectUris: ['http://127.0.0.1:8000/demo/'], postLogoutRedirectUris: ['http://127.0.0.1:8000/demo/'],
  firstParty: true, idTokenSignedResponseAlg: 'RS256', resources: [],
}

interface Backend { url: string; close(): Promise<void> }

const backends: Record<string, () => Promise<Backend>> = {
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-built-in-'))
    return { url: `sqlite:${join(dir, 'tessera.db')}`, close: async () => rmSync(dir, { recursive: true, force: true }) }
  },
  postgres: async () => {
    const database: TestDatabase = await createTestDatabase('builtin')
    return { url: database.url, close: () => database.drop() }
  },
}

describe.each(Object.keys(backends))('built-in clients on %s', (name) => {
  let backend: Backend
  let store: Store
  const opened: Store[] = []

  async function open(): Promise<Store> {
    const another = await openStore(backend.url)
    opened.push(another)
    return another
  }

  beforeEach(async () => {
    backend = await backends[name]!()
    store = await open()
  })
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
    await backend.close()
  })

  it('registers the docs client: public, first-party, code flow, every scope, Swagger UI\'s redirect page', async () => {
    expect(DOCS_CLIENT_ID).toBe('tessera-docs')
    const client = await ensureDocsClient(store.clients, ISSUER)
    expect(client).toEqual({ ...DOCS, createdAt: expect.any(Number) })
    expect(await store.clients.findById('tessera-docs')).toEqual(client)
  })

  it('registers the demo client, whose redirect and post-logout URIs are exactly /demo/', async () => {
    expect(DEMO_CLIENT_ID).toBe('demo-app')
    const client = await ensureDemoClient(store.clients, ISSUER)
    expect(client).toEqual({ ...DEMO, createdAt: expect.any(Number) })
    expect(await store.clients.findById('demo-app')).toEqual(client)
  })

  it('changes nothing when called again with the same issuer', async () => {
    const docs = await ensureDocsClient(store.clients, ISSUER)
    const demo = await ensureDemoClient(store.clients, ISSUER)
    expect(await ensureDocsClient(store.clients, ISSUER)).toEqual(docs)
    expect(await ensureDemoClient(store.clients, ISSUER)).toEqual(demo)
    expect((await store.clients.list()).map((c) => c.id).sort()).toEqual(['demo-app', 'tessera-docs'])
  })

  it('moves the URIs with the issuer (another port), keeping the client and its creation time', async () => {
    const before = await ensureDemoClient(store.clients, ISSUER)
    const after = await ensureDemoClient(store.clients, 'http://127.0.0.1:8123')
    expect(after).toEqual({ ...before, redirectUris: ['http://127.0.0.1:8123/demo/'], postLogoutRedirectUris: ['http://127.0.0.1:8123/demo/'] })
    expect(await store.clients.findById('demo-app')).toEqual(after)
    const docs = await ensureDocsClient(store.clients, 'http://127.0.0.1:8123')
    expect(docs.redirectUris).toEqual(['http://127.0.0.1:8123/docs/static/oauth2-redirect.html'])
  })

  it('strips the issuer\'s trailing slash, and accepts a plain-http non-loopback issuer as the operator chose it', async () => {
    expect((await ensureDemoClient(store.clients, 'https://id.example.com/')).redirectUris).toEqual(['https://id.example.com/demo/'])
    expect((await ensureDocsClient(store.clients, 'http://tessera.internal:8000//')).redirectUris)
      .toEqual(['http://tessera.internal:8000/docs/static/oauth2-redirect.html'])
    expect((await ensureDemoClient(store.clients, 'http://tessera.internal:8000')).postLogoutRedirectUris).toEqual(['http://tessera.internal:8000/demo/'])
  })

  it('puts back what an operator changed: name, scopes, grants, URIs, a secret, consent, the id_token algorithm', async () => {
    const original = await ensureDemoClient(store.clients, ISSUER)
    await store.clients.update('demo-app', {
      name: 'Renamed', scopes: ['me'], grantTypes: ['password'], secretHash: 'a'.repeat(64), redirectUris: ['https://evil.example/cb'],
      postLogoutRedirectUris: [], firstParty: false, idTokenSignedResponseAlg: 'EdDSA', resources: ['https://api.example'],
    })
    expect(await ensureDemoClient(store.clients, ISSUER)).toEqual(original)
    expect(await store.clients.findById('demo-app')).toEqual(original)
  })

  it('replaces a confidential client holding the id with the public one', async () => {
    await store.clients.create({
      id: 'tessera-docs', name: 'Squatter', type: 'confidential', secretHash: 'b'.repeat(64), grantTypes: ['client_credentials'], scopes: ['me'],
    })
    const client = await ensureDocsClient(store.clients, ISSUER)
    expect(client).toEqual({ ...DOCS, createdAt: expect.any(Number) })
    expect(await store.clients.findById('tessera-docs')).toEqual(client)
  })

  it('creates the client again when it was removed', async () => {
    await ensureDocsClient(store.clients, ISSUER)
    await store.clients.delete('tessera-docs')
    expect(await ensureDocsClient(store.clients, ISSUER)).toEqual({ ...DOCS, createdAt: expect.any(Number) })
  })

  it('lets two instances starting at once both succeed, leaving one client each', async () => {
    const other = await open()
    const results = await Promise.all([
      ensureDocsClient(store.clients, ISSUER), ensureDocsClient(other.clients, ISSUER),
      ensureDemoClient(store.clients, ISSUER), ensureDemoClient(other.clients, 'http://127.0.0.1:8000/'),
    ])
    for (const client of results.slice(0, 2)) expect(client).toEqual({ ...DOCS, createdAt: expect.any(Number) })
    for (const client of results.slice(2)) expect(client).toEqual({ ...DEMO, createdAt: expect.any(Number) })
    expect((await store.clients.list()).map((c) => c.id).sort()).toEqual(['demo-app', 'tessera-docs'])
  })

  it('updates instead when another instance creates the client between its read and its insert', async () => {
    const other = await open()
    let reads = 0
    const racing: ClientStore = {
      ...store.clients,
      async findById(id) {
        const found = await store.clients.findById(id)
        // The first read sees nothing; the other instance (on its old port) registers it right after.
        if (reads++ === 0) await ensureDemoClient(other.clients, 'http://127.0.0.1:8999')
        return found
      },
    }
    const client = await ensureDemoClient(racing, ISSUER)
    expect(reads).toBe(2)
    expect(client).toEqual({ ...DEMO, createdAt: expect.any(Number) })
    expect(await store.clients.findById('demo-app')).toEqual(client)
  })
})
