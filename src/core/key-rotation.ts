import type { Clock } from './clock.js'
import { Conflict, NotFound } from './errors.js'
import type { SigningAlgorithm, SigningKeyRecord, SigningKeyStatus, SigningKeyStore } from './ports.js'
import { DEFAULT_SIGNING_ALGORITHM, generateSigningKey } from './signing-keys.js'

/*
 * The lifecycle of a signing key, as `tessera keys` drives it:
 *
 *   generate ──► active (the first key: Tessera leaves HS256 mode)
 *   generate ──► verifying (later keys: published in the JWKS before they sign anything)
 *   rotate   ──► a new key, or a pre-published one, becomes active; the old one verifies
 *   retire   ──► stops verifying: tokens it signed get 401 from then on
 *
 * A running server picks the change up on its next reload (TESSERA_KEYS_RELOAD_SECONDS), or
 * at once when it meets a token with a kid it does not know.
 */

export interface KeyRotationDeps { keys: SigningKeyStore; clock: Clock }

/** What may be shown of a key: never the private key. */
export interface SigningKeySummary { kid: string; algorithm: SigningAlgorithm; status: SigningKeyStatus; createdAt: number }

export function summarizeSigningKey(record: SigningKeyRecord): SigningKeySummary {
  return { kid: record.kid, algorithm: record.algorithm, status: record.status, createdAt: record.createdAt }
}

/** Oldest first. */
export async function listSigningKeys(deps: KeyRotationDeps): Promise<SigningKeySummary[]> {
  return (await deps.keys.list()).map(summarizeSigningKey)
}

async function findKey(kid: string, keys: SigningKeyStore): Promise<SigningKeyRecord> {
  const record = (await keys.list()).find((r) => r.kid === kid)
  if (record === undefined) throw new NotFound(`No signing key with kid ${kid}`)
  return record
}

/**
 * `keys generate`: with no active key the new one becomes active (tokens are signed with it from
 * the next reload on); otherwise it is added as verifying, published ahead of `keys rotate --kid`.
 */
export async function addSigningKey(algorithm: SigningAlgorithm, deps: KeyRotationDeps): Promise<SigningKeySummary> {
  const hasActive = (await deps.keys.list()).some((r) => r.status === 'active')
  const key = generateSigningKey(algorithm, { status: hasActive ? 'verifying' : 'active', createdAt: deps.clock.now() })
  await deps.keys.insert(key)
  return summarizeSigningKey(key)
}

export interface RotateRequest {
  /** Promote this verifying key (from `keys generate`) instead of generating one. */
  kid?: string | undefined
  /** For a generated key; default: the active key's algorithm, else EdDSA. */
  algorithm?: SigningAlgorithm | undefined
}

/** `keys rotate`: another key signs from now on; the previous active key keeps verifying until retired. */
export async function rotateSigningKey(request: RotateRequest, deps: KeyRotationDeps): Promise<{ active: SigningKeySummary; previous: SigningKeySummary | null }> {
  const records = await deps.keys.list()
  const previous = records.find((r) => r.status === 'active') ?? null
  const demoted = previous === null ? null : { ...summarizeSigningKey(previous), status: 'verifying' as const }
  if (request.kid !== undefined) {
    const key = await findKey(request.kid, deps.keys)
    // A retired key may have been retired because it leaked: it never comes back.
    if (key.status === 'retired') throw new Conflict(`Signing key ${key.kid} is retired and cannot sign again`)
    if (key.status === 'active') throw new Conflict(`Signing key ${key.kid} is already active`)
    if (!(await deps.keys.setStatus(key.kid, 'active'))) throw new NotFound(`No signing key with kid ${key.kid}`)
    return { active: { ...summarizeSigningKey(key), status: 'active' }, previous: demoted }
  }
  const algorithm = request.algorithm ?? previous?.algorithm ?? DEFAULT_SIGNING_ALGORITHM
  const key = generateSigningKey(algorithm, { status: 'active', createdAt: deps.clock.now() })
  await deps.keys.insert(key) // demotes the previous active key in the same transaction
  return { active: summarizeSigningKey(key), previous: demoted }
}

/**
 * `keys retire`: the key stops verifying (and leaves the JWKS). The active key is refused: it
 * would silently put Tessera back into HS256 mode; rotate to another key first.
 */
export async function retireSigningKey(kid: string, deps: KeyRotationDeps): Promise<{ key: SigningKeySummary; alreadyRetired: boolean }> {
  const key = await findKey(kid, deps.keys)
  if (key.status === 'active') throw new Conflict(`Signing key ${kid} is the active key: rotate to another key first`)
  if (key.status === 'retired') return { key: summarizeSigningKey(key), alreadyRetired: true }
  await deps.keys.setStatus(kid, 'retired')
  return { key: { ...summarizeSigningKey(key), status: 'retired' }, alreadyRetired: false }
}
