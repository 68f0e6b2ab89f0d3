import { describe, expect, it } from 'vitest'
import { Conflict } from '../../src/core/errors.js'
import { createPasswordHasher } from '../../src/core/password.js'
import { seedDemo } from '../../src/core/demo.js'
import { CountingAdmission } from './counting-admission.js'
import { inMemoryItems, inMemoryUsers } from './in-memory-stores.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

function setup() {
  const admission = new CountingAdmission({ concurrency: 2, queueLimit: 8 })
  const hasher = createPasswordHasher({ admission, params: CHEAP })
  return { admission, hasher, users: inMemoryUsers(), items: inMemoryItems() }
}

describe('seedDemo', () => {
  it('creates the tutorial\'s users with argon2id hashes, and johndoe\'s item', async () => {
    const deps = setup()
    await seedDemo(deps)
    const johndoe = await deps.users.findByUsername('johndoe')
    const alice = await deps.users.findByUsername('alice')
    expect(johndoe).toMatchObject({ username: 'johndoe', fullName: 'John Doe', email: 'johndoe@example.com', disabled: false, scopes: ['me', 'items'] })
    expect(alice).toMatchObject({ username: 'alice', fullName: 'Alice Wonderson', email: 'alice@example.com', disabled: true, scopes: ['me', 'items'] })
    await expect(deps.hasher.verify('secret', johndoe?.passwordHash as string)).resolves.toEqual({ valid: true, needsRehash: false })
    await expect(deps.hasher.verify('secret2', alice?.passwordHash as string)).resolves.toEqual({ valid: true, needsRehash: false })
    expect(deps.items.records.map((i) => ({ owner: i.ownerId, itemId: i.itemId }))).toEqual([{ owner: johndoe?.id, itemId: 'Foo' }])
  })

  it('changes nothing, and hashes nothing, when run again', async () => {
    const deps = setup()
    await seedDemo(deps)
    const users = structuredClone([...deps.users.records.values()])
    const items = structuredClone(deps.items.records)
    const tasks = deps.admission.tasks
    await seedDemo(deps)
    expect([...deps.users.records.values()]).toEqual(users)
    expect(deps.items.records).toEqual(items)
    expect(deps.admission.tasks).toBe(tasks)
  })

  it('leaves an existing demo user exactly as it is (a changed password stays changed)', async () => {
    const deps = setup()
    await seedDemo(deps)
    const johndoe = await deps.users.findByUsername('johndoe')
    await deps.users.updatePasswordHash(johndoe?.id as string, 'changed')
    await deps.items.create(johndoe?.id as string, { itemId: 'Bar' })
    await seedDemo(deps)
    expect((await deps.users.findByUsername('johndoe'))?.passwordHash).toBe('changed')
    expect(deps.items.records.map((i) => i.itemId)).toEqual(['Foo', 'Bar'])
  })

  it('creates only the missing demo user', async () => {
    const deps = setup()
    await deps.users.create({ username: 'alice', passwordHash: 'kept' })
    await seedDemo(deps)
    expect((await deps.users.findByUsername('alice'))?.passwordHash).toBe('kept')
    expect(await deps.users.findByUsername('johndoe')).not.toBeNull()
  })

  it('accepts losing a race with another instance seeding at the same time', async () => {
    const deps = setup()
    const users = { ...deps.users, create: async () => { throw new Conflict('Username already registered') } }
    await expect(seedDemo({ ...deps, users })).resolves.toBeUndefined()
    expect(deps.items.records).toEqual([])
  })
})
