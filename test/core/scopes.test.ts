import { describe, expect, it } from 'vitest'
import { InsufficientScope, InvalidScope } from '../../src/core/errors.js'
import { assertScopes, DEFAULT_USER_SCOPES, formatScope, grantScopes, isScope, parseScope, SCOPES } from '../../src/core/scopes.js'

describe('scopes', () => {
  it('knows the tutorial\'s scopes', () => {
    expect(SCOPES).toEqual({ me: 'Read information about the current user', items: 'Read items' })
    expect(DEFAULT_USER_SCOPES).toEqual(['me', 'items'])
    expect([isScope('me'), isScope('items'), isScope('admin'), isScope('toString')]).toEqual([true, true, false, false])
  })

  it('parses space-delimited scope strings, dropping empties and duplicates (RFC 6749 §3.3)', () => {
    expect(parseScope(undefined)).toEqual([])
    expect(parseScope(null)).toEqual([])
    expect(parseScope('')).toEqual([])
    expect(parseScope('me  items me ')).toEqual(['me', 'items'])
    expect(formatScope(['me', 'items'])).toBe('me items')
  })

  it('grants requested ∩ allowed, or all allowed when nothing is asked for', () => {
    expect(grantScopes([], ['me', 'items'])).toEqual(['me', 'items'])
    expect(grantScopes(['items'], ['me', 'items'])).toEqual(['items'])
    expect(grantScopes(['me', 'items'], ['me'])).toEqual(['me'])
  })

  it('refuses unknown scopes', () => {
    expect(() => grantScopes(['me', 'admin'], ['me'])).toThrow(InvalidScope)
  })

  it('requires every scope and reports all required ones', () => {
    expect(() => assertScopes(['me', 'items'], ['items', 'me'])).not.toThrow()
    expect(() => assertScopes(['me'], [])).not.toThrow()
    expect(() => assertScopes(['me'], ['items', 'me'])).toThrow(expect.objectContaining({ constructor: InsufficientScope, requiredScopes: ['items', 'me'] }))
  })
})
