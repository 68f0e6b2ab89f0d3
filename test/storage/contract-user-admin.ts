import { describe, expect, it } from 'vitest'
import type { Store } from '../../src/core/ports.js'
import type { NewUser } from '../../src/core/user.js'

const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

function newUser(username: string, extra: Partial<NewUser> = {}): NewUser {
  return { username, passwordHash: HASH, ...extra }
}

/** The admin API's user queries: search with a page and a count, and partial updates. */
export function describeUserAdminContract(current: () => Store): void {
  describe('users: search and update (admin API)', () => {
    async function seed(store: Store) {
      return {
        john: await store.users.create(newUser('JohnDoe', { email: 'john.doe@example.com', fullName: 'John Doe' })),
        alice: await store.users.create(newUser('alice', { email: 'alice@wonder.example', fullName: 'Alice Wonderson' })),
        bob: await store.users.create(newUser('bob', { fullName: 'Bob the Builder' })),
        carol: await store.users.create(newUser('carol', { email: 'carol@example.com' })),
      }
    }

    it('pages through everyone in normalised-name order with the total count', async () => {
      const store = current()
      expect(await store.users.search({ limit: 10, offset: 0 })).toEqual({ users: [], total: 0 })
      const { john, alice, bob, carol } = await seed(store)
      expect(await store.users.search({ limit: 10, offset: 0 })).toEqual({ users: [alice, bob, carol, john], total: 4 })
      expect(await store.users.search({ query: '', limit: 2, offset: 0 })).toEqual({ users: [alice, bob], total: 4 })
      expect(await store.users.search({ limit: 2, offset: 2 })).toEqual({ users: [carol, john], total: 4 })
      expect(await store.users.search({ limit: 2, offset: 4 })).toEqual({ users: [], total: 4 })
    })

    it('matches username, email or full name by substring, ignoring case', async () => {
      const store = current()
      const { bob } = await seed(store)
      const names = async (query: string) => (await store.users.search({ query, limit: 10, offset: 0 })).users.map((u) => u.username)
      expect(await names('john')).toEqual(['JohnDoe'])
      expect(await names('ＪＯＨＮ')).toEqual(['JohnDoe'])           // the username's NFKC fold
      expect(await names('EXAMPLE.COM')).toEqual(['carol', 'JohnDoe'])
      expect(await names('wonder')).toEqual(['alice'])                 // email and full name both match: listed once
      expect(await names('builder')).toEqual(['bob'])
      expect(await names('o')).toEqual(['alice', 'bob', 'carol', 'JohnDoe'])
      expect(await names('nobody')).toEqual([])
      expect(await store.users.search({ query: 'o', limit: 1, offset: 1 })).toEqual({ users: [bob], total: 4 })
    })

    it('takes LIKE wildcards and quotes in the query literally', async () => {
      const store = current()
      await seed(store)
      const percent = await store.users.create(newUser('100%_sure', { fullName: "O'Brien \\ back" }))
      const search = (query: string) => store.users.search({ query, limit: 10, offset: 0 })
      expect(await search('%')).toEqual({ users: [percent], total: 1 })
      expect(await search('_')).toEqual({ users: [percent], total: 1 })
      expect(await search('0%_s')).toEqual({ users: [percent], total: 1 })
      expect(await search("o'brien \\")).toEqual({ users: [percent], total: 1 })
      expect(await search('\\')).toEqual({ users: [percent], total: 1 })
      expect(await search("' OR '1'='1")).toEqual({ users: [], total: 0 })
    })

    it('updates only the given fields, stamps updatedAt, and returns the user', async () => {
      const store = current()
      const { john, bob } = await seed(store)
      const changed = await store.users.update(john.id, { email: null, fullName: 'Johnny', scopes: ['me', 'users:read', 'users:read'] })
      expect(changed).toEqual({
        ...john, email: null, fullName: 'Johnny', scopes: ['me', 'users:read'], updatedAt: expect.any(Date),
      })
      expect(await store.users.findById(john.id)).toEqual(changed)

      const disabled = await store.users.update(john.id, { disabled: true })
      expect(disabled).toEqual({ ...changed, disabled: true, updatedAt: expect.any(Date) })
      expect(await store.users.update(john.id, {})).toEqual({ ...disabled, updatedAt: expect.any(Date) })
      expect(await store.users.update(john.id, { scopes: [] })).toMatchObject({ scopes: [] })
      expect(await store.users.findById(bob.id)).toEqual(bob)
      expect(await store.users.update(UNKNOWN_ID, { disabled: true })).toBeNull()
    })

    it('refuses an unknown scope as a programming error, changing nothing', async () => {
      const store = current()
      const { john } = await seed(store)
      await expect(store.users.update(john.id, { scopes: ['admin' as 'me'] })).rejects.toThrow(TypeError)
      expect(await store.users.findById(john.id)).toEqual(john)
    })
  })
}
