import type { FastifyRequest } from 'fastify'
import {
  InvalidClient, authenticateClient, readClientCredentials, systemClock, type ClientForm, type ClientRecord,
} from '../core/index.js'
import { recordAudit } from './audit.js'
import type { AppDeps } from './deps.js'

const REQUIRED = 'Client authentication required'

export interface ClientRequirement {
  /** The endpoint serves identified clients only (client_credentials, introspection, TESSERA_REQUIRE_CLIENT). */
  required: boolean
  /** ...and only confidential ones, authenticated by their secret (introspection). */
  confidential?: boolean
}

/**
 * The client a request at /token, /revoke or /introspect authenticates as (client_secret_basic,
 * client_secret_post, or a public client's bare client_id), or null when it names none. A
 * failure is answered 401 invalid_client, and audited when credentials were presented: a bare
 * request where a client is required is no attempt on any client, and logging each one would
 * let anyone grow the log for free.
 */
export async function requestClient(
  request: FastifyRequest, form: ClientForm, deps: Pick<AppDeps, 'store' | 'clock'>, options: ClientRequirement,
): Promise<ClientRecord | null> {
  try {
    const client = await authenticateClient(readClientCredentials(request.headers.authorization, form), deps.store.clients)
    if (client === null && options.required) throw new InvalidClient(REQUIRED)
    // A public client only names itself: it has proved nothing, so it cannot use what needs proof.
    if (client !== null && options.confidential === true && client.type !== 'confidential') throw new InvalidClient(undefined, client.id)
    return client
  } catch (err) {
    if (err instanceof InvalidClient && err.detail !== REQUIRED) {
      await recordAudit(deps.store.audit, request, 'client.authentication_failed', {
        clientId: err.clientId, details: { endpoint: request.url.split('?')[0] ?? '', reason: 'invalid' },
      }, (deps.clock ?? systemClock).now())
    }
    throw err
  }
}
