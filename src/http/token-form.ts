import formbody from '@fastify/formbody'
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { InvalidRequest, PayloadTooLarge } from '../core/index.js'

/** At most this many parts in a multipart token request: the form has six fields. */
const MAX_PARTS = 16

/**
 * Makes the enclosing (encapsulated) context read bodies the way FastAPI's
 * `OAuth2PasswordRequestForm` does: `application/x-www-form-urlencoded` or `multipart/form-data`;
 * any other body is read (within the limit) and treated as an empty form, so a JSON login gets
 * FastAPI's 422 "Field required" rather than a 415. Empty values count as absent, as in FastAPI.
 * After this, `request.body` is always a plain object of the submitted fields.
 */
export async function useTokenForm(app: FastifyInstance, options: { bodyLimit: number }): Promise<void> {
  const { bodyLimit } = options
  app.removeAllContentTypeParsers()
  await app.register(formbody, { bodyLimit })
  // Busboy's limits bound memory for a chunked body that announces no length; a field over the
  // limit is truncated by busboy, which readMultipart turns into a 413 (a truncated password
  // must never be tried).
  await app.register(multipart, {
    limits: { fieldSize: bodyLimit, fileSize: bodyLimit, parts: MAX_PARTS, fields: MAX_PARTS, files: MAX_PARTS, headerPairs: 100 },
  })
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, _body, done) => done(null, {}))

  app.addHook('preValidation', async (request) => {
    const fields = request.isMultipart() ? await readMultipart(request, bodyLimit) : request.body
    request.body = presentFields(fields)
  })
}

async function readMultipart(request: FastifyRequest, bodyLimit: number): Promise<Record<string, unknown>> {
  const declared = Number(request.headers['content-length'])
  if (declared > bodyLimit) throw new PayloadTooLarge()
  const fields: Record<string, unknown[]> = Object.create(null)
  try {
    for await (const part of request.parts()) {
      let value: unknown
      if (part.type === 'file') {
        value = await part.toBuffer() // a Buffer fails the schema's string type: 422, as FastAPI's UploadFile would
      } else {
        if (part.valueTruncated || part.fieldnameTruncated) throw new PayloadTooLarge()
        value = part.value
      }
      ;(fields[part.fieldname] ??= []).push(value)
    }
  } catch (err) {
    // @fastify/multipart's own errors carry a status (limits: 413); busboy's parse errors do not.
    if (err instanceof PayloadTooLarge || typeof (err as { statusCode?: unknown }).statusCode === 'number') throw err
    throw new InvalidRequest('Malformed multipart body')
  }
  // One value per name, an array for a repeated one (the schema refuses it), as formbody does.
  return Object.fromEntries(Object.entries(fields).map(([name, values]) => [name, values.length === 1 ? values[0] : values]))
}

/** FastAPI treats an empty form value as not sent: `grant_type=` means the default. */
function presentFields(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {}
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== ''))
}
