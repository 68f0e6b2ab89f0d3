import {
  EMPTY_KEY_SET, createIdTokens, ensureIdTokenKey, fixedSigningKeys, systemClock, type IdTokens, type SigningKeyRing,
} from '../core/index.js'
import type { AppDeps } from './deps.js'

/**
 * The server's id_tokens: signed with the store's id_token keys as the running key set holds
 * them. A client may have registered an algorithm no key signs yet (ES256, a moment ago through
 * the admin API): the first id_token for it creates that key (race-safe across instances, see
 * ensureIdTokenKey) and re-reads the set, instead of failing the sign-in.
 */
export function serverIdTokens(deps: Pick<AppDeps, 'config' | 'store' | 'clock' | 'signingKeys'>): IdTokens {
  const clock = deps.clock ?? systemClock
  const keys = deps.signingKeys ?? fixedSigningKeys(EMPTY_KEY_SET)
  const reload = (keys as Partial<SigningKeyRing>).reload?.bind(keys)
  return createIdTokens({
    issuer: deps.config.issuer,
    // As long as the access token issued with it: an app checks it once, at sign-in.
    expiresInSeconds: deps.config.accessTokenExpireMinutes * 60,
    clock,
    keys,
    async provideSigner(algorithm) {
      await ensureIdTokenKey(algorithm, { keys: deps.store.signingKeys, settings: deps.store.settings, clock })
      return reload === undefined ? keys.current() : reload({ fresh: true })
    },
  })
}
