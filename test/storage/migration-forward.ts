import { randomUUID } from 'node:crypto'
import { Migrator, sql } from 'kysely'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildKeySet, generateSigningKey } from '../../src/core/signing-keys.js'
import { hashRefreshToken } from '../../src/core/refresh-token.js'
import type { Backend } from '../../src/storage/backend.js'
import { applyMigrations } from '../../src/storage/migrate.js'
import { migrationProvider } from '../../src/storage/migrations/index.js'
import { openStore } from '../../src/storage/open-store.js'

/** A database no migration has touched yet, and a way to open its backend. */
export interface EmptyDatabase {
  url: string
  openBackend(): Promise<Backend>
  cleanup(): Promise<void>
}

const T = Date.UTC(2025, 5, 1)
const PREVIOUS_RELEASE = '0004_audit'

function migratorFor(backend: Backend): Migrator {
  return new Migrator({ db: backend.db, provider: migrationProvider(backend) })
}

async function migrateTo(backend: Backend, name: string): Promise<void> {
  const { error } = await migratorFor(backend).migrateTo(name)
  if (error !== undefined) throw error
}

/**
 * An operator upgrading: a database the previous release migrated (0001–0004) and filled, then
 * this release's migrations. Its rows must read as they meant — clients without redirect URIs,
 * password-grant refresh families, access-token keys — and the new rules must hold over them.
 */
export function describeMigrationForward(name: string, makeDatabase: () => Promise<EmptyDatabase>): void {
  describe(`Upgrade from the previous release: ${name}`, () => {
    let database: EmptyDatabase
    beforeEach(async () => { database = await makeDatabase() })
    afterEach(async () => { await database.cleanup() })

    /** What the previous release wrote, in its own columns. */
    async function fillAsPreviousRelease() {
      const backend = await database.openBackend()
      const userId = randomUUID()
      const accessKey = generateSigningKey('EdDSA', { status: 'active', createdAt: T })
      const { purpose: _, ...storedKey } = accessKey
      const refresh = ['live-refresh-token', 'rotated-refresh-token']
      try {
        await migrateTo(backend, PREVIOUS_RELEASE)
        const { db } = backend
        await sql`insert into users (id, username, username_normalized, password_hash, disabled, scopes, created_at, updated_at)
          values (${userId}, 'JohnDoe', 'johndoe', 'hash', 0, 'me items', '2025-06-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z')`.execute(db)
        await sql`insert into clients (id, name, type, secret_hash, grant_types, scopes, created_at)
          values ('svc', 'Service', 'confidential', ${'a'.repeat(64)}, 'client_credentials refresh_token', 'me items', ${T})`.execute(db)
        await sql`insert into refresh_tokens (id, family_id, token_hash, user_id, client_id, scopes, created_at, expires_at, idle_expires_at, rotated_at, revoked_at)
          values ('r1', 'f1', ${hashRefreshToken(refresh[1]!)}, ${userId}, null, 'me', ${T}, ${T + 90 * 86_400_000}, ${T + 14 * 86_400_000}, ${T + 1}, null),
                 ('r2', 'f1', ${hashRefreshToken(refresh[0]!)}, ${userId}, 'svc', 'me', ${T + 1}, ${T + 90 * 86_400_000}, ${T + 14 * 86_400_000}, null, null)`.execute(db)
        await sql`insert into signing_keys (kid, algorithm, private_key_pem, public_jwk, status, created_at)
          values (${storedKey.kid}, ${storedKey.algorithm}, ${storedKey.privateKeyPem}, ${JSON.stringify(storedKey.publicJwk)}, 'active', ${T})`.execute(db)
        expect(await applyMigrations(backend)).toEqual(['0005_sign_in', '0006_accounts', '0007_federation'])
      } finally {
        await backend.close()
      }
      return { userId, accessKey, refresh }
    }

    it('keeps every row, reading the new fields as their defaults', async () => {
      const { userId, accessKey, refresh } = await fillAsPreviousRelease()
      const store = await openStore(database.url, { migrate: false })          // nothing pending
      try {
        // 0006: an address the previous release stored is not verified until its owner proves it.
        expect(await store.users.findById(userId)).toMatchObject({ username: 'JohnDoe', email: null, emailVerified: false })
        expect(await store.totp.find(userId)).toBeNull()
        expect(await store.recoveryCodes.countUnused(userId)).toBe(0)
        expect(await store.clients.findById('svc')).toEqual({
          id: 'svc', name: 'Service', type: 'confidential', secretHash: 'a'.repeat(64), grantTypes: ['client_credentials', 'refresh_token'],
          scopes: ['me', 'items'], createdAt: T,
          redirectUris: [], postLogoutRedirectUris: [], firstParty: false, idTokenSignedResponseAlg: 'RS256', resources: [],
        })
        const oidc = { authTime: null, audience: [], browserSessionId: null }
        expect(await store.refreshTokens.findByHash(hashRefreshToken(refresh[0]!))).toMatchObject({ id: 'r2', clientId: 'svc', rotatedAt: null, ...oidc })
        expect(await store.refreshTokens.findByHash(hashRefreshToken(refresh[1]!))).toMatchObject({ id: 'r1', rotatedAt: T + 1, ...oidc })
        expect(await store.signingKeys.list()).toEqual([accessKey])          // purpose: access_token
        expect(buildKeySet(await store.signingKeys.list()).active?.kid).toBe(accessKey.kid)
      } finally {
        await store.close()
      }
    })

    it('then follows the new rules: id_token keys beside the access key, code-flow fields, the new tables', async () => {
      const { userId, accessKey, refresh } = await fillAsPreviousRelease()
      const store = await openStore(database.url)
      try {
        const idKey = generateSigningKey('ES256', { status: 'active', createdAt: T + 2, purpose: 'id_token' })
        await store.signingKeys.insert(idKey)
        expect((await store.signingKeys.list()).map((k) => [k.kid, k.purpose, k.status])).toEqual([
          [accessKey.kid, 'access_token', 'active'], [idKey.kid, 'id_token', 'active'],
        ])
        const keys = buildKeySet(await store.signingKeys.list())
        expect(keys.active?.kid).toBe(accessKey.kid)
        expect(keys.idTokenSigners.get('ES256')?.kid).toBe(idKey.kid)
        const nextAccess = generateSigningKey('EdDSA', { status: 'active', createdAt: T + 3 })
        await store.signingKeys.insert(nextAccess)                              // the one-active rule still holds for access keys
        expect((await store.signingKeys.list()).map((k) => k.status)).toEqual(['verifying', 'active', 'active'])

        const old = await store.refreshTokens.findByHash(hashRefreshToken(refresh[0]!))
        const next = {
          id: 'r3', familyId: 'f1', tokenHash: hashRefreshToken('next'), userId, clientId: 'svc', scopes: ['me'], createdAt: T + 5,
          expiresAt: old!.expiresAt, idleExpiresAt: T + 5 + 14 * 86_400_000,
        }
        expect(await store.refreshTokens.rotate(old!.id, T + 5, next)).toMatchObject({ id: 'r3', authTime: null, audience: [] })

        await store.clients.update('svc', { redirectUris: ['https://svc.example/cb'], firstParty: true })
        expect(await store.clients.findById('svc')).toMatchObject({ redirectUris: ['https://svc.example/cb'], firstParty: true, scopes: ['me', 'items'] })
        expect(await store.consents.grant(userId, 'svc', ['openid'], T + 6)).toMatchObject({ scopes: ['openid'] })
        const session = await store.browserSessions.create({
          id: randomUUID(), tokenHash: hashRefreshToken('cookie'), userId, authenticatedAt: T, amr: ['pwd'],
          createdAt: T, lastSeenAt: T, expiresAt: T + 3_600_000, ip: null, userAgent: null,
        })
        expect(await store.browserSessions.listForUser(userId)).toEqual([session])
      } finally {
        await store.close()
      }
    })

    it('can be migrated back to the previous release and forward again, access keys and clients intact', async () => {
      const { accessKey } = await fillAsPreviousRelease()
      let store = await openStore(database.url)
      await store.signingKeys.insert(generateSigningKey('ES256', { status: 'active', createdAt: T + 2, purpose: 'id_token' }))
      await store.close()
      const backend = await database.openBackend()
      try {
        await migrateTo(backend, PREVIOUS_RELEASE)
        expect(await applyMigrations(backend)).toEqual(['0005_sign_in', '0006_accounts', '0007_federation'])
      } finally {
        await backend.close()
      }
      store = await openStore(database.url)
      try {
        // The previous schema could not tell an id_token key from an access key: it went.
        expect(await store.signingKeys.list()).toEqual([accessKey])
        expect(await store.clients.findById('svc')).toMatchObject({ name: 'Service', redirectUris: [] })
      } finally {
        await store.close()
      }
    })
  })
}
