import type { Clock } from './clock.js'
import type { SigningKeyRecord, SigningKeyStore } from './ports.js'
import { buildKeySet, type KeySet } from './signing-keys.js'

/** Where access tokens and the JWKS route read the keys in force. */
export interface SigningKeys {
  /** The current set: a field read, called on every issue and verify. */
  current(): KeySet
  /**
   * A token named a kid that is not in the set: another process (`tessera keys rotate`, another
   * instance) may have added it. Never blocks and never throws; a reload may follow.
   */
  unknownKid(kid: string): void
}

/** A set that never changes: for library users without a store, and tests. */
export function fixedSigningKeys(set: KeySet): SigningKeys {
  return { current: () => set, unknownKid: () => undefined }
}

export interface SigningKeyRingOptions {
  clock: Clock
  /** Re-read the store this often (ms); 0 reads it only at start and on unknown kids. */
  reloadIntervalMs: number
  /** At most one reload per this many ms is caused by unknown kids (default 1000), whoever sends them. */
  unknownKidCooldownMs?: number
  /** Called after a reload that changed the set. */
  onChange?(set: KeySet, previous: KeySet): void
  /** Called when a background reload fails; the previous set stays in force. */
  onError?(error: unknown): void
}

export interface SigningKeyRing extends SigningKeys {
  /**
   * Reads the store now (joining a read already under way); resolves to the set in force
   * afterwards. `fresh`: a change was just announced, so a read begun before it may have missed
   * it — wait for that one, then read again.
   */
  reload(options?: { fresh?: boolean }): Promise<KeySet>
  /** Stops the periodic reload. */
  close(): void
}

/** A base64url SHA-256 (RFC 7638 thumbprint): the only shape our kids have. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/

/** What makes two reads the same set: which keys, with which status. Keys never change in place (kid = thumbprint). */
function fingerprint(records: readonly SigningKeyRecord[]): string {
  return records.map((r) => `${r.kid}:${r.status}`).sort().join(',')
}

/**
 * The server's view of the store's signing keys. Requests never wait for the store: they read
 * the set in memory, while reloads (periodic, and soon after a token with an unknown kid) swap
 * in a new set when the keys changed. A bad key fails loudly at start; on reload it is
 * reported and the previous set stays in force.
 */
export async function openSigningKeyRing(store: SigningKeyStore, options: SigningKeyRingOptions): Promise<SigningKeyRing> {
  const { clock, reloadIntervalMs, unknownKidCooldownMs = 1000, onChange, onError } = options
  if (!Number.isInteger(reloadIntervalMs) || reloadIntervalMs < 0) throw new TypeError('openSigningKeyRing: reloadIntervalMs must be an integer >= 0')

  const records = await store.list()
  let set = buildKeySet(records)
  let loaded = fingerprint(records)
  let reading: Promise<KeySet> | undefined
  let lastUnknownKidReload = Number.NEGATIVE_INFINITY

  async function reload(options: { fresh?: boolean } = {}): Promise<KeySet> {
    if (options.fresh === true && reading !== undefined) await reading.catch(() => undefined)
    return read()
  }

  function read(): Promise<KeySet> {
    reading ??= (async () => {
      try {
        const fresh = await store.list()
        const seen = fingerprint(fresh)
        // Unchanged keys keep the same set object, so compiled signers and verifiers are kept too.
        if (seen !== loaded) {
          const previous = set
          set = buildKeySet(fresh)
          loaded = seen
          onChange?.(set, previous)
        }
        return set
      } finally {
        reading = undefined
      }
    })()
    return reading
  }

  function reloadInBackground(): void {
    reload().catch((error: unknown) => onError?.(error))
  }

  // unref: a pending reload never keeps a process alive that has nothing else to do.
  const timer = reloadIntervalMs > 0 ? setInterval(reloadInBackground, reloadIntervalMs).unref() : undefined

  return {
    current: () => set,
    unknownKid(kid) {
      // The kid comes from an unauthenticated token: one that cannot be a thumbprint is never
      // ours, and whatever is sent, the store is read at most once per cooldown.
      if (!THUMBPRINT.test(kid)) return
      const now = clock.now()
      if (now - lastUnknownKidReload < unknownKidCooldownMs) return
      lastUnknownKidReload = now
      reloadInBackground()
    },
    reload,
    close() {
      if (timer !== undefined) clearInterval(timer)
    },
  }
}
