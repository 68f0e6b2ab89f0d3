import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Conflict, NotFound, ValidationFailed } from '../../src/core/errors.js'
import type { Store } from '../../src/core/ports.js'
import type { NewUser, UserRecord } from '../../src/core/user.js'
import { describeAuditContract } from './contract-audit.js'
import { describeAuthorizationCodeContract } from './contract-authorization-codes.js'
import { describeBrowserSessionContract } from './contract-browser-sessions.js'
import { describeClientContract } from './contract-clients.js'
import { describeAccountsContract } from './contract-accounts.js'
import { describeFederationContract } from './contract-federation.js'
import { describeConsentContract } from './contract-consents.js'
import { describeSessionsContract } from './contract-sessions.js'
import { describeSigningKeyContract } from './contract-signing-keys.js'
import { describeUserAdminContract } from './contract-user-admin.js'

/**
 * The behaviour every storage backend must show (DESIGN.md §6): run once per backend by its own
 * test file, each test against a fresh, empty, migrated database.
 */
export interface StoreFixture {
  store: Store
  /** Opens another Store on the same database (the test closes the previous one first). */
  reopen(): Promise<Store>
  /** Closes every store this fixture opened and removes the database. */
  cleanup(): Promise<void>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const HASH = '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'

function newUser(username: string, extra: Partial<NewUser> = {}): NewUser {
  return { username, passwordHash: HASH, ...extra }
}

async function expectConflict(promise: Promise<unknown>, detail: string): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable('expected a Conflict'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(Conflict)
  expect((error as Conflict).status).toBe(409)
  expect((error as Conflict).detail).toBe(detail)
}

/** What a backend cannot do, and so is checked differently. */
export interface ContractOptions {
  /** PostgreSQL text cannot hold NUL: such writes must be refused with a 422, not stored. */
  nulInText?: boolean
}

export function describeStoreContract(name: string, makeStore: () => Promise<StoreFixture>, options: ContractOptions = {}): void {
  const { nulInText = true } = options
  /** Hostile text as this backend can hold it: NUL dropped where it cannot be stored. */
  const storable = (text: string) => (nulInText ? text : text.replaceAll('\u0000', ''))
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture
    let store: Store

    beforeEach(async () => {
      fixture = await makeStore()
      store = fixture.store
    })
    afterEach(async () => {
      await fixture.cleanup()
    })

    describe('users', () => {
      it('creates a user with defaults and reads it back by id', async () => {
        const created = await store.users.create(newUser('johndoe'))
        expect(created).toEqual({
          id: expect.stringMatching(UUID),
          username: 'johndoe',
          email: null,
          emailVerified: false,
          fullName: null,
          passwordHash: HASH,
          disabled: false,
          scopes: ['me', 'items'],
          tokensNotBefore: null,
          createdAt: expect.any(Date),
          updatedAt: expect.any(Date),
        })
        expect(Number.isNaN(created.createdAt.getTime())).toBe(false)
        expect(created.updatedAt).toEqual(created.createdAt)
        expect(await store.users.findById(created.id)).toEqual(created)
      })

      it('stores every given field', async () => {
        const created = await store.users.create(
          newUser('alice', { email: 'alice@example.com', fullName: 'Alice Wonderson', disabled: true, scopes: ['me'] }),
        )
        expect(created).toMatchObject({
          username: 'alice',
          email: 'alice@example.com',
          fullName: 'Alice Wonderson',
          disabled: true,
          scopes: ['me'],
        })
        expect(await store.users.findById(created.id)).toEqual(created)
      })

      it('stores an empty scope list as empty', async () => {
        const created = await store.users.create(newUser('noscopes', { scopes: [] }))
        expect(created.scopes).toEqual([])
        expect((await store.users.findById(created.id))?.scopes).toEqual([])
      })

      it('gives each user its own id', async () => {
        const a = await store.users.create(newUser('first'))
        const b = await store.users.create(newUser('second'))
        expect(a.id).not.toBe(b.id)
      })

      it('returns null for an unknown id, including one that is not a UUID', async () => {
        await store.users.create(newUser('johndoe'))
        expect(await store.users.findById('00000000-0000-4000-8000-000000000000')).toBeNull()
        expect(await store.users.findById('johndoe')).toBeNull()
        expect(await store.users.findById('')).toBeNull()
      })

      it('finds a user by its normalised name and returns the name as registered', async () => {
        const created = await store.users.create(newUser('JohnDoe'))
        for (const variant of ['JohnDoe', 'johndoe', 'JOHNDOE', 'ｊｏｈｎｄｏｅ', 'ＪｏｈｎＤｏｅ']) {
          expect(await store.users.findByUsername(variant)).toEqual(created)
        }
        expect(await store.users.findByUsername('johndo')).toBeNull()
        expect(await store.users.findByUsername('')).toBeNull()
      })

      it.each([
        ['the same name', 'johndoe', 'johndoe'],
        ['a case variant', 'JohnDoe', 'johndoe'],
        ['a full-width (NFKC) variant', 'johndoe', 'ｊｏｈｎｄｏｅ'],
        ['a full-width upper-case variant', 'johndoe', 'ＪＯＨＮＤＯＥ'],
      ])('refuses %s of a registered name with Conflict', async (_, first, second) => {
        const original = await store.users.create(newUser(first, { fullName: 'Original' }))
        await expectConflict(store.users.create(newUser(second, { fullName: 'Impostor' })), 'Username already registered')
        expect(await store.users.list()).toEqual([original])
      })

      it('lets exactly one of ten concurrent registrations of one name succeed', async () => {
        const variants = ['johndoe', 'JohnDoe', 'JOHNDOE', 'ｊｏｈｎｄｏｅ', 'johnDOE']
        const attempts = Array.from({ length: 10 }, (_, i) => store.users.create(newUser(variants[i % variants.length]!)))
        const results = await Promise.allSettled(attempts)
        const won = results.filter((r): r is PromiseFulfilledResult<UserRecord> => r.status === 'fulfilled')
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        expect(won).toHaveLength(1)
        expect(lost).toHaveLength(9)
        for (const r of lost) {
          expect(r.reason).toBeInstanceOf(Conflict)
          expect((r.reason as Conflict).detail).toBe('Username already registered')
        }
        expect(await store.users.list()).toEqual([won[0]!.value])
      })

      it('lists users ordered by normalised name, empty at first', async () => {
        expect(await store.users.list()).toEqual([])
        const bob = await store.users.create(newUser('bob'))
        const alice = await store.users.create(newUser('Alice'))
        const carol = await store.users.create(newUser('carol'))
        expect(await store.users.list()).toEqual([alice, bob, carol])
      })

      it('updates the password hash', async () => {
        const user = await store.users.create(newUser('johndoe'))
        const rehashed = '$argon2id$v=19$m=131072,t=4,p=4$bmV3c2FsdA$bmV3aGFzaA'
        expect(await store.users.updatePasswordHash(user.id, rehashed)).toBe(true)
        const after = await store.users.findById(user.id)
        expect(after).toEqual({ ...user, passwordHash: rehashed, updatedAt: expect.any(Date) })
        expect(after!.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime())
        expect(await store.users.updatePasswordHash('00000000-0000-4000-8000-000000000000', rehashed)).toBe(false)
      })

      it('disables and re-enables a user', async () => {
        const user = await store.users.create(newUser('johndoe'))
        expect(await store.users.setDisabled(user.id, true)).toBe(true)
        expect((await store.users.findById(user.id))?.disabled).toBe(true)
        expect((await store.users.findByUsername('johndoe'))?.disabled).toBe(true)
        expect(await store.users.setDisabled(user.id, false)).toBe(true)
        expect((await store.users.findById(user.id))?.disabled).toBe(false)
        expect(await store.users.setDisabled('00000000-0000-4000-8000-000000000000', true)).toBe(false)
      })

      it('round-trips tokensNotBefore, including epochs past 2038', async () => {
        const user = await store.users.create(newUser('johndoe'))
        expect(await store.users.setTokensNotBefore(user.id, 1_700_000_000)).toBe(true)
        expect((await store.users.findById(user.id))?.tokensNotBefore).toBe(1_700_000_000)
        expect(await store.users.setTokensNotBefore(user.id, 4_102_444_800)).toBe(true)
        expect((await store.users.findByUsername('johndoe'))?.tokensNotBefore).toBe(4_102_444_800)
        expect(await store.users.setTokensNotBefore('00000000-0000-4000-8000-000000000000', 1)).toBe(false)
      })

      it('deletes a user with their items, leaving others and freeing the name', async () => {
        const john = await store.users.create(newUser('johndoe'))
        const alice = await store.users.create(newUser('alice'))
        await store.items.create(john.id, { itemId: 'Foo' })
        await store.items.create(john.id, { itemId: 'Bar' })
        const aliceItem = await store.items.create(alice.id, { itemId: 'Foo' })

        expect(await store.users.delete(john.id)).toBe(true)
        expect(await store.users.findById(john.id)).toBeNull()
        expect(await store.users.findByUsername('johndoe')).toBeNull()
        expect(await store.items.listByOwner(john.id)).toEqual([])
        expect(await store.items.listByOwner(alice.id)).toEqual([aliceItem])
        expect(await store.users.delete(john.id)).toBe(false)

        const again = await store.users.create(newUser('JohnDoe'))
        expect(again.id).not.toBe(john.id)
        expect(await store.items.listByOwner(again.id)).toEqual([])
      })

      it('stores hostile strings verbatim: quotes, SQL, NUL bytes, emoji', async () => {
        const username = "Robert'); DROP TABLE users;--"
        const email = storable('a\u0000b@example.com')
        const fullName = storable(`O'Brien "\\" 💥 %_ \u0000 end`)
        const created = await store.users.create(newUser(username, { email, fullName, passwordHash: "$2b$12$' OR '1'='1" }))
        expect(created).toMatchObject({
          username,
          email,
          fullName,
          passwordHash: "$2b$12$' OR '1'='1",
        })
        expect(await store.users.findById(created.id)).toEqual(created)
        expect(await store.users.findByUsername(username)).toEqual(created)
        expect(await store.users.findByUsername("' OR '1'='1")).toBeNull()
        expect(await store.users.findByUsername('%')).toBeNull()
        expect(await store.users.list()).toEqual([created])
      })
    })

    describe('items', () => {
      it('creates items and lists an owner’s items in creation order', async () => {
        const john = await store.users.create(newUser('johndoe'))
        expect(await store.items.listByOwner(john.id)).toEqual([])
        const foo = await store.items.create(john.id, { itemId: 'Foo', title: 'The Foo', description: 'There goes my hero' })
        const bar = await store.items.create(john.id, { itemId: 'Bar' })
        expect(foo).toEqual({ id: expect.any(Number), ownerId: john.id, itemId: 'Foo', title: 'The Foo', description: 'There goes my hero' })
        expect(bar).toEqual({ id: expect.any(Number), ownerId: john.id, itemId: 'Bar', title: null, description: null })
        expect(foo.id).not.toBe(bar.id)
        expect(await store.items.listByOwner(john.id)).toEqual([foo, bar])
      })

      it('never shows one user another’s items', async () => {
        const john = await store.users.create(newUser('johndoe'))
        const alice = await store.users.create(newUser('alice'))
        const johns = await store.items.create(john.id, { itemId: 'Foo' })
        const alices = await store.items.create(alice.id, { itemId: 'Foo' })
        expect(await store.items.listByOwner(john.id)).toEqual([johns])
        expect(await store.items.listByOwner(alice.id)).toEqual([alices])
        expect(await store.items.listByOwner('00000000-0000-4000-8000-000000000000')).toEqual([])
      })

      it('refuses a second item with the same item_id for one owner', async () => {
        const john = await store.users.create(newUser('johndoe'))
        const foo = await store.items.create(john.id, { itemId: 'Foo', title: 'first' })
        await expectConflict(store.items.create(john.id, { itemId: 'Foo', title: 'second' }), 'Item already exists')
        expect(await store.items.listByOwner(john.id)).toEqual([foo])
      })

      it('treats item ids as exact strings (case matters)', async () => {
        const john = await store.users.create(newUser('johndoe'))
        await store.items.create(john.id, { itemId: 'Foo' })
        await store.items.create(john.id, { itemId: 'foo' })
        expect((await store.items.listByOwner(john.id)).map((i) => i.itemId)).toEqual(['Foo', 'foo'])
      })

      it('refuses an item for an owner that does not exist with NotFound', async () => {
        const error = await store.items.create('00000000-0000-4000-8000-000000000000', { itemId: 'Foo' }).then(
          () => expect.unreachable('expected NotFound'),
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(NotFound)
        expect((error as NotFound).detail).toBe('User not found')
      })

      it('stores hostile strings verbatim', async () => {
        const john = await store.users.create(newUser('johndoe'))
        const item = { itemId: "x'); DELETE FROM items;--", title: storable('nul\u0000title'), description: '"; DROP TABLE users; 💣' }
        const created = await store.items.create(john.id, item)
        expect(created).toMatchObject(item)
        expect(await store.items.listByOwner(john.id)).toEqual([created])
        expect(await store.users.findById(john.id)).not.toBeNull()
      })
    })

    describe('settings', () => {
      it('returns null for a missing key', async () => {
        expect(await store.settings.get('hs256_secret_key')).toBeNull()
      })

      it('inserts once, then keeps the first value', async () => {
        expect(await store.settings.getOrInsert('hs256_secret_key', 'first')).toBe('first')
        expect(await store.settings.getOrInsert('hs256_secret_key', 'second')).toBe('first')
        expect(await store.settings.get('hs256_secret_key')).toBe('first')
        expect(await store.settings.get('other')).toBeNull()
      })

      it('agrees on one value when ten callers race to insert', async () => {
        const values = Array.from({ length: 10 }, (_, i) => `candidate-${i}`)
        const results = await Promise.all(values.map((v) => store.settings.getOrInsert('hs256_secret_key', v)))
        expect(new Set(results).size).toBe(1)
        expect(values).toContain(results[0])
        expect(await store.settings.get('hs256_secret_key')).toBe(results[0])
      })

      it('stores keys and values verbatim', async () => {
        const value = storable("v'); DROP TABLE settings;-- \u0000 ✓")
        expect(await store.settings.getOrInsert("k' OR 1=1", value)).toBe(value)
        expect(await store.settings.get("k' OR 1=1")).toBe(value)
        expect(await store.settings.get('k')).toBeNull()
      })
    })

    // Only for backends that cannot hold NUL; SQLite's verbatim round trip is checked above.
    if (!nulInText) describe('text the database cannot hold', () => {
      it('refuses NUL in writes with a 422, storing nothing, and finds no user by such a name', async () => {
        const refused = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('expected a refusal'), (e: unknown) => e)
        const error = await refused(store.users.create(newUser('nul', { fullName: 'a\u0000b' })))
        expect(error).toBeInstanceOf(ValidationFailed)
        expect((error as ValidationFailed).status).toBe(422)
        expect(await store.users.findByUsername('a\u0000b')).toBeNull() // a login with it is just unknown
        expect(await store.users.list()).toEqual([])
      })
    })

    describeUserAdminContract(() => store)
    describeAuditContract(() => store)
    describeSessionsContract(() => store)
    describeClientContract(() => store)
    describeSigningKeyContract(() => store, () => fixture.reopen())
    describeBrowserSessionContract(() => store)
    describeAuthorizationCodeContract(() => store)
    describeConsentContract(() => store)
    describeAccountsContract(() => store)
    describeFederationContract(() => store)

    describe('lifecycle', () => {
      it('answers ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })

      it('keeps every record across close and reopen', async () => {
        const john = await store.users.create(newUser('JohnDoe', { email: 'johndoe@example.com', fullName: 'John Doe' }))
        const alice = await store.users.create(newUser('alice', { disabled: true, scopes: ['me'] }))
        await store.users.setTokensNotBefore(john.id, 1_700_000_123)
        const foo = await store.items.create(john.id, { itemId: 'Foo', title: 'Foo' })
        await store.settings.getOrInsert('hs256_secret_key', 'kept')
        const before = await store.users.list()
        await store.close()

        const reopened = await fixture.reopen()
        expect(await reopened.users.list()).toEqual(before)
        expect((await reopened.users.findById(john.id))?.tokensNotBefore).toBe(1_700_000_123)
        expect((await reopened.users.findByUsername('ALICE'))?.id).toBe(alice.id)
        expect(await reopened.items.listByOwner(john.id)).toEqual([foo])
        expect(await reopened.settings.get('hs256_secret_key')).toBe('kept')
        await expectConflict(reopened.users.create(newUser('johndoe')), 'Username already registered')
      })

      it('closes idempotently', async () => {
        await store.close()
        await expect(store.close()).resolves.toBeUndefined()
      })
    })
  })
}
