import { Conflict } from './errors.js'
import type { PasswordHasher } from './password.js'
import type { ItemStore, UserStore } from './ports.js'
import { DEFAULT_USER_SCOPES } from './scopes.js'
import type { NewItem, NewUser, UserRecord } from './user.js'

type DemoUser = Omit<NewUser, 'passwordHash'> & { password: string; items: readonly NewItem[] }

/** The FastAPI tutorial's users, so its walk-through works step by step (SPEC.md "Demo mode"). */
const DEMO_USERS: readonly DemoUser[] = [
  { username: 'johndoe', password: 'secret', fullName: 'John Doe', email: 'johndoe@example.com', disabled: false, items: [{ itemId: 'Foo' }] },
  { username: 'alice', password: 'secret2', fullName: 'Alice Wonderson', email: 'alice@example.com', disabled: true, items: [] },
]

/**
 * Creates the demo users (and their items) that are absent. A user who exists is left exactly as
 * they are — a changed password stays changed — so seeding on every start is harmless.
 */
export async function seedDemo(deps: { users: UserStore; items: ItemStore; hasher: PasswordHasher }): Promise<void> {
  for (const { password, items, ...demo } of DEMO_USERS) {
    if (await deps.users.findByUsername(demo.username) !== null) continue
    const passwordHash = await deps.hasher.hash(password)
    const user = await createUnlessTaken(deps.users, { ...demo, passwordHash, scopes: [...DEFAULT_USER_SCOPES] })
    if (user === null) continue
    for (const item of items) await deps.items.create(user.id, item)
  }
}

/** Another instance seeding at the same moment may win the insert; then the user is theirs to seed. */
async function createUnlessTaken(users: UserStore, user: NewUser): Promise<UserRecord | null> {
  try {
    return await users.create(user)
  } catch (err) {
    if (err instanceof Conflict) return null
    throw err
  }
}
