import type { Config } from '../config.js'
import type { AccessTokens, Clock, Metrics, PasswordHasher, SigningKeys, Store, ThrottleStore } from '../core/index.js'
import type { Mailer } from '../core/mail.js'

/** What Tessera's routes are built from: passed in by buildApp, never looked up. */
export interface AppDeps {
  config: Config
  store: Store
  tokens: AccessTokens
  hasher: PasswordHasher
  /** Time for audit entries and session cut-offs (default: the system clock); tests freeze it. */
  clock?: Clock | undefined
  /**
   * The signing keys `tokens` uses, published at /.well-known/jwks.json. Absent: HS256 only,
   * and the JWKS is empty.
   */
  signingKeys?: SigningKeys | undefined
  /** What routes count (logins, tokens); buildApp supplies one when the caller does not. */
  metrics: Metrics
  /** The shared Redis connection when TESSERA_REDIS_URL is set: GET /readyz pings it. */
  redis?: Pingable | undefined
  /**
   * Where brute-force limits are counted: Redis when TESSERA_REDIS_URL is set (shared by every
   * instance). Absent: in this process's memory (see src/http/limits.ts).
   */
  throttle?: ThrottleStore | undefined
  /** Where mails go (issue 10): src/mail's queue when SMTP or a mail folder is configured; buildApp supplies noMailer otherwise. */
  mailer: Mailer
}

/** Anything GET /readyz can ask "are you there?" (an ioredis client is one). */
export interface Pingable {
  ping(): Promise<unknown>
}
