import { ValidationFailed, type ValidationIssue } from './errors.js'

/** NIST SP 800-63B §5.1.1.2: at least 8 characters; no composition rules. */
export const PASSWORD_MIN_CHARS = 8

type Loc = (string | number)[]

// Issues for a password never carry `input`: a 422 body must not echo a secret back.

function tooLong(password: string, maxBytes: number, loc: Loc): ValidationIssue | null {
  // Measured in bytes, which is what the hash consumes; checked before any hashing work.
  if (Buffer.byteLength(password, 'utf8') <= maxBytes) return null
  return { type: 'string_too_long', loc, msg: `String should have at most ${maxBytes} bytes`, ctx: { max_length: maxBytes } }
}

/** Everything wrong with a new password, at most one issue (pydantic reports one per field). */
export function passwordIssues(password: string, maxBytes: number, loc: Loc): ValidationIssue[] {
  const long = tooLong(password, maxBytes, loc)
  if (long !== null) return [long]
  // Characters as Python counts them (code points), so limits match the tutorial's pydantic models.
  if ([...password].length < PASSWORD_MIN_CHARS) {
    return [{
      type: 'string_too_short', loc, msg: `String should have at least ${PASSWORD_MIN_CHARS} characters`,
      ctx: { min_length: PASSWORD_MIN_CHARS },
    }]
  }
  // C-based hashers and other stacks truncate at NUL: such a password would not survive a migration.
  if (password.includes('\0')) {
    return [{ type: 'value_error', loc, msg: 'Value error, Password must not contain NUL characters' }]
  }
  return []
}

/** Registration and password change: the whole policy. Throws `ValidationFailed` (422). */
export function assertPasswordAcceptable(password: string, maxBytes: number, loc: Loc): void {
  const issues = passwordIssues(password, maxBytes, loc)
  if (issues.length > 0) throw new ValidationFailed(issues)
}

/**
 * Login: only the upper bound, which protects the hasher. The rest of the policy is not checked,
 * so a login attempt learns nothing about what passwords are allowed, and old passwords still work.
 */
export function assertPasswordWithinLimit(password: string, maxBytes: number, loc: Loc): void {
  const issue = tooLong(password, maxBytes, loc)
  if (issue !== null) throw new ValidationFailed([issue])
}
