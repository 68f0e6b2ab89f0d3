import { randomUUID } from 'node:crypto'
import type { NewRefreshToken, RefreshTokenRecord, Scope, UserRecord } from '../../src/core/index.js'
import { T0, type TestServer } from './test-server.js'

/** An administrator (may hold both admin scopes) and an auditor (read only), beside the test server's users. */
export interface Admins { root: UserRecord; auditor: UserRecord }

export async function createAdmins(server: TestServer): Promise<Admins> {
  const passwordHash = server.users.johndoe.passwordHash // the server's one hash: no new hashing
  return {
    root: await server.store.users.create({ username: 'root', passwordHash, fullName: 'Root Admin', scopes: ['me', 'items', 'users:read', 'users:write'] }),
    auditor: await server.store.users.create({ username: 'auditor', passwordHash, scopes: ['me', 'users:read'] }),
  }
}

export const ADMIN_SCOPES: readonly Scope[] = ['users:read', 'users:write']

export const JSON_TYPE = 'application/json; charset=utf-8'

/** A live refresh token stored for `user`, as SESSIONS' grant would leave it (its hash only). */
export async function storeRefreshToken(server: TestServer, user: UserRecord): Promise<RefreshTokenRecord> {
  const token: NewRefreshToken = {
    id: randomUUID(), familyId: randomUUID(), tokenHash: randomUUID().replaceAll('-', '').padEnd(64, '0'), userId: user.id,
    clientId: null, scopes: ['me'], createdAt: T0, expiresAt: T0 + 90 * 86_400_000, idleExpiresAt: T0 + 14 * 86_400_000,
  }
  return server.store.refreshTokens.create(token)
}

/** The admin view the API answers with, from the stored record. */
export function adminView(user: UserRecord) {
  return {
    id: user.id, username: user.username, email: user.email, email_verified: user.emailVerified, full_name: user.fullName, disabled: user.disabled,
    scopes: user.scopes, created_at: user.createdAt.toISOString(), updated_at: user.updatedAt.toISOString(),
  }
}

export function insufficientScope(scope: string): string {
  return `Bearer error="insufficient_scope", scope="${scope}"`
}
