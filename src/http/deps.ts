import type { Config } from '../config.js'
import type { AccessTokens, PasswordHasher, Store } from '../core/index.js'

/** What Tessera's routes are built from: passed in by buildApp, never looked up. */
export interface AppDeps {
  config: Config
  store: Store
  tokens: AccessTokens
  hasher: PasswordHasher
}
