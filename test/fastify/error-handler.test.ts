import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { Conflict, InvalidToken } from 'tessera'
import { frameworkErrors, installErrorHandler, validationIssues } from 'tessera/fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The error handler on a bare Fastify app: ajv's errors as pydantic's, Fastify's as core's.
let app: FastifyInstance
const logged: string[] = []

beforeAll(async () => {
  app = Fastify({
    logger: { level: 'error', stream: new Writable({ write(chunk, _e, done) { logged.push(String(chunk)); done() } }) },
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors,
    ajv: { customOptions: { allErrors: true, coerceTypes: false } },
    bodyLimit: 1024,
  })
  installErrorHandler(app)
  app.post('/things', {
    schema: {
      body: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 2, maxLength: 5 },
          kind: { type: 'string', enum: ['a', 'b', 'c'] },
          mode: { const: 'fast' },
          count: { type: 'integer', minimum: 1, maximum: 10 },
          ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          flag: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
          id: { type: 'string', format: 'uuid' },
          sku: { type: 'string', pattern: '^[A-Z]+$' },
          secret_token: { type: 'string', minLength: 10 },
          nested: { type: 'object', additionalProperties: false, properties: { deep: { type: 'string' } } },
        },
      },
    },
  }, async () => ({ ok: true }))
  app.get('/boom', async () => { throw new Error('internal detail that must not leak') })
  app.get('/conflict', async () => { throw new Conflict('Already there') })
  app.get('/token-error', async () => { throw new InvalidToken(['me']) })
  await app.ready()
})

afterAll(async () => { await app.close() })

function post(payload: unknown) {
  return app.inject({ method: 'POST', url: '/things', payload: payload as Record<string, unknown> })
}

describe('ajv → pydantic v2', () => {
  it('maps each keyword to pydantic\'s type, message and ctx, one error per field', async () => {
    const res = await post({
      name: 'x', kind: 'z', mode: 'slow', count: 0, ratio: 1, flag: 'yes', tags: [], id: 'not-a-uuid', sku: 'abc',
      secret_token: 'short', nested: { deep: 5, extra: 1 },
    })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toEqual({
      detail: [
        { type: 'string_too_short', loc: ['body', 'name'], msg: 'String should have at least 2 characters', input: 'x', ctx: { min_length: 2 } },
        { type: 'enum', loc: ['body', 'kind'], msg: "Input should be 'a', 'b' or 'c'", input: 'z', ctx: { expected: "'a', 'b' or 'c'" } },
        { type: 'literal_error', loc: ['body', 'mode'], msg: "Input should be 'fast'", input: 'slow', ctx: { expected: "'fast'" } },
        { type: 'greater_than_equal', loc: ['body', 'count'], msg: 'Input should be greater than or equal to 1', input: 0, ctx: { ge: 1 } },
        { type: 'less_than', loc: ['body', 'ratio'], msg: 'Input should be less than 1', input: 1, ctx: { lt: 1 } },
        { type: 'bool_type', loc: ['body', 'flag'], msg: 'Input should be a valid boolean', input: 'yes' },
        { type: 'too_short', loc: ['body', 'tags'], msg: 'List should have at least 1 item', input: [], ctx: { min_length: 1 } },
        { type: 'uuid_parsing', loc: ['body', 'id'], msg: 'Input should be a valid UUID', input: 'not-a-uuid' },
        { type: 'string_pattern_mismatch', loc: ['body', 'sku'], msg: "String should match pattern '^[A-Z]+$'", input: 'abc', ctx: { pattern: '^[A-Z]+$' } },
        { type: 'string_too_short', loc: ['body', 'secret_token'], msg: 'String should have at least 10 characters', ctx: { min_length: 10 } },
        { type: 'string_type', loc: ['body', 'nested', 'deep'], msg: 'Input should be a valid string', input: 5 },
      ],
    })
  })

  it('reports every missing field, and type errors inside arrays with numeric locations', async () => {
    const missing = await post({})
    expect(missing.json()).toEqual({ detail: [{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: null }] })
    const typed = await post({ name: 'okay', tags: ['a', 2], count: 1.5, name2: 'ignored' })
    expect(typed.json()).toEqual({
      detail: [
        { type: 'int_type', loc: ['body', 'count'], msg: 'Input should be a valid integer', input: 1.5 },
        { type: 'string_type', loc: ['body', 'tags', 1], msg: 'Input should be a valid string', input: 2 },
      ],
    })
  })

  it('validationIssues names the query string "query" as FastAPI does, and keeps secrets out', () => {
    expect(validationIssues(
      [
        { keyword: 'type', instancePath: '/password', params: { type: 'string' } },
        { keyword: 'type', instancePath: '/limit', params: { type: 'integer' } },
        // Fastify's ajv removes extra properties by default (as pydantic ignores them); a schema
        // compiled without removeAdditional reports them as pydantic's extra='forbid' does.
        { keyword: 'additionalProperties', instancePath: '', params: { additionalProperty: 'extra' } },
      ],
      'querystring', { password: ['a', 'b'], limit: 'ten', extra: 1 },
    )).toEqual([
      { type: 'string_type', loc: ['query', 'password'], msg: 'Input should be a valid string' },
      { type: 'int_type', loc: ['query', 'limit'], msg: 'Input should be a valid integer', input: 'ten' },
      { type: 'extra_forbidden', loc: ['query', 'extra'], msg: 'Extra inputs are not permitted', input: 1 },
    ])
  })
})

describe('Fastify\'s own refusals, through core', () => {
  it('413 for a body over bodyLimit, 415 for an unknown media type, 422 for broken JSON', async () => {
    const big = await post({ name: 'x'.repeat(2000) })
    expect(big.statusCode).toBe(413)
    expect(big.json()).toEqual({ detail: 'Request body too large' })
    const media = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    expect(media.statusCode).toBe(415)
    expect(media.json()).toEqual({ detail: 'Unsupported media type' })
    const broken = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
    expect(broken.statusCode).toBe(422)
    expect(broken.json().detail[0].type).toBe('json_invalid')
    const poisoned = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload: '{"name":"ab","__proto__":{"x":1}}' })
    expect(poisoned.statusCode).toBe(422)
    expect(poisoned.json().detail[0].type).toBe('json_invalid')
  })

  it('404 and 405 with Allow, trailing slash included', async () => {
    expect((await app.inject({ method: 'GET', url: '/missing' })).json()).toEqual({ detail: 'Not Found' })
    const wrong = await app.inject({ method: 'PUT', url: '/things/' })
    expect(wrong.statusCode).toBe(405)
    expect(wrong.headers.allow).toBe('POST')
    expect(wrong.json()).toEqual({ detail: 'Method Not Allowed' })
  })

  it('core errors thrown by handlers keep their status, body and headers', async () => {
    const conflict = await app.inject({ method: 'GET', url: '/conflict' })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json()).toEqual({ detail: 'Already there' })
    const invalid = await app.inject({ method: 'GET', url: '/token-error' })
    expect(invalid.statusCode).toBe(401)
    expect(invalid.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="The access token is invalid", scope="me"')
  })

  it('an unknown error is an opaque 500, logged with its request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({ detail: 'Internal Server Error' })
    expect(res.body).not.toContain('internal detail')
    const line = logged.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error')
    expect(line).toMatchObject({ level: 50, reqId: expect.any(String), err: { message: 'internal detail that must not leak' } })
  })
})
