import { Type, type Static } from 'typebox'
import { HTTPValidationError } from './schemas.js'

/*
 * The JSON side of the mailed-link endpoints (issue 10): the same paths serve the hosted pages'
 * forms, which are read field by field so a page can say what is wrong next to the field. Only
 * `application/json` bodies are validated against these (Fastify's per-content-type body schema).
 * Shapes only: the address and password rules are core's, reported in the same 422 shape.
 */

export const EmailRequest = Type.Object({
  email: Type.String({ maxLength: 320, description: 'The address of the account.' }),
}, { title: 'EmailRequest' })
export type EmailRequest = Static<typeof EmailRequest>

export const LinkTokenRequest = Type.Object({
  token: Type.String({ format: 'password', maxLength: 100, description: 'The `token` query parameter of the mailed link.' }),
}, { title: 'LinkTokenRequest' })
export type LinkTokenRequest = Static<typeof LinkTokenRequest>

export const PasswordResetRequest = Type.Object({
  token: Type.String({ format: 'password', maxLength: 100, description: 'The `token` query parameter of the reset link.' }),
  new_password: Type.String({ format: 'password', description: 'At least 8 characters.' }),
}, { title: 'PasswordResetRequest' })
export type PasswordResetRequest = Static<typeof PasswordResetRequest>

/** The answer to a request for a link, the same whether or not an account uses the address. */
export const LinkRequested = Type.Object({ detail: Type.String() }, {
  title: 'LinkRequested', description: 'Accepted: the same answer whether or not an account uses the address',
})

/** After a verification or an email change: the account's address now. */
export const EmailStatus = Type.Object({ email: Type.String(), email_verified: Type.Boolean() }, {
  title: 'EmailStatus', description: 'The account\'s address, now verified',
})

export const ErrorDetail = Type.Object({ detail: Type.String() }, { title: 'ErrorDetail' })

/** A JSON body schema that leaves the pages' urlencoded forms to the route. */
export function jsonBody<T extends ReturnType<typeof Type.Object>>(schema: T) {
  return { content: { 'application/json': { schema } } }
}

export { HTTPValidationError }
