import { loadProcessConfig, postgresOptions, type Config } from '../config.js'
import { HashAdmission, createPasswordHasher, type PasswordHasher, type Store, type UserRecord } from '../core/index.js'
import { openStore } from '../storage/index.js'
import { CliError } from './cli-error.js'

export interface CommandContext {
  config: Config
  store: Store
  /** The server's hasher, with the same parameters and limits: a CLI-made hash is a server-made hash. */
  hasher: PasswordHasher
}

/**
 * Runs `work` with the configuration and an open store (migrated to the latest schema, as the
 * server does on start), and always closes the store, whatever `work` does.
 */
export async function withStore<T>(work: (context: CommandContext) => Promise<T>): Promise<T> {
  const config = loadProcessConfig()
  const store = await openStore(config.databaseUrl, { postgres: postgresOptions(config) })
  try {
    const admission = new HashAdmission({ concurrency: config.hashConcurrency, queueLimit: config.hashQueueLimit })
    return await work({ config, store, hasher: createPasswordHasher({ admission }) })
  } finally {
    await store.close()
  }
}

export async function findUserOrFail(store: Store, username: string): Promise<UserRecord> {
  const user = await store.users.findByUsername(username)
  if (user === null) throw new CliError(`no user named ${JSON.stringify(username)}`)
  return user
}
