import { sql } from 'kysely'
import { systemClock, type Clock } from '../core/clock.js'
import type { Store } from '../core/ports.js'
import { createAuditStore } from './audit-store.js'
import { createAuthorizationCodeStore } from './authorization-code-store.js'
import type { Backend } from './backend.js'
import { createBrowserSessionStore } from './browser-session-store.js'
import { createClientStore } from './client-store.js'
import { createOneTimeTokenStore } from './one-time-token-store.js'
import { createRecoveryCodeStore } from './recovery-code-store.js'
import { createTotpStore } from './totp-store.js'
import { createFederatedIdentityStore } from './federated-identity-store.js'
import { createFederationStateStore } from './federation-state-store.js'
import { createIdentityProviderStore } from './identity-provider-store.js'
import { createConsentStore } from './consent-store.js'
import type { PostgresOptions } from './postgres.js'
import { createItemStore } from './item-store.js'
import { applyMigrations, assertMigrated } from './migrate.js'
import { createRefreshTokenStore } from './refresh-token-store.js'
import { createRevokedTokenStore } from './revoked-token-store.js'
import { createSettingsStore } from './settings-store.js'
import { createSigningKeyStore } from './signing-key-store.js'
import { createUserStore } from './user-store.js'

/**
 * One entry per URL scheme. Imported lazily so a deployment loads only its own driver (no
 * native SQLite module under PostgreSQL). A new backend is one file plus one line here.
 */
const BACKENDS: Record<string, (url: string, options: OpenStoreOptions) => Promise<Backend>> = {
  sqlite: async (url) => (await import('./sqlite.js')).openSqliteBackend(url),
  postgres: async (url, options) => (await import('./postgres.js')).openPostgresBackend(url, options.postgres),
  postgresql: async (url, options) => (await import('./postgres.js')).openPostgresBackend(url, options.postgres),
}

export interface OpenStoreOptions {
  /** Apply pending migrations first (default). When false, a database behind the code is refused. */
  migrate?: boolean
  /** Source of created_at / updated_at. */
  clock?: Clock
  /** Pool size and timeouts for `postgres://` URLs. */
  postgres?: PostgresOptions
}

function openBackend(url: string, options: OpenStoreOptions = {}): Promise<Backend> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  const open = scheme === undefined ? undefined : BACKENDS[scheme]
  // Only the scheme is echoed: a database URL may carry a password.
  if (open === undefined) {
    const shown = scheme === undefined ? 'no scheme' : `scheme "${scheme}:"`
    throw new Error(`TESSERA_DATABASE_URL has unsupported ${shown}: expected sqlite:<path>, sqlite::memory: or postgres://…`)
  }
  return open(url, options)
}

async function closeOnFailure<T>(backend: Backend, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    await backend.close()
    throw error
  }
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const { migrate = true, clock = systemClock } = options
  const backend = await openBackend(url, options)
  await closeOnFailure(backend, async () => {
    if (migrate) await applyMigrations(backend)
    else await assertMigrated(backend)
  })

  let closing: Promise<void> | undefined
  return {
    users: createUserStore(backend, clock),
    items: createItemStore(backend),
    settings: createSettingsStore(backend),
    refreshTokens: createRefreshTokenStore(backend),
    revokedTokens: createRevokedTokenStore(backend),
    clients: createClientStore(backend, clock),
    audit: createAuditStore(backend),
    signingKeys: createSigningKeyStore(backend),
    browserSessions: createBrowserSessionStore(backend),
    authorizationCodes: createAuthorizationCodeStore(backend),
    consents: createConsentStore(backend),
    oneTimeTokens: createOneTimeTokenStore(backend),
    totp: createTotpStore(backend),
    recoveryCodes: createRecoveryCodeStore(backend),
    identityProviders: createIdentityProviderStore(backend),
    federatedIdentities: createFederatedIdentityStore(backend),
    federationStates: createFederationStateStore(backend),
    async ping() {
      await sql`select 1`.execute(backend.db)
    },
    // Idempotent: shutdown paths (SIGTERM drain, test cleanup) may both close.
    close: () => (closing ??= backend.close()),
  }
}

/** `tessera migrate`: applies pending migrations and names them (empty when already current). */
export async function migrateToLatest(url: string, options: OpenStoreOptions = {}): Promise<{ applied: string[] }> {
  const backend = await openBackend(url, options)
  try {
    return { applied: await applyMigrations(backend) }
  } finally {
    await backend.close()
  }
}
