import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { UserRecord } from '../../src/core/index.js'
import { stableHeaders, startTestServer, type TestServer } from './test-server.js'

// SPEC.md "Users": /users/me/items needs `items` and `me`; a user never sees another's items.
let server: TestServer
let dave: UserRecord

beforeAll(async () => {
  server = await startTestServer()
  dave = await server.store.users.create({ username: 'dave', passwordHash: server.users.johndoe.passwordHash, scopes: ['me', 'items'] })
})
afterAll(async () => { await server.close() })

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' }

function list(user: UserRecord) {
  return server.app.inject({ method: 'GET', url: '/users/me/items', headers: { authorization: server.bearer(user) } })
}

function create(user: UserRecord, payload: Record<string, unknown>) {
  return server.app.inject({ method: 'POST', url: '/users/me/items', headers: { authorization: server.bearer(user) }, payload })
}

describe('/users/me/items', () => {
  it('starts empty', async () => {
    const res = await list(server.users.johndoe)
    expect(res.statusCode).toBe(200)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual([])
  })

  it('POST creates an item shown as the tutorial shows it: 201', async () => {
    const res = await create(server.users.johndoe, { item_id: 'Foo' })
    expect(res.statusCode).toBe(201)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({ item_id: 'Foo', owner: 'johndoe', title: null, description: null })
    const full = await create(server.users.johndoe, { item_id: 'Bar', title: 'The Bar', description: 'Has a description' })
    expect(full.json()).toEqual({ item_id: 'Bar', owner: 'johndoe', title: 'The Bar', description: 'Has a description' })
  })

  it('GET lists the caller\'s items only', async () => {
    expect((await create(dave, { item_id: 'Foo', title: 'dave\'s own Foo' })).statusCode).toBe(201)
    const john = await list(server.users.johndoe)
    expect(john.json()).toEqual([
      { item_id: 'Foo', owner: 'johndoe', title: null, description: null },
      { item_id: 'Bar', owner: 'johndoe', title: 'The Bar', description: 'Has a description' },
    ])
    const mine = await list(dave)
    expect(mine.json()).toEqual([{ item_id: 'Foo', owner: 'dave', title: 'dave\'s own Foo', description: null }])
  })

  it('the same item_id twice for one owner: 409', async () => {
    const res = await create(server.users.johndoe, { item_id: 'Foo' })
    expect(res.statusCode).toBe(409)
    expect(stableHeaders(res.headers)).toEqual(JSON_TYPE)
    expect(res.json()).toEqual({ detail: 'Item already exists' })
  })

  it('invalid items: 422', async () => {
    const missing = await create(server.users.johndoe, {})
    expect(missing.statusCode).toBe(422)
    expect(missing.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'item_id'], msg: 'Field required', input: null }] })

    const empty = await create(server.users.johndoe, { item_id: '', title: 7 })
    expect(empty.json()).toEqual({
      detail: [
        { type: 'string_too_short', loc: ['body', 'item_id'], msg: 'String should have at least 1 character', input: '', ctx: { min_length: 1 } },
        { type: 'string_type', loc: ['body', 'title'], msg: 'Input should be a valid string', input: 7 },
      ],
    })

    const control = await create(server.users.johndoe, { item_id: 'a\u0000b' })
    expect(control.statusCode).toBe(422)
    expect(control.json().detail[0]).toMatchObject({ type: 'string_pattern_mismatch', loc: ['body', 'item_id'], input: 'a\u0000b' })
  })

  it('SQL-looking item ids are stored literally', async () => {
    const res = await create(dave, { item_id: "x'); DELETE FROM items; --" })
    expect(res.statusCode).toBe(201)
    expect((await list(server.users.johndoe)).json()).toHaveLength(2)
  })

  it('POST needs both scopes too, and is refused before its body is read', async () => {
    const meOnly = await server.app.inject({
      method: 'POST', url: '/users/me/items', headers: { authorization: server.bearer(server.users.johndoe, ['me']) }, payload: { item_id: 'Baz' },
    })
    expect(meOnly.statusCode).toBe(403)
    expect(meOnly.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="items me"')

    const anonymousHuge = await server.app.inject({ method: 'POST', url: '/users/me/items', payload: { item_id: 'x'.repeat(1024 * 1024) } })
    expect(anonymousHuge.statusCode).toBe(401)
    expect(anonymousHuge.json()).toEqual({ detail: 'Not authenticated' })
  })
})
