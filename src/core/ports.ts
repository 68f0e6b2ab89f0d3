import type { ItemRecord, NewItem, NewUser, UserRecord } from './user.js'

/**
 * The storage ports core declares and `src/storage/` implements, once per backend. Every backend
 * passes the same contract suite (test/storage/contract.ts). Not found is `null`, not an error.
 */
export interface UserStore {
  findById(id: string): Promise<UserRecord | null>
  /** Looks up by the normalised username (see normalizeUsername). */
  findByUsername(username: string): Promise<UserRecord | null>
  /** Throws `Conflict('Username already registered')` when the normalised name is taken. */
  create(user: NewUser): Promise<UserRecord>
  list(): Promise<UserRecord[]>
  updatePasswordHash(id: string, passwordHash: string): Promise<boolean>
  setDisabled(id: string, disabled: boolean): Promise<boolean>
  setTokensNotBefore(id: string, epochSeconds: number): Promise<boolean>
  /** Deletes the user and their items; false when there was no such user. */
  delete(id: string): Promise<boolean>
}

export interface ItemStore {
  listByOwner(ownerId: string): Promise<ItemRecord[]>
  /**
   * Throws `Conflict('Item already exists')` when the owner already has that item_id, and
   * `NotFound('User not found')` when the owner was deleted meanwhile.
   */
  create(ownerId: string, item: NewItem): Promise<ItemRecord>
}

/** Small server-wide values that must survive a restart (the generated signing secret). */
export interface SettingsStore {
  get(key: string): Promise<string | null>
  /** Stores `value` unless the key exists; returns whichever value is stored afterwards. */
  getOrInsert(key: string, value: string): Promise<string>
}

export interface Store {
  users: UserStore
  items: ItemStore
  settings: SettingsStore
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>
  close(): Promise<void>
}
