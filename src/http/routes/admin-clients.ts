import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  NotFound, registerClient, rotateClientSecret, systemClock, updateClient, type AuditEvent, type AuditEventName, type ClientRecord, type ClientUpdate,
} from '../../core/index.js'
import { AdminClient, AdminClientCreate, AdminClientUpdate, ClientIdParams, ClientList, ClientWithSecret } from '../admin-schemas.js'
import { recordAudit } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { ErrorBody, HTTPValidationError } from '../schemas.js'
import { adminActor, noStore } from './admin-users.js'

export function toAdminClient(client: ClientRecord) {
  return {
    client_id: client.id, name: client.name, type: client.type, grant_types: client.grantTypes, scopes: client.scopes,
    redirect_uris: client.redirectUris, post_logout_redirect_uris: client.postLogoutRedirectUris, first_party: client.firstParty,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg, resources: client.resources,
    created_at: new Date(client.createdAt).toISOString(),
  }
}

/** The API's snake_case fields → core's; absent stays absent (on PATCH: unchanged). */
function clientUpdateOf(body: AdminClientUpdate): ClientUpdate {
  const given = <T>(value: T | undefined) => value !== undefined
  return {
    ...(given(body.name) ? { name: body.name } : {}),
    ...(given(body.grant_types) ? { grantTypes: body.grant_types } : {}),
    ...(given(body.scopes) ? { scopes: body.scopes } : {}),
    ...(given(body.redirect_uris) ? { redirectUris: body.redirect_uris } : {}),
    ...(given(body.post_logout_redirect_uris) ? { postLogoutRedirectUris: body.post_logout_redirect_uris } : {}),
    ...(given(body.first_party) ? { firstParty: body.first_party } : {}),
    ...(given(body.id_token_signed_response_alg) ? { idTokenSignedResponseAlg: body.id_token_signed_response_alg } : {}),
    ...(given(body.resources) ? { resources: body.resources } : {}),
  }
}

/** RFC 6749 §5.1's rule for answers carrying credentials: never cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** /admin/clients: list, register (the secret shown once), change, remove, rotate the secret. */
export const adminClientRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { clients, audit } = deps.store
  const clock = deps.clock ?? systemClock
  // The audit entry names the client and the facts, never the secret nor its hash.
  const record = (request: FastifyRequest, event: AuditEventName, client: ClientRecord, details: AuditEvent['details'] = {}) =>
    recordAudit(audit, request, event, { ...adminActor(request), clientId: client.id, details: { name: client.name, ...details } }, clock.now())

  app.addHook('onRequest', noStore)

  app.get('/admin/clients', {
    schema: { summary: 'List Clients', response: { 200: ClientList } },
    config: { auth: { scopes: ['users:read'] } },
  }, async () => ({ clients: (await clients.list()).map(toAdminClient) }))

  app.post('/admin/clients', {
    schema: {
      summary: 'Create Client', description: 'Registers an OAuth client. A confidential client\'s secret is in this answer and nowhere else.',
      body: AdminClientCreate, response: { 201: ClientWithSecret, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request, reply) => {
    const { name, type } = request.body
    const { client, secret } = await registerClient({ ...clientUpdateOf(request.body), name, ...(type === undefined ? {} : { type }) }, clients)
    await record(request, 'admin.client_created', client, {
      type: client.type, grant_types: client.grantTypes, scopes: client.scopes, redirect_uris: client.redirectUris, first_party: client.firstParty,
    })
    return reply.code(201).headers(NO_STORE).send({ ...toAdminClient(client), client_secret: secret })
  })

  app.patch('/admin/clients/:id', {
    schema: {
      summary: 'Update Client',
      description: 'Changes only the fields given (a list replaces the list), checked with the registration rules. Never the type or the secret.',
      params: ClientIdParams, body: AdminClientUpdate, response: { 200: AdminClient, 404: ErrorBody, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request) => {
    const { client, changed } = await updateClient(request.params.id, clientUpdateOf(request.body), clients)
    if (changed.length > 0) await record(request, 'admin.client_updated', client, { changed })
    return toAdminClient(client)
  })

  app.delete('/admin/clients/:id', {
    schema: {
      summary: 'Delete Client', description: 'Removes the client; refresh tokens issued to it go with it.',
      params: ClientIdParams, response: { 204: Type.Null({ description: 'Deleted' }), 404: ErrorBody, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request, reply) => {
    const client = await clients.findById(request.params.id)
    if (client === null || !(await clients.delete(client.id))) throw new NotFound('Client not found')
    await record(request, 'admin.client_deleted', client)
    return reply.code(204).send(null)
  })

  app.post('/admin/clients/:id/secret', {
    schema: {
      summary: 'Rotate Client Secret', description: 'A new secret, in this answer only; the old one stops working at once.',
      params: ClientIdParams, response: { 200: ClientWithSecret, 404: ErrorBody, 409: ErrorBody, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request, reply) => {
    const { client, secret } = await rotateClientSecret(request.params.id, clients)
    await record(request, 'admin.client_secret_rotated', client)
    return reply.headers(NO_STORE).send({ ...toAdminClient(client), client_secret: secret })
  })
}
