import type { Clock } from './clock.js'
import { NotFound, ValidationFailed, type ValidationIssue } from './errors.js'
import type { IdentityProviderChanges, IdentityProviderKind, IdentityProviderRecord, IdentityProviderStore } from './ports.js'

/*
 * Upstream identity providers (issue 11): what an operator configures so the sign-in page can
 * offer "Sign in with Google / GitHub / any OpenID Provider". Tessera is their relying party
 * (authorization code + PKCE) and stays the OpenID Provider of its own apps.
 */

export const IDENTITY_PROVIDER_KINDS: readonly IdentityProviderKind[] = Object.freeze(['oidc', 'github'])

/** The settings a preset fills in; the operator gives the client id and secret from the provider's console. */
export interface ProviderPreset {
  kind: IdentityProviderKind
  issuer: string
  scopes: readonly string[]
  label: string
}

/**
 * Google is an OpenID Provider (discovery at its issuer); GitHub's OAuth apps are plain OAuth 2.0
 * with its REST API for the user and their addresses (`read:user`, `user:email`).
 */
export const PROVIDER_PRESETS: Readonly<Record<'google' | 'github', ProviderPreset>> = Object.freeze({
  google: { kind: 'oidc', issuer: 'https://accounts.google.com', scopes: ['openid', 'email', 'profile'], label: 'Sign in with Google' },
  github: { kind: 'github', issuer: 'https://github.com', scopes: ['read:user', 'user:email'], label: 'Sign in with GitHub' },
})

export function isPresetName(name: string): name is keyof typeof PROVIDER_PRESETS {
  return Object.hasOwn(PROVIDER_PRESETS, name)
}

export interface ProviderInput {
  id: string
  kind?: IdentityProviderKind | undefined
  preset?: string | undefined
  label?: string | undefined
  issuer?: string | undefined
  clientId: string
  clientSecret: string
  scopes?: readonly string[] | undefined
}

const ID = /^[a-z0-9][a-z0-9-]{0,31}$/
/** Control characters and lone surrogates have no place in a button or an identifier. */
const UNPRINTABLE = /[\p{Cc}\p{Cs}]/u
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/                                  // RFC 6749 §3.3 scope-token

/** Whether a provider URL may be plain http: only on this machine (a local provider in development and tests). */
function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost'
}

function issue(field: string, msg: string, input: unknown): ValidationIssue {
  return { type: 'value_error', loc: ['body', field], msg: `Value error, ${msg}`, input }
}

function issuerIssues(issuer: string): ValidationIssue[] {
  let url: URL
  try { url = new URL(issuer) } catch { return [issue('issuer', 'issuer must be an absolute https URL', issuer)] }
  const ok = (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) && url.search === '' && url.hash === '' && url.username === '' && url.password === ''
  return ok ? [] : [issue('issuer', 'issuer must be an https URL without query, fragment or credentials (http only on loopback)', issuer)]
}

function fieldIssues(fields: { label: string; clientId: string; clientSecret: string; scopes: readonly string[]; kind: IdentityProviderKind }): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  if (fields.label.length < 1 || fields.label.length > 60 || UNPRINTABLE.test(fields.label)) issues.push(issue('label', 'label must be 1 to 60 printable characters', fields.label))
  if (fields.clientId.length < 1 || fields.clientId.length > 256 || /[\s\p{Cc}]/u.test(fields.clientId)) issues.push(issue('client_id', 'client_id must be 1 to 256 characters without spaces', fields.clientId))
  // The secret is never echoed, not even in a 422.
  if (fields.clientSecret.length < 1 || fields.clientSecret.length > 1024 || UNPRINTABLE.test(fields.clientSecret)) issues.push(issue('client_secret', 'client_secret must be 1 to 1024 printable characters', null))
  const badScope = fields.scopes.find((s) => !SCOPE_TOKEN.test(s))
  if (fields.scopes.length > 20 || badScope !== undefined) issues.push(issue('scopes', 'scopes must be at most 20 OAuth scope tokens', fields.scopes))
  if (fields.kind === 'oidc' && !fields.scopes.includes('openid')) issues.push(issue('scopes', 'an OpenID Connect provider needs the openid scope', fields.scopes))
  return issues
}

/**
 * A provider from what the operator gave: a preset fills kind, issuer, scopes and label unless
 * they are given too; every field is checked and every problem reported at once (422).
 */
export function providerFromInput(input: ProviderInput): Omit<IdentityProviderRecord, 'createdAt' | 'updatedAt'> {
  const issues: ValidationIssue[] = []
  if (!ID.test(input.id)) issues.push(issue('id', 'id must be 1 to 32 lower-case letters, digits or dashes, starting with a letter or digit', input.id))
  let preset: ProviderPreset | undefined
  if (input.preset !== undefined) {
    if (isPresetName(input.preset)) preset = PROVIDER_PRESETS[input.preset]
    else issues.push(issue('preset', `preset must be one of ${Object.keys(PROVIDER_PRESETS).join(', ')}`, input.preset))
  }
  const kind = input.kind ?? preset?.kind ?? 'oidc'
  if (!IDENTITY_PROVIDER_KINDS.includes(kind)) issues.push(issue('kind', 'kind must be oidc or github', kind))
  const issuer = input.issuer ?? preset?.issuer
  if (issuer === undefined) issues.push({ type: 'missing', loc: ['body', 'issuer'], msg: 'Field required', input: null })
  else issues.push(...issuerIssues(issuer))
  const provider = {
    id: input.id, kind, issuer: issuer ?? '', clientId: input.clientId, clientSecret: input.clientSecret,
    label: input.label ?? preset?.label ?? `Sign in with ${input.id}`,
    scopes: [...new Set(input.scopes ?? preset?.scopes ?? (kind === 'oidc' ? ['openid', 'email', 'profile'] : ['read:user', 'user:email']))],
  }
  issues.push(...fieldIssues(provider))
  if (issues.length > 0) throw new ValidationFailed(issues)
  return provider
}

export async function addIdentityProvider(input: ProviderInput, deps: { identityProviders: IdentityProviderStore; clock: Clock }): Promise<IdentityProviderRecord> {
  return deps.identityProviders.create(providerFromInput(input), deps.clock.now())            // Conflict('Provider already exists')
}

/** Changes only what is given, under the same rules; NotFound for an unknown id. */
export async function updateIdentityProvider(
  id: string, changes: IdentityProviderChanges, deps: { identityProviders: IdentityProviderStore; clock: Clock },
): Promise<IdentityProviderRecord> {
  const current = await deps.identityProviders.findById(id)
  if (current === null) throw new NotFound('Provider not found')
  const merged = { ...current, ...changes, scopes: [...new Set(changes.scopes ?? current.scopes)] }
  const issues = [...(changes.issuer === undefined ? [] : issuerIssues(changes.issuer)), ...fieldIssues(merged)]
  if (issues.length > 0) throw new ValidationFailed(issues)
  return (await deps.identityProviders.update(id, { ...changes, ...(changes.scopes ? { scopes: merged.scopes } : {}) }, deps.clock.now())) ?? notFound()
}

function notFound(): never {
  throw new NotFound('Provider not found')
}

/** The provider's name for sentences ("Link Google"): its button text without "Sign in with". */
export function providerName(provider: Pick<IdentityProviderRecord, 'label' | 'id'>): string {
  return provider.label.replace(/^sign in with\s+/i, '') || provider.id
}

/** What may be shown of a provider: everything but the secret (which says only that it is set). */
export function toPublicProvider(provider: IdentityProviderRecord) {
  return {
    id: provider.id, kind: provider.kind, label: provider.label, issuer: provider.issuer, client_id: provider.clientId,
    client_secret_set: provider.clientSecret !== '', scopes: provider.scopes,
    created_at: new Date(provider.createdAt).toISOString(), updated_at: new Date(provider.updatedAt).toISOString(),
  }
}
