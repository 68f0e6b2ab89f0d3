import type { Selectable } from 'kysely'
import { NotFound } from '../core/errors.js'
import type { AuthorizationCodeRecord, AuthorizationCodeStore } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import type { Backend } from './backend.js'
import type { AuthorizationCodesTable } from './schema.js'
import { formatUriList, parseUriList } from './uri-list.js'

const COLUMNS = [
  'id', 'code_hash', 'client_id', 'user_id', 'redirect_uri', 'scopes', 'code_challenge', 'nonce', 'audience', 'auth_time', 'amr',
  'browser_session_id', 'created_at', 'expires_at', 'consumed_at', 'family_id', 'access_token_jti', 'access_token_expires_at', 'replayed_at',
] as const satisfies readonly (keyof AuthorizationCodesTable)[]

/** Number(): a bigint may arrive as a string from a driver that guards 64-bit precision. */
function epoch(value: number | string | null): number | null {
  return value === null ? null : Number(value)
}

function toRecord(row: Selectable<AuthorizationCodesTable>): AuthorizationCodeRecord {
  return {
    id: row.id,
    codeHash: row.code_hash,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    scopes: parseScope(row.scopes),
    codeChallenge: row.code_challenge,
    nonce: row.nonce,
    audience: parseUriList(row.audience),
    authTime: Number(row.auth_time),
    amr: parseScope(row.amr),
    browserSessionId: row.browser_session_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    consumedAt: epoch(row.consumed_at),
    familyId: row.family_id,
    accessTokenJti: row.access_token_jti,
    accessTokenExpiresAt: epoch(row.access_token_expires_at),
    replayedAt: epoch(row.replayed_at),
  }
}

export function createAuthorizationCodeStore(backend: Backend): AuthorizationCodeStore {
  const { db } = backend

  return {
    async create(code) {
      try {
        const row = await db
          .insertInto('authorization_codes')
          .values({
            id: code.id,
            code_hash: code.codeHash,
            client_id: code.clientId,
            user_id: code.userId,
            redirect_uri: code.redirectUri,
            scopes: formatScope([...new Set(code.scopes)]),
            code_challenge: code.codeChallenge,
            nonce: code.nonce,
            audience: formatUriList(code.audience),
            auth_time: code.authTime,
            amr: formatScope([...new Set(code.amr)]),
            browser_session_id: code.browserSessionId,
            created_at: code.createdAt,
            expires_at: code.expiresAt,
            consumed_at: null,
            family_id: null,
            access_token_jti: null,
            access_token_expires_at: null,
            replayed_at: null,
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow()
        return toRecord(row)
      } catch (error) {
        // The user or the client was deleted while the browser was at /authorize.
        if (backend.constraintViolation(error) === 'foreign_key') throw new NotFound('User or client not found')
        throw error
      }
    },

    async findByHash(codeHash) {
      if (backend.representable?.(codeHash) === false) return null // no stored hash can hold it
      const row = await db.selectFrom('authorization_codes').select(COLUMNS).where('code_hash', '=', codeHash).executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async consume(id, now, exchange) {
      // One conditional update is the arbiter (RFC 6749 §4.1.2, single use): of concurrent
      // exchanges exactly one finds consumed_at still null (a row lock in PostgreSQL, the single
      // writer in SQLite), and what it issues is recorded in the same write, so a replay that
      // follows it at once already knows what to revoke.
      const result = await db
        .updateTable('authorization_codes')
        .set({
          consumed_at: now,
          family_id: exchange.familyId,
          access_token_jti: exchange.accessTokenJti,
          access_token_expires_at: exchange.accessTokenExpiresAt,
        })
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst()
      return result.numUpdatedRows > 0n
    },

    async markReplayed(id, now) {
      // coalesce: the first replay's time stands, and the row comes back in the same statement.
      const row = await db
        .updateTable('authorization_codes')
        .set((eb) => ({ replayed_at: eb.fn.coalesce('replayed_at', eb.val(now)) }))
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirst()
      return row === undefined ? null : toRecord(row)
    },

    async deleteExpired(now) {
      // Every code is past its own (short) expiry first; an exchanged one stays until the access
      // token issued from it has expired too, so that a replay until then can still revoke it.
      const result = await db
        .deleteFrom('authorization_codes')
        .where('expires_at', '<', now)
        .where((eb) => eb.or([eb('access_token_expires_at', 'is', null), eb('access_token_expires_at', '<', now)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    },
  }
}
