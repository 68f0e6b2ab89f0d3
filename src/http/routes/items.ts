import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { toPublicItem } from '../../core/index.js'
import { currentUser } from '../../fastify/index.js'
import type { AppDeps } from '../deps.js'
import { HTTPValidationError, ItemList, NewItem, PublicItem } from '../schemas.js'

/**
 * The scopes tutorial's items: the route needs `items` and its current-user dependency needs
 * `me`, which FastAPI lists route-first as `["items", "me"]`. Every query is by the caller's id,
 * so one user never sees another's items.
 */
const ITEMS_AUTH = { scopes: ['items', 'me'] } as const

export const itemRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { items } = deps.store

  app.get('/users/me/items', {
    schema: { summary: 'Read Own Items', response: { 200: ItemList } },
    config: { auth: ITEMS_AUTH },
  }, async (request) => {
    const user = currentUser(request)
    return (await items.listByOwner(user.id)).map((item) => toPublicItem(item, user.username))
  })

  app.post('/users/me/items', {
    schema: { summary: 'Create Own Item', body: NewItem, response: { 201: PublicItem, 422: HTTPValidationError } },
    config: { auth: ITEMS_AUTH },
  }, async (request, reply) => {
    const user = currentUser(request)
    const { item_id, title = null, description = null } = request.body
    const item = await items.create(user.id, { itemId: item_id, title, description }) // Conflict (409) when it exists
    return reply.code(201).send(toPublicItem(item, user.username))
  })
}
