import type { Selectable } from 'kysely'
import { Conflict } from '../core/errors.js'
import type { ClientChanges, ClientRecord, ClientStore, ClientType, SigningAlgorithm } from '../core/ports.js'
import { formatScope, parseScope } from '../core/scopes.js'
import { DEFAULT_ID_TOKEN_ALGORITHM, isSigningAlgorithm } from '../core/signing-keys.js'
import type { Backend } from './backend.js'
import type { ClientsTable } from './schema.js'
import { formatUriList, parseUriList } from './uri-list.js'

const CLIENT_COLUMNS = [
  'id', 'name', 'type', 'secret_hash', 'grant_types', 'scopes', 'created_at',
  'redirect_uris', 'post_logout_redirect_uris', 'first_party', 'id_token_signed_response_alg', 'resources',
] as const satisfies readonly (keyof ClientsTable)[]

type ClientRow = Selectable<ClientsTable>

function toClientRecord(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    // Only the two values create() writes; anything else would be a hand-edited row, and a
    // client of unknown kind is safest treated as one that cannot keep a secret.
    type: (row.type === 'confidential' ? 'confidential' : 'public') satisfies ClientType,
    secretHash: row.secret_hash,
    grantTypes: parseScope(row.grant_types),
    scopes: parseScope(row.scopes),
    createdAt: Number(row.created_at),
    redirectUris: parseUriList(row.redirect_uris),
    postLogoutRedirectUris: parseUriList(row.post_logout_redirect_uris),
    firstParty: row.first_party !== 0,
    // OIDC's default for an algorithm this version does not sign with (a hand-edited row).
    idTokenSignedResponseAlg: (isSigningAlgorithm(row.id_token_signed_response_alg) ? row.id_token_signed_response_alg : DEFAULT_ID_TOKEN_ALGORITHM) satisfies SigningAlgorithm,
    resources: parseUriList(row.resources),
  }
}

/** The columns `changes` names, and only those. */
function changedColumns(changes: ClientChanges) {
  return {
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.grantTypes === undefined ? {} : { grant_types: formatScope([...new Set(changes.grantTypes)]) }),
    ...(changes.scopes === undefined ? {} : { scopes: formatScope([...new Set(changes.scopes)]) }),
    ...(changes.secretHash === undefined ? {} : { secret_hash: changes.secretHash }),
    ...(changes.redirectUris === undefined ? {} : { redirect_uris: formatUriList(changes.redirectUris) }),
    ...(changes.postLogoutRedirectUris === undefined ? {} : { post_logout_redirect_uris: formatUriList(changes.postLogoutRedirectUris) }),
    ...(changes.firstParty === undefined ? {} : { first_party: changes.firstParty ? 1 : 0 }),
    ...(changes.idTokenSignedResponseAlg === undefined ? {} : { id_token_signed_response_alg: changes.idTokenSignedResponseAlg }),
    ...(changes.resources === undefined ? {} : { resources: formatUriList(changes.resources) }),
  }
}

export function createClientStore(backend: Backend, clock: { now(): number }): ClientStore {
  const { db } = backend

  async function findById(id: string): Promise<ClientRecord | null> {
    if (backend.representable?.(id) === false) return null // no stored id can hold it
    const row = await db.selectFrom('clients').select(CLIENT_COLUMNS).where('id', '=', id).executeTakeFirst()
    return row === undefined ? null : toClientRecord(row)
  }

  return {
    findById,

    async create(client) {
      try {
        const row = await db
          .insertInto('clients')
          .values({
            id: client.id,
            name: client.name,
            type: client.type,
            secret_hash: client.secretHash,
            grant_types: formatScope([...new Set(client.grantTypes)]),
            scopes: formatScope([...new Set(client.scopes)]),
            created_at: clock.now(),
            redirect_uris: formatUriList(client.redirectUris ?? []),
            post_logout_redirect_uris: formatUriList(client.postLogoutRedirectUris ?? []),
            first_party: client.firstParty === true ? 1 : 0,
            id_token_signed_response_alg: client.idTokenSignedResponseAlg ?? DEFAULT_ID_TOKEN_ALGORITHM,
            resources: formatUriList(client.resources ?? []),
          })
          .returning(CLIENT_COLUMNS)
          .executeTakeFirstOrThrow()
        return toClientRecord(row)
      } catch (error) {
        if (backend.constraintViolation(error) === 'unique') throw new Conflict('Client already exists')
        throw error
      }
    },

    async list() {
      const rows = await db.selectFrom('clients').select(CLIENT_COLUMNS).orderBy('created_at').orderBy('id').execute()
      return rows.map(toClientRecord)
    },

    async update(id, changes) {
      if (backend.representable?.(id) === false) return null
      const columns = changedColumns(changes)
      // Nothing to change still answers whether the client exists.
      if (Object.keys(columns).length === 0) return findById(id)
      const row = await db.updateTable('clients').set(columns).where('id', '=', id).returning(CLIENT_COLUMNS).executeTakeFirst()
      return row === undefined ? null : toClientRecord(row)
    },

    async delete(id) {
      if (backend.representable?.(id) === false) return false
      // Its refresh tokens, codes and consents go with it (ON DELETE CASCADE on their client_id).
      const result = await db.deleteFrom('clients').where('id', '=', id).executeTakeFirst()
      return result.numDeletedRows > 0n
    },
  }
}
