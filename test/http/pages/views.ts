import type { ConsentView } from '../../../src/http/pages/consent.js'
import type { ErrorView } from '../../../src/http/pages/error.js'
import type { SignInView } from '../../../src/http/pages/sign-in.js'
import type { SignOutConfirmView, SignedOutView } from '../../../src/http/pages/signed-out.js'
import { renderConsent } from '../../../src/http/pages/consent.js'
import { renderError } from '../../../src/http/pages/error.js'
import { renderSignIn } from '../../../src/http/pages/sign-in.js'
import { renderSignOutConfirm, renderSignedOut } from '../../../src/http/pages/signed-out.js'

// View models as the routes fill them, and every page rendered from them.

export const CSRF = 'Zm9vYmFyYmF6cXV4LWNzcmYtdG9rZW4tMTIzNDU2Nzg'
export const REQUEST = 'response_type=code&client_id=demo-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fdemo%2F&scope=openid+profile&state=s1&code_challenge=abc&code_challenge_method=S256'

export const signIn: SignInView = {
  productName: 'Tessera', clientName: 'Demo App', action: '/signin', hidden: { request: REQUEST }, csrf: CSRF, username: '', error: null,
}

export const signInFailed: SignInView = { ...signIn, username: 'johndoe', error: 'Incorrect username or password' }

export const consent: ConsentView = {
  productName: 'Tessera', clientName: 'Demo App', username: 'johndoe', action: '/consent', hidden: { request: REQUEST }, csrf: CSRF,
  scopes: [
    { name: 'openid', description: 'Sign you in with your account' },
    { name: 'profile', description: 'See your name and username' },
    { name: 'offline_access', description: 'Stay signed in when you are away (a refresh token)' },
  ],
}

export const error: ErrorView = {
  productName: 'Tessera', title: 'This sign-in link is not valid',
  message: 'The application sent an invalid request: redirect_uri is not registered for this client', requestId: 'req-1a2b',
}

export const signedOut: SignedOutView = { productName: 'Tessera', clientName: 'Demo App' }

export const signOutConfirm: SignOutConfirmView = {
  productName: 'Tessera', clientName: 'Demo App', action: '/end-session', hidden: { state: 'xyz', confirm: 'yes' }, csrf: CSRF,
}

/** Every page, by a name for messages, in the states the routes render. */
export function allPages(): Record<string, string> {
  return {
    'sign-in': renderSignIn(signIn),
    'sign-in-failed': renderSignIn(signInFailed),
    consent: renderConsent(consent),
    error: renderError(error),
    'signed-out': renderSignedOut(signedOut),
    'signed-out-anonymous': renderSignedOut({ productName: 'Tessera', clientName: null }),
    'sign-out-confirm': renderSignOutConfirm(signOutConfirm),
  }
}
