import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import {
  NotFound, addIdentityProvider, systemClock, toPublicProvider, updateIdentityProvider,
  type IdentityProviderChanges,
} from '../../core/index.js'
import { recordAudit } from '../audit.js'
import type { AppDeps } from '../deps.js'
import { ErrorBody, HTTPValidationError } from '../schemas.js'
import { adminActor, noStore } from './admin-users.js'

const Kind = Type.Union([Type.Literal('oidc'), Type.Literal('github')], { description: 'oidc: any OpenID Provider (discovery); github: GitHub\'s OAuth apps.' })
const Preset = Type.Union([Type.Literal('google'), Type.Literal('github')], { description: 'Fills kind, issuer, scopes and label.' })
const Scopes = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20, description: 'Scopes to ask the provider for.' })

const AdminProvider = Type.Object({
  id: Type.String(),
  kind: Kind,
  label: Type.String(),
  issuer: Type.String(),
  client_id: Type.String(),
  client_secret_set: Type.Boolean({ description: 'The secret itself is never shown again.' }),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
}, { title: 'AdminProvider' })

const AdminProviderCreate = Type.Object({
  id: Type.String({ maxLength: 32, description: 'Its name in URLs: /signin/callback/{id} is the redirect URI to register upstream.' }),
  preset: Type.Optional(Preset),
  kind: Type.Optional(Kind),
  issuer: Type.Optional(Type.String({ maxLength: 500 })),
  client_id: Type.String({ maxLength: 256 }),
  client_secret: Type.String({ format: 'password', maxLength: 1024 }),
  label: Type.Optional(Type.String({ maxLength: 60 })),
  scopes: Type.Optional(Scopes),
}, { title: 'AdminProviderCreate' })

const AdminProviderUpdate = Type.Object({
  issuer: Type.Optional(Type.String({ maxLength: 500 })),
  client_id: Type.Optional(Type.String({ maxLength: 256 })),
  client_secret: Type.Optional(Type.String({ format: 'password', maxLength: 1024 })),
  label: Type.Optional(Type.String({ maxLength: 60 })),
  scopes: Type.Optional(Scopes),
}, { title: 'AdminProviderUpdate' })

const ProviderIdParams = Type.Object({ id: Type.String({ maxLength: 64 }) })

function changesOf(body: Static<typeof AdminProviderUpdate>): IdentityProviderChanges {
  return {
    ...(body.issuer === undefined ? {} : { issuer: body.issuer }),
    ...(body.client_id === undefined ? {} : { clientId: body.client_id }),
    ...(body.client_secret === undefined ? {} : { clientSecret: body.client_secret }),
    ...(body.label === undefined ? {} : { label: body.label }),
    ...(body.scopes === undefined ? {} : { scopes: body.scopes }),
  }
}

/** /admin/providers: the upstream identity providers, as `tessera providers` manages them. Secrets go in, never out. */
export const adminProviderRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { identityProviders, audit } = deps.store
  const clock = deps.clock ?? systemClock
  const providers = { identityProviders, clock }

  app.addHook('onRequest', noStore)

  app.get('/admin/providers', {
    schema: { summary: 'List Identity Providers', response: { 200: Type.Object({ providers: Type.Array(AdminProvider) }) } },
    config: { auth: { scopes: ['users:read'] } },
  }, async () => ({ providers: (await identityProviders.list()).map(toPublicProvider) }))

  app.post('/admin/providers', {
    schema: {
      summary: 'Add Identity Provider',
      description: 'An upstream provider for the sign-in page ("Sign in with …"): a preset (google, github) or any OpenID Provider by issuer.',
      body: AdminProviderCreate, response: { 201: AdminProvider, 409: ErrorBody, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request, reply) => {
    const { id, preset, kind, issuer, client_id: clientId, client_secret: clientSecret, label, scopes } = request.body
    const provider = await addIdentityProvider({ id, preset, kind, issuer, clientId, clientSecret, label, scopes }, providers)
    await recordAudit(audit, request, 'admin.provider_added', { ...adminActor(request), details: { provider: provider.id, kind: provider.kind, issuer: provider.issuer } }, clock.now())
    return reply.code(201).send(toPublicProvider(provider))
  })

  app.patch('/admin/providers/:id', {
    schema: {
      summary: 'Update Identity Provider', description: 'Changes only the fields given; a new client_secret replaces the old one at once.',
      params: ProviderIdParams, body: AdminProviderUpdate, response: { 200: AdminProvider, 404: ErrorBody, 422: HTTPValidationError },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request) => {
    const changes = changesOf(request.body)
    const provider = await updateIdentityProvider(request.params.id, changes, providers)
    await recordAudit(audit, request, 'admin.provider_updated', { ...adminActor(request), details: { provider: provider.id, changed: Object.keys(changes) } }, clock.now())
    return toPublicProvider(provider)
  })

  app.delete('/admin/providers/:id', {
    schema: {
      summary: 'Remove Identity Provider', description: 'Its button goes; accounts linked through it keep their other ways to sign in.',
      params: ProviderIdParams, response: { 204: Type.Null({ description: 'Removed' }), 404: ErrorBody },
    },
    config: { auth: { scopes: ['users:write'] } },
  }, async (request, reply) => {
    if (!(await identityProviders.delete(request.params.id))) throw new NotFound('Provider not found')
    await recordAudit(audit, request, 'admin.provider_removed', { ...adminActor(request), details: { provider: request.params.id } }, clock.now())
    return reply.code(204).send(null)
  })
}
