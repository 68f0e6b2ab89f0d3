import { systemClock, type EmailVerificationDeps, type MailLinkDeps } from '../core/index.js'
import type { AppDeps } from './deps.js'

/**
 * What core's mailed-link flows need, from the app's deps: the token store, the mailer (none:
 * the flows that need mail are off), and the issuer and product name the mails use.
 */
export function mailLinkDeps(deps: Pick<AppDeps, 'config' | 'store' | 'clock' | 'mailer'>): MailLinkDeps {
  return {
    oneTimeTokens: deps.store.oneTimeTokens, clock: deps.clock ?? systemClock, mailer: deps.mailer,
    issuer: deps.config.issuer, productName: deps.config.productName,
  }
}

/** mailLinkDeps plus TESSERA_EMAIL_VERIFICATION: for sendEmailVerification (registration, the sign-up and account pages). */
export function emailVerificationDeps(deps: Pick<AppDeps, 'config' | 'store' | 'clock' | 'mailer'>): EmailVerificationDeps {
  return { ...mailLinkDeps(deps), policy: deps.config.emailVerification }
}
