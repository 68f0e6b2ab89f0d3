import { randomBytes } from 'node:crypto'
import type { SettingsStore } from './ports.js'

/** The key printed in FastAPI's JWT tutorial: public, so anyone could forge tokens signed with it. */
export const TUTORIAL_SECRET_KEY = '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7'

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (32 bytes). */
const MIN_KEY_CHARS = 32

const SETTING = 'hs256_secret_key'

/** A misconfiguration fails at startup and names the variable to fix (DESIGN.md style rule 2). */
export function assertUsableSecretKey(key: string): void {
  if (key === TUTORIAL_SECRET_KEY) {
    throw new Error('TESSERA_SECRET_KEY is the key published in the FastAPI tutorial; anyone could forge tokens with it. Generate one with `openssl rand -hex 32`, or unset it to let Tessera generate and store one.')
  }
  if (key.length < MIN_KEY_CHARS) {
    throw new Error(`TESSERA_SECRET_KEY must be at least ${MIN_KEY_CHARS} characters (RFC 7518 §3.2); generate one with \`openssl rand -hex 32\`.`)
  }
}

/**
 * The configured key, or else the one generated on first start and kept in the store, so tokens
 * survive a restart and every instance sharing the database signs with the same key.
 */
export async function resolveSecretKey(configured: string | null, settings: SettingsStore): Promise<{ key: string; generated: boolean }> {
  if (configured !== null) {
    assertUsableSecretKey(configured)
    return { key: configured, generated: false }
  }
  const existing = await settings.get(SETTING)
  if (existing !== null) return { key: existing, generated: false }
  // getOrInsert: when two instances start at once, both end up with whichever key was stored first.
  const candidate = randomBytes(32).toString('base64url')
  const key = await settings.getOrInsert(SETTING, candidate)
  return { key, generated: key === candidate }
}
