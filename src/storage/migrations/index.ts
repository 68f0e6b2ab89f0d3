import type { Migration, MigrationProvider } from 'kysely'
import type { Backend } from '../backend.js'
import { initialSchema } from './0001-initial.js'
import { sessionsSchema } from './0002-sessions.js'
import { signingKeysSchema } from './0003-signing-keys.js'
import { auditSchema } from './0004-audit.js'
import { signInSchema } from './0005-sign-in.js'
import { accountsSchema } from './0006-accounts.js'
import { federationSchema } from './0007-federation.js'

/**
 * The migrations, listed in code rather than found by scanning a folder, so they run the same
 * from src/ (tsx, Vitest) and dist/. Names sort in the order they apply; never rename one that
 * has shipped, only append.
 */
export function migrationProvider(backend: Pick<Backend, 'identityColumn'>): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_initial': initialSchema(backend),
    '0002_sessions': sessionsSchema(),
    '0003_signing_keys': signingKeysSchema(),
    '0004_audit': auditSchema(backend),
    '0005_sign_in': signInSchema(),
    '0006_accounts': accountsSchema(),
    '0007_federation': federationSchema(),
  }
  return { getMigrations: async () => migrations }
}
