import { describe, expect, it } from 'vitest'
import { InsufficientScope, InvalidScope } from '../../src/core/errors.js'
import {
  assertScopes, DEFAULT_USER_SCOPES, formatScope, grantScopes, isPrivilegedScope, isScope, parseScope, PRIVILEGED_SCOPES, SCOPES,
} from '../../src/core/scopes.js'

describe('scopes', () => {
  it('knows the tutorial\'s scopes and the admin API\'s, which are privileged and never a default', () => {
    expect(SCOPES).toEqual({
      me: 'Read information about the current user',
      items: 'Read items',
      'users:read': 'Read and search user accounts',
      'users:write': 'Create, change and delete user accounts',
    })
    expect(DEFAULT_USER_SCOPES).toEqual(['me', 'items'])
    expect(PRIVILEGED_SCOPES).toEqual(['users:read', 'users:write'])
    expect([isScope('me'), isScope('items'), isScope('users:read'), isScope('users:write'), isScope('admin'), isScope('toString')])
      .toEqual([true, true, true, true, false, false])
    expect(['me', 'items', 'users:read', 'users:write', 'users'].map(isPrivilegedScope)).toEqual([false, false, true, true, false])
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

  it('grants a privileged scope only when it is both allowed and asked for by name', () => {
    const admin = ['me', 'items', 'users:read', 'users:write'] as const
    expect(grantScopes([], admin)).toEqual(['me', 'items'])
    expect(grantScopes(['users:read'], admin)).toEqual(['users:read'])
    expect(grantScopes(['me', 'users:write', 'users:read'], admin)).toEqual(['me', 'users:read', 'users:write'])
    expect(grantScopes(['users:read', 'users:write'], ['me', 'items'])).toEqual([])
    expect(grantScopes(['users:write'], ['users:read'])).toEqual([])
    expect(grantScopes([], ['users:read', 'users:write'])).toEqual([])
  })

  it('refuses unknown scopes', () => {
    expect(() => grantScopes(['me', 'admin'], ['me'])).toThrow(InvalidScope)
    expect(() => grantScopes(['users'], ['users:read'])).toThrow(InvalidScope)
  })

  it('requires every scope and reports all required ones', () => {
    expect(() => assertScopes(['me', 'items'], ['items', 'me'])).not.toThrow()
    expect(() => assertScopes(['me'], [])).not.toThrow()
    expect(() => assertScopes(['me'], ['items', 'me'])).toThrow(expect.objectContaining({ constructor: InsufficientScope, requiredScopes: ['items', 'me'] }))
  })
})
