import type { Clock } from './clock.js'
import { Conflict, NotFound } from './errors.js'
import type {
  SettingsStore, SigningAlgorithm, SigningKeyPurpose, SigningKeyRecord, SigningKeyStatus, SigningKeyStore,
} from './ports.js'
import { DEFAULT_ID_TOKEN_ALGORITHM, DEFAULT_SIGNING_ALGORITHM, generateSigningKey } from './signing-keys.js'

/*
 * The lifecycle of a signing key, as `tessera keys` drives it:
 *
 *   generate ──► active (the first key of its kind: for access tokens, Tessera leaves HS256 mode)
 *   generate ──► verifying (later keys: published in the JWKS before they sign anything)
 *   rotate   ──► a new key, or a pre-published one, becomes active; the old one verifies
 *   retire   ──► stops verifying: tokens it signed get 401 from then on
 *
 * "Of its kind" is the key's slot (SigningKeyPurpose): one active access-token key, and one
 * active id_token key per algorithm, so a client registered for ES256 id_tokens and one on the
 * RS256 default are both served, and access tokens stay on whatever they were on.
 *
 * A running server picks the change up on its next reload (TESSERA_KEYS_RELOAD_SECONDS), or
 * at once when it meets a token with a kid it does not know.
 */

export interface KeyRotationDeps { keys: SigningKeyStore; clock: Clock }

/** What may be shown of a key: never the private key. */
export interface SigningKeySummary {
  kid: string
  algorithm: SigningAlgorithm
  purpose: SigningKeyPurpose
  status: SigningKeyStatus
  createdAt: number
}

/** The keys one active key takes over from: the access-token key, or the id_token key of one algorithm. */
interface Slot { purpose: SigningKeyPurpose; algorithm: SigningAlgorithm }

export function summarizeSigningKey(record: SigningKeyRecord): SigningKeySummary {
  return { kid: record.kid, algorithm: record.algorithm, purpose: purposeOf(record), status: record.status, createdAt: record.createdAt }
}

/** Records written before issue 9 have no purpose: they sign access tokens. */
function purposeOf(record: Pick<SigningKeyRecord, 'purpose'>): SigningKeyPurpose {
  return record.purpose ?? 'access_token'
}

function inSlot(record: SigningKeyRecord, slot: Slot): boolean {
  return purposeOf(record) === slot.purpose && (slot.purpose === 'access_token' || record.algorithm === slot.algorithm)
}

function activeIn(records: readonly SigningKeyRecord[], slot: Slot): SigningKeyRecord | null {
  return records.find((r) => r.status === 'active' && inSlot(r, slot)) ?? null
}

/** How messages name a key's slot: "the active key" stays as it was for access tokens. */
function slotName(slot: Slot): string {
  return slot.purpose === 'access_token' ? 'the active key' : `the active ${slot.algorithm} id_token key`
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

export interface AddKeyOptions {
  /** Default: access tokens, as before issue 9. */
  purpose?: SigningKeyPurpose | undefined
}

/**
 * `keys generate`: with no active key in its slot the new one becomes active (it signs from the
 * next reload on); otherwise it is added as verifying, published ahead of `keys rotate --kid`.
 */
export async function addSigningKey(algorithm: SigningAlgorithm, deps: KeyRotationDeps, options: AddKeyOptions = {}): Promise<SigningKeySummary> {
  const slot: Slot = { purpose: options.purpose ?? 'access_token', algorithm }
  const hasActive = activeIn(await deps.keys.list(), slot) !== null
  const key = generateSigningKey(algorithm, { status: hasActive ? 'verifying' : 'active', createdAt: deps.clock.now(), purpose: slot.purpose })
  await deps.keys.insert(key)
  return summarizeSigningKey(key)
}

export interface RotateRequest {
  /** Which slot gets a generated key (default: access tokens). With `kid`, the key's own purpose decides; a different one given here is refused. */
  purpose?: SigningKeyPurpose | undefined
  /** Promote this verifying key (from `keys generate`) instead of generating one. */
  kid?: string | undefined
  /**
   * For a generated key. Access tokens: default the active key's algorithm, else EdDSA. id_tokens:
   * default RS256 (OIDC Core §15.1), and the new key replaces the active key of that algorithm only.
   */
  algorithm?: SigningAlgorithm | undefined
}

export interface Rotation { active: SigningKeySummary; previous: SigningKeySummary | null }

/** `keys rotate`: another key signs from now on; the key it takes over from keeps verifying until retired. */
export async function rotateSigningKey(request: RotateRequest, deps: KeyRotationDeps): Promise<Rotation> {
  const records = await deps.keys.list()
  if (request.kid !== undefined) return promoteKey(request.kid, request.purpose, records, deps)
  const purpose = request.purpose ?? 'access_token'
  const algorithm = request.algorithm
    ?? (purpose === 'id_token' ? DEFAULT_ID_TOKEN_ALGORITHM : activeIn(records, { purpose, algorithm: DEFAULT_SIGNING_ALGORITHM })?.algorithm)
    ?? DEFAULT_SIGNING_ALGORITHM
  const previous = activeIn(records, { purpose, algorithm })
  const key = generateSigningKey(algorithm, { status: 'active', createdAt: deps.clock.now(), purpose })
  await deps.keys.insert(key) // demotes the previous active key of the slot in the same transaction
  return { active: summarizeSigningKey(key), previous: demoted(previous) }
}

async function promoteKey(kid: string, purpose: SigningKeyPurpose | undefined, records: readonly SigningKeyRecord[], deps: KeyRotationDeps): Promise<Rotation> {
  const key = records.find((r) => r.kid === kid)
  if (key === undefined) throw new NotFound(`No signing key with kid ${kid}`)
  // A retired key may have been retired because it leaked: it never comes back.
  if (key.status === 'retired') throw new Conflict(`Signing key ${key.kid} is retired and cannot sign again`)
  if (key.status === 'active') throw new Conflict(`Signing key ${key.kid} is already active`)
  if (purpose !== undefined && purpose !== purposeOf(key)) {
    throw new Conflict(`Signing key ${key.kid} signs ${purposeOf(key) === 'id_token' ? 'id_tokens' : 'access tokens'}, not ${purpose === 'id_token' ? 'id_tokens' : 'access tokens'}`)
  }
  const previous = activeIn(records, { purpose: purposeOf(key), algorithm: key.algorithm })
  if (!(await deps.keys.setStatus(key.kid, 'active'))) throw new NotFound(`No signing key with kid ${key.kid}`)
  return { active: { ...summarizeSigningKey(key), status: 'active' }, previous: demoted(previous) }
}

function demoted(record: SigningKeyRecord | null): SigningKeySummary | null {
  return record === null ? null : { ...summarizeSigningKey(record), status: 'verifying' }
}

/**
 * `keys retire`: the key stops verifying (and leaves the JWKS). An active key of either purpose
 * is refused: for access tokens it would silently put Tessera back into HS256 mode, for id_tokens
 * it would leave the clients registered for its algorithm without a signer. Rotate first.
 */
export async function retireSigningKey(kid: string, deps: KeyRotationDeps): Promise<{ key: SigningKeySummary; alreadyRetired: boolean }> {
  const key = await findKey(kid, deps.keys)
  if (key.status === 'active') {
    throw new Conflict(`Signing key ${kid} is ${slotName({ purpose: purposeOf(key), algorithm: key.algorithm })}: rotate to another key first`)
  }
  if (key.status === 'retired') return { key: summarizeSigningKey(key), alreadyRetired: true }
  await deps.keys.setStatus(kid, 'retired')
  return { key: { ...summarizeSigningKey(key), status: 'retired' }, alreadyRetired: false }
}

export interface IdTokenKeyDeps extends KeyRotationDeps {
  /** Holds the one claim that decides which instance's key becomes the first (getOrInsert is atomic). */
  settings: SettingsStore
}

/** The setting naming the first id_token key of an algorithm: written once, by whichever instance claims it first. */
function claimSetting(algorithm: SigningAlgorithm): string {
  return `first_id_token_key.${algorithm}`
}

/**
 * The active id_token key for `algorithm`, created when there is none (the first start makes
 * the RS256 one, OIDC Core §15.1; a client registering ES256 makes that one on first use).
 *
 * Two instances may start at once on one database. Inserting an active key demotes whatever is
 * active in its slot, so two plain inserts would both succeed with different keys. Instead each
 * publishes its candidate as verifying (which demotes nothing), then one atomic
 * SettingsStore.getOrInsert names the winner; everybody promotes that same key (idempotent) and a
 * loser retires its own candidate, which never signed anything.
 */
export async function ensureIdTokenKey(algorithm: SigningAlgorithm, deps: IdTokenKeyDeps): Promise<SigningKeySummary> {
  const slot: Slot = { purpose: 'id_token', algorithm }
  const existing = activeIn(await deps.keys.list(), slot)
  if (existing !== null) return summarizeSigningKey(existing)
  const candidate = generateSigningKey(algorithm, { status: 'verifying', createdAt: deps.clock.now(), purpose: 'id_token' })
  await deps.keys.insert(candidate) // published before it is claimed, so the winner's key is always there to promote
  const claimed = await deps.settings.getOrInsert(claimSetting(algorithm), candidate.kid)
  const records = await deps.keys.list()
  const winner = winningKey(records, claimed, slot) ?? activeIn(records, slot) ?? candidate
  // Idempotent: every instance promotes the same key. False only if it vanished meanwhile.
  if (winner.status !== 'active' && !(await deps.keys.setStatus(winner.kid, 'active'))) {
    throw new Conflict('Signing keys changed while the id_token key was being created; try again')
  }
  if (winner.kid !== candidate.kid) await deps.keys.setStatus(candidate.kid, 'retired')
  return { ...summarizeSigningKey(winner), status: 'active' }
}

/**
 * The claimed key when it can still sign. A claim is written once: one naming a key that is gone
 * or retired (keys deleted or edited by hand since) no longer decides, and the active key or this
 * instance's own candidate is taken instead.
 */
function winningKey(records: readonly SigningKeyRecord[], claimed: string, slot: Slot): SigningKeyRecord | null {
  const key = records.find((r) => r.kid === claimed)
  return key !== undefined && key.status !== 'retired' && inSlot(key, slot) ? key : null
}
