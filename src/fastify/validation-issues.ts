import type { ValidationIssue } from '../core/index.js'

/** The part of an ajv error Fastify hands us (`error.validation`). */
export interface AjvIssue {
  keyword: string
  instancePath: string
  params: Record<string, unknown>
  message?: string | undefined
}

/** Where Fastify validated: `body`, `querystring`, `params` or `headers`. */
export type ValidationContext = string

/**
 * Fields whose value never goes back in a 422: a validation error must not echo a secret, since
 * responses end up in logs, proxies and bug reports. Matched against every key of the location;
 * an authorization code and its PKCE verifier are secrets too (the logger redacts the same names).
 */
const SECRET_FIELD = /password|secret|token|authorization|cookie|^code$|code_verifier|csrf|^otp$|recovery_code/i

// FastAPI calls the query string "query"; the other locations keep Fastify's names.
const LOCATION: Record<string, string> = { querystring: 'query', body: 'body', params: 'path', headers: 'header' }

/**
 * Translates ajv's errors into pydantic v2's, as FastAPI shows them: `type`, `loc`, `msg`,
 * `input` (omitted for secret fields), `ctx` where pydantic has one. `data` is what was
 * validated, so `input` can be read from it without ajv's verbose mode.
 */
export function validationIssues(errors: readonly AjvIssue[], context: ValidationContext, data: unknown): ValidationIssue[] {
  const location = LOCATION[context] ?? context
  // pydantic reports one error per field; ajv (allErrors) can report several, and a nullable
  // field (`anyOf: [string, null]`) fails each branch and then `anyOf` itself. The first error at
  // a location is the one that names the field's own type or constraint, so it is kept.
  const seen = new Set<string>()
  const issues: ValidationIssue[] = []
  for (const error of errors) {
    const issue = toIssue(error, location, data)
    const key = JSON.stringify(issue.loc)
    if (seen.has(key)) continue
    seen.add(key)
    issues.push(issue)
  }
  return issues
}

function toIssue(error: AjvIssue, location: string, data: unknown): ValidationIssue {
  const path = pointerSegments(error.instancePath)
  const loc: (string | number)[] = [location, ...path]
  const { keyword, params } = error

  if (keyword === 'required') {
    // FastAPI reports a missing field with `input: null` (the form tutorial's shape, SPEC.md).
    return { type: 'missing', loc: [...loc, String(params.missingProperty)], msg: 'Field required', input: null }
  }
  if (keyword === 'additionalProperties') {
    const field = String(params.additionalProperty)
    return withInput({ type: 'extra_forbidden', loc: [...loc, field], msg: 'Extra inputs are not permitted' }, valueAt(data, [...path, field]))
  }

  const input = valueAt(data, path)
  if (input === undefined && (path.length > 0 || location === 'body')) {
    // Nothing there to be of the wrong type; no body at all is FastAPI's `loc: ["body"]` missing.
    return { type: 'missing', loc, msg: 'Field required', input: null }
  }
  return withInput({ ...describe(keyword, params, path.length === 0), loc }, input)
}

function withInput(issue: Omit<ValidationIssue, 'input'>, input: unknown): ValidationIssue {
  if (issue.loc.some((part) => typeof part === 'string' && SECRET_FIELD.test(part))) return issue
  const echoed = echoable(input, 0)
  return echoed === TOO_DEEP ? issue : { ...issue, input: echoed }
}

/** Past this depth an input is not echoed: a 64 KiB body can nest 30 000 levels, enough to overflow a recursive serializer. */
const MAX_ECHO_DEPTH = 16
const TOO_DEEP = Symbol('too deep')

/** A copy of `value` safe to echo: secret-named members dropped, bytes not shown, depth bounded. */
function echoable(value: unknown, depth: number): unknown {
  if (depth > MAX_ECHO_DEPTH) return TOO_DEEP
  if (Buffer.isBuffer(value)) return '<bytes>'
  if (value === null || typeof value !== 'object') return value
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value).filter(([key]) => !SECRET_FIELD.test(key))
  const copied: [string | number, unknown][] = []
  for (const [key, v] of entries) {
    const inner = echoable(v, depth + 1)
    if (inner === TOO_DEEP) return TOO_DEEP
    copied.push([key, inner])
  }
  return Array.isArray(value) ? copied.map(([, v]) => v) : Object.fromEntries(copied)
}

/** An issue before it has a location and an input. */
interface Described { type: string; msg: string; ctx?: Record<string, unknown> }

function describe(keyword: string, params: Record<string, unknown>, isRoot: boolean): Described {
  switch (keyword) {
    case 'type':
      return typeIssue(String(params.type), isRoot)
    case 'minLength': {
      const limit = Number(params.limit)
      return { type: 'string_too_short', msg: `String should have at least ${limit} ${plural(limit, 'character')}`, ctx: { min_length: limit } }
    }
    case 'maxLength': {
      const limit = Number(params.limit)
      return { type: 'string_too_long', msg: `String should have at most ${limit} ${plural(limit, 'character')}`, ctx: { max_length: limit } }
    }
    case 'pattern':
      return { type: 'string_pattern_mismatch', msg: `String should match pattern '${String(params.pattern)}'`, ctx: { pattern: params.pattern } }
    case 'format':
      return formatIssue(String(params.format))
    case 'enum': {
      const expected = oneOfList((params.allowedValues as unknown[] | undefined) ?? [])
      return { type: 'enum', msg: `Input should be ${expected}`, ctx: { expected } }
    }
    case 'const': {
      const expected = pyRepr(params.allowedValue)
      return { type: 'literal_error', msg: `Input should be ${expected}`, ctx: { expected } }
    }
    case 'minimum':
      return bound('greater_than_equal', 'greater than or equal to', 'ge', params.limit)
    case 'exclusiveMinimum':
      return bound('greater_than', 'greater than', 'gt', params.limit)
    case 'maximum':
      return bound('less_than_equal', 'less than or equal to', 'le', params.limit)
    case 'exclusiveMaximum':
      return bound('less_than', 'less than', 'lt', params.limit)
    case 'minItems':
      return { type: 'too_short', msg: `List should have at least ${Number(params.limit)} ${plural(Number(params.limit), 'item')}`, ctx: { min_length: params.limit } }
    case 'maxItems':
      return { type: 'too_long', msg: `List should have at most ${Number(params.limit)} ${plural(Number(params.limit), 'item')}`, ctx: { max_length: params.limit } }
    default:
      // A keyword pydantic has no name for: a generic value error with a fixed message.
      return { type: 'value_error', msg: 'Value error, Input is not valid' }
  }
}

/** pydantic v2's messages for its core types. */
function typeIssue(type: string, isRoot: boolean): Described {
  // A nullable field reports its non-null type, as pydantic names the union's first member.
  const primary = type.split(',').find((t) => t !== 'null') ?? type
  switch (primary) {
    case 'string': return { type: 'string_type', msg: 'Input should be a valid string' }
    case 'integer': return { type: 'int_type', msg: 'Input should be a valid integer' }
    case 'number': return { type: 'float_type', msg: 'Input should be a valid number' }
    case 'boolean': return { type: 'bool_type', msg: 'Input should be a valid boolean' }
    case 'array': return { type: 'list_type', msg: 'Input should be a valid list' }
    case 'object':
      return isRoot
        ? { type: 'model_attributes_type', msg: 'Input should be a valid dictionary or object to extract fields from' }
        : { type: 'dict_type', msg: 'Input should be a valid dictionary' }
    default: return { type: 'value_error', msg: 'Value error, Input is not valid' }
  }
}

function formatIssue(format: string): Described {
  switch (format) {
    case 'email': return { type: 'value_error', msg: 'value is not a valid email address' }
    case 'uuid': return { type: 'uuid_parsing', msg: 'Input should be a valid UUID' }
    case 'uri':
    case 'url': return { type: 'url_parsing', msg: 'Input should be a valid URL' }
    case 'date-time': return { type: 'datetime_parsing', msg: 'Input should be a valid datetime' }
    case 'date': return { type: 'date_parsing', msg: 'Input should be a valid date' }
    default: return { type: 'value_error', msg: `Value error, Input should be a valid ${format}` }
  }
}

function bound(type: string, words: string, ctxKey: string, limit: unknown): Described {
  return { type, msg: `Input should be ${words} ${String(limit)}`, ctx: { [ctxKey]: limit } }
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

/** pydantic writes expected values as Python reprs: 'a', 'b' or 'c'. */
function oneOfList(values: readonly unknown[]): string {
  const reprs = values.map(pyRepr)
  if (reprs.length <= 1) return reprs.join('')
  return `${reprs.slice(0, -1).join(', ')} or ${reprs[reprs.length - 1]}`
}

function pyRepr(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
}

/** RFC 6901 JSON pointer → path segments; array indices become numbers, as pydantic's loc has them. */
function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((raw) => {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    return /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment
  })
}

function valueAt(data: unknown, path: readonly (string | number)[]): unknown {
  let current: unknown = data
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined
    if (!Object.hasOwn(current, segment)) return undefined
    current = (current as Record<string | number, unknown>)[segment]
  }
  return current
}
