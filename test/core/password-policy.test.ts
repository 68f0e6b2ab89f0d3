import { describe, expect, it } from 'vitest'
import { ValidationFailed } from '../../src/core/errors.js'
import { assertPasswordAcceptable, assertPasswordWithinLimit } from '../../src/core/password-policy.js'

const LOC = ['body', 'password']

function issuesOf(fn: () => void): unknown {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationFailed)
    return (err as ValidationFailed).issues
  }
  throw new Error('expected ValidationFailed')
}

describe('assertPasswordAcceptable', () => {
  it('accepts 8 characters and exactly the byte limit', () => {
    expect(() => assertPasswordAcceptable('12345678', 1024, LOC)).not.toThrow()
    expect(() => assertPasswordAcceptable('a'.repeat(1024), 1024, LOC)).not.toThrow()
  })

  it('refuses more bytes than the limit, counting UTF-8 bytes, never echoing the password', () => {
    // 9 characters but 18 bytes: the limit protects the hasher, which consumes bytes.
    expect(issuesOf(() => assertPasswordAcceptable('éééééééééé'.slice(0, 9), 16, LOC))).toEqual([
      { type: 'string_too_long', loc: LOC, msg: 'String should have at most 16 bytes', ctx: { max_length: 16 } },
    ])
  })

  it('refuses fewer than 8 characters, counting code points as Python does', () => {
    expect(issuesOf(() => assertPasswordAcceptable('1234567', 1024, LOC))).toEqual([
      { type: 'string_too_short', loc: LOC, msg: 'String should have at least 8 characters', ctx: { min_length: 8 } },
    ])
    // 4 emoji are 8 UTF-16 units but 4 characters.
    expect(issuesOf(() => assertPasswordAcceptable('😀😀😀😀', 1024, LOC))).toMatchObject([{ type: 'string_too_short' }])
  })

  it('refuses NUL characters', () => {
    expect(issuesOf(() => assertPasswordAcceptable('password\0tail', 1024, LOC))).toEqual([
      { type: 'value_error', loc: LOC, msg: 'Value error, Password must not contain NUL characters' },
    ])
  })

  it('uses the loc it is given', () => {
    expect(issuesOf(() => assertPasswordAcceptable('short', 1024, ['body', 'new_password']))).toMatchObject([{ loc: ['body', 'new_password'] }])
  })
})

describe('assertPasswordWithinLimit (login)', () => {
  it('checks only the upper bound: short and NUL-bearing passwords pass, so login reveals no policy', () => {
    expect(() => assertPasswordWithinLimit('', 1024, LOC)).not.toThrow()
    expect(() => assertPasswordWithinLimit('a\0b', 1024, LOC)).not.toThrow()
    expect(() => assertPasswordWithinLimit('a'.repeat(1024), 1024, LOC)).not.toThrow()
  })

  it('refuses one byte over the limit without echoing the password', () => {
    expect(issuesOf(() => assertPasswordWithinLimit('a'.repeat(1025), 1024, LOC))).toEqual([
      { type: 'string_too_long', loc: LOC, msg: 'String should have at most 1024 bytes', ctx: { max_length: 1024 } },
    ])
  })
})
