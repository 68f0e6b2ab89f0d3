import { describe, expect, it } from 'vitest'
import { extractBearerToken } from '../../src/core/bearer.js'
import { NotAuthenticated } from '../../src/core/errors.js'

describe('extractBearerToken', () => {
  it('returns the token of a Bearer header', () => {
    expect(extractBearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi')
  })

  it('treats the scheme case-insensitively (RFC 6750 §2.1, RFC 9110 §11.1)', () => {
    expect(extractBearerToken('bearer t0k3n')).toBe('t0k3n')
    expect(extractBearerToken('BEARER t0k3n')).toBe('t0k3n')
  })

  it('tolerates extra whitespace around the token', () => {
    expect(extractBearerToken('Bearer   abc  ')).toBe('abc')
  })

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the scheme alone', 'Bearer'],
    ['an empty token', 'Bearer '],
    ['a scheme that only starts with Bearer', 'Bearerabc'],
    ['two tokens', 'Bearer abc def'],
  ])('is not authenticated with %s', (_, header) => {
    expect(() => extractBearerToken(header)).toThrow(NotAuthenticated)
  })

  it('answers FastAPI\'s "Not authenticated"', () => {
    expect(() => extractBearerToken(undefined)).toThrow('Not authenticated')
  })
})
