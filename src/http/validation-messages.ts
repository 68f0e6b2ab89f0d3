import type { ValidationFailed, ValidationIssue } from '../core/index.js'

/*
 * What a page says about a field core refused. The API answers pydantic's 422 body
 * ("String should have at least 8 characters"); a person filling in a form reads a sentence
 * about their field. Keyed by the field's name (the issue's loc[1]).
 */

const NOUNS: Record<string, string> = {
  username: 'username', password: 'password', new_password: 'password', email: 'email address', full_name: 'name',
}

function sentence(field: string, issue: ValidationIssue): string {
  const noun = NOUNS[field] ?? 'value'
  const limit = issue.ctx?.min_length ?? issue.ctx?.max_length
  if (issue.type === 'string_too_short') return `Choose a ${noun} of at least ${String(limit)} characters.`
  if (issue.type === 'string_too_long') {
    return noun === 'password' ? 'That password is longer than this service accepts.' : `Choose a ${noun} of at most ${String(limit)} characters.`
  }
  if (/must differ from the current password/.test(issue.msg)) return 'Choose a new password that differs from the current one.'
  if (/must differ from the current one/.test(issue.msg)) return 'That is already your address.'
  if (field === 'email' && issue.type === 'missing') return 'Enter your email address.'
  if (field === 'email') return 'Enter a valid email address, like name@example.com.'
  const text = issue.msg.replace(/^Value error, /, '')
  return /[.!?]$/.test(text) ? text : `${text}.`
}

/** One message per field (the first issue of each), by field name. */
export function fieldMessages(err: ValidationFailed): Record<string, string> {
  const messages: Record<string, string> = {}
  for (const issue of err.issues) {
    const field = String(issue.loc[1] ?? issue.loc[0] ?? 'form')
    messages[field] ??= sentence(field, issue)
  }
  return messages
}
