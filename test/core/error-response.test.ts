import { describe, expect, it } from 'vitest'
import { toErrorResponse } from '../../src/core/error-response.js'
import {
  Conflict, Forbidden, InactiveUser, InsufficientScope, InvalidCredentials, InvalidGrant, InvalidRequest, InvalidScope,
  InvalidToken, MethodNotAllowed, NotAuthenticated, NotFound, PayloadTooLarge, ServiceUnavailable, TooManyLoginFailures,
  TooManyRequests, UnsupportedGrantType, UnsupportedMediaType, ValidationFailed,
} from '../../src/core/errors.js'

const oauth = (status: number, detail: string, error: string) => ({ status, headers: {}, body: { detail, error, error_description: detail } })

describe('toErrorResponse', () => {
  it.each([
    ['NotAuthenticated', new NotAuthenticated(), { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: { detail: 'Not authenticated' } }],
    ['InvalidToken without scopes', new InvalidToken(), {
      status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid"' },
      body: { detail: 'Could not validate credentials' },
    }],
    ['InvalidToken with scopes', new InvalidToken(['items', 'me']), {
      status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token", error_description="The access token is invalid", scope="items me"' },
      body: { detail: 'Could not validate credentials' },
    }],
    ['InsufficientScope', new InsufficientScope(['items', 'me']), {
      status: 403, headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="items me"' }, body: { detail: 'Not enough permissions' },
    }],
    ['InactiveUser', new InactiveUser(), { status: 400, headers: {}, body: { detail: 'Inactive user' } }],
    ['InvalidCredentials', new InvalidCredentials(), {
      ...oauth(401, 'Incorrect username or password', 'invalid_grant'), headers: { 'www-authenticate': 'Bearer' },
    }],
    ['InvalidGrant', new InvalidGrant('Inactive user'), oauth(400, 'Inactive user', 'invalid_grant')],
    ['InvalidScope', new InvalidScope('Unknown scope requested'), oauth(400, 'Unknown scope requested', 'invalid_scope')],
    ['UnsupportedGrantType', new UnsupportedGrantType(), oauth(400, 'Unsupported grant type', 'unsupported_grant_type')],
    ['InvalidRequest', new InvalidRequest('Missing grant_type'), oauth(400, 'Missing grant_type', 'invalid_request')],
    ['ValidationFailed', new ValidationFailed([{ type: 'missing', loc: ['body', 'username'], msg: 'Field required', input: null }]), {
      status: 422, headers: {}, body: { detail: [{ type: 'missing', loc: ['body', 'username'], msg: 'Field required', input: null }] },
    }],
    ['Conflict', new Conflict('Username already registered'), { status: 409, headers: {}, body: { detail: 'Username already registered' } }],
    ['Forbidden', new Forbidden('Registration is closed'), { status: 403, headers: {}, body: { detail: 'Registration is closed' } }],
    ['NotFound', new NotFound(), { status: 404, headers: {}, body: { detail: 'Not Found' } }],
    ['MethodNotAllowed', new MethodNotAllowed(), { status: 405, headers: {}, body: { detail: 'Method Not Allowed' } }],
    ['PayloadTooLarge', new PayloadTooLarge(), { status: 413, headers: {}, body: { detail: 'Request body too large' } }],
    ['UnsupportedMediaType', new UnsupportedMediaType(), { status: 415, headers: {}, body: { detail: 'Unsupported media type' } }],
    ['ServiceUnavailable', new ServiceUnavailable(2), {
      status: 503, headers: { 'retry-after': '2' }, body: { detail: 'Service temporarily unavailable, retry later' },
    }],
    ['TooManyRequests', new TooManyRequests(3600, 'Too many registrations from this address, retry later'), {
      status: 429, headers: { 'retry-after': '3600' }, body: { detail: 'Too many registrations from this address, retry later' },
    }],
    ['TooManyLoginFailures', new TooManyLoginFailures(900), {
      ...oauth(429, 'Too many failed login attempts, retry later', 'slow_down'), headers: { 'retry-after': '900' },
    }],
  ])('maps %s', (_, err, expected) => {
    expect(toErrorResponse(err)).toEqual(expected)
  })

  it('turns anything else into an opaque 500 without its message', () => {
    expect(toErrorResponse(new Error('secret token abc.def.ghi'))).toEqual({ status: 500, headers: {}, body: { detail: 'Internal Server Error' } })
    expect(toErrorResponse('a string')).toEqual({ status: 500, headers: {}, body: { detail: 'Internal Server Error' } })
  })
})
