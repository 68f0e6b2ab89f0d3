import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/core/errors.js'
import type { NewClient, Store } from '../../src/core/ports.js'

const SECRET_HASH = 'a'.repeat(64)

function client(id: string, overrides: Partial<NewClient> = {}): NewClient {
  return { id, name: `Client ${id}`, type: 'confidential', secretHash: SECRET_HASH, grantTypes: ['client_credentials'], scopes: ['me', 'items'], ...overrides }
}

/** Registered OAuth clients. */
export function describeClientContract(current: () => Store): void {
  describe('clients', () => {
    it('creates and reads back every field, with a creation time', async () => {
      const store = current()
      const created = await store.clients.create(client('svc'))
      expect(created).toEqual({ ...client('svc'), createdAt: expect.any(Number) })
      expect(await store.clients.findById('svc')).toEqual(created)
      expect(await store.clients.findById('SVC')).toBeNull()
      expect(await store.clients.findById('')).toBeNull()
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
    })
  })
}
