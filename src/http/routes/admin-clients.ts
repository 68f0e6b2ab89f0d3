import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import {
  NotFound, registerClient, rotateClientSecret, systemClock, type AuditEventName, type ClientRecord,
} from '../../core/index.js'
import { AdminClientCreate, ClientIdParams, ClientList, ClientWithSecret } from '../admin-schemas.js'
import { recordAudit } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { ErrorBody, HTTPValidationError } from '../schemas.js'
import { adminActor, noStore } from './admin-users.js'

export function toAdminClient(client: ClientRecord) {
  return {
    client_id: client.id, name: client.name, type: client.type, grant_types: client.grantTypes, scopes: client.scopes,
    created_at: new Date(client.createdAt).toISOString(),
  }
}

/** RFC 6749 §5.1's rule for answers carrying credentials: never cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const

/** /admin/clients: list, register (the secret shown once), remove, rotate the secret. */
export const adminClientRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { clients, audit } = deps.store
  const clock = deps.clock ?? systemClock
  // The audit entry names the client and the facts, never the secret nor its hash.
  const record = (request: FastifyRequest, event: AuditEventName, client: ClientRecord, details: Record<string, string | string[]> = {}) =>
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
    const { name, type, grant_types: grantTypes, scopes } = request.body
    const { client, secret } = await registerClient({
      name, ...(type === undefined ? {} : { type }), ...(grantTypes === undefined ? {} : { grantTypes }), ...(scopes === undefined ? {} : { scopes }),
    }, clients)
    await record(request, 'admin.client_created', client, { type: client.type, grant_types: client.grantTypes, scopes: client.scopes })
    return reply.code(201).headers(NO_STORE).send({ ...toAdminClient(client), client_secret: secret })
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
