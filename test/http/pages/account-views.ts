import { renderAccount, type AccountView } from '../../../src/http/pages/account.js'
import { qrSvg } from '../../../src/http/pages/qr.js'
import { renderRecoveryCodes } from '../../../src/http/pages/recovery-codes.js'
import { renderCheckEmail, renderSignUp, type SignUpView } from '../../../src/http/pages/sign-up.js'
import { renderTotpEnrolment, type TotpEnrolmentView } from '../../../src/http/pages/totp-enrolment.js'
import { CSRF, REQUEST } from './views.js'

// The issue 10 pages' view models as the routes fill them, in their usual and their worst states.

const T = Date.UTC(2026, 0, 1, 9, 30)
const LONG = 'W'.repeat(120)

export const account: AccountView = {
  productName: 'Tessera', csrf: CSRF, username: 'johndoe', email: 'johndoe@example.com', emailVerified: false, fullName: 'John Doe',
  notice: 'Your name was saved.', problem: null, mailEnabled: true, canVerifyEmail: true,
  mfa: { enrolled: false, recoveryCodesLeft: 0 },
  sessions: [
    { id: 'a6f1c2d4-0000-4000-8000-000000000001', device: 'Firefox on Linux', ip: '192.0.2.10', lastUsedAt: T, signedInAt: T - 3_600_000, current: true },
    { id: 'a6f1c2d4-0000-4000-8000-000000000002', device: 'Chrome on Android', ip: '2001:db8:1234:5678:9abc:def0:1234:5678', lastUsedAt: T - 86_400_000, signedInAt: T - 2 * 86_400_000, current: false },
  ],
  apps: [{
    clientId: 'photo-app', name: 'Photo Printer', since: T - 7 * 86_400_000,
    scopes: [{ name: 'openid', description: 'Sign you in with your account' }, { name: 'offline_access', description: 'Stay signed in when you are away (a refresh token)' }],
  }],
}

export const accountEnrolled: AccountView = {
  ...account, emailVerified: true, canVerifyEmail: false, notice: null, mfa: { enrolled: true, recoveryCodesLeft: 9 },
  problem: { section: 'mfa', message: 'That is not your current password.' },
}

export const accountLong: AccountView = {
  ...account, username: LONG, email: `${LONG}@example.com`, fullName: LONG, notice: LONG, problem: { section: 'password', message: LONG },
  sessions: account.sessions.map((s) => ({ ...s, device: LONG, ip: LONG })),
  apps: [{ ...account.apps[0] as AccountView['apps'][number], name: LONG, scopes: [{ name: LONG, description: LONG }] }],
}

/** The QR code qr.ts draws for an otpauth URI (no style attributes: the page CSP allows it). */
const QR = await qrSvg('otpauth://totp/Tessera:johndoe?issuer=Tessera&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30')

export const enrolment: TotpEnrolmentView = {
  productName: 'Tessera', csrf: CSRF, username: 'johndoe', qr: QR, secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', error: null,
}

export const signUp: SignUpView = {
  productName: 'Tessera', clientName: 'Demo App', action: '/signup', hidden: { request: REQUEST }, csrf: CSRF, username: '', email: '',
  emailRequired: false, error: null, fieldErrors: {}, signInUrl: `/authorize?${REQUEST}`,
}

export const signUpRefused: SignUpView = {
  ...signUp, username: 'ab', email: 'not an address', emailRequired: true, error: 'Too many accounts were created from your network. Try again in 60 minutes.',
  fieldErrors: { username: 'Choose a username of at least 3 characters.', email: 'Enter a valid email address, like name@example.com.', password: 'Choose a password of at least 8 characters.' },
}

export const CODES = ['abcd-efgh-ijkl-mnop', 'qrst-uvwx-yz23-4567', 'a2b3-c4d5-e6f7-g2h3', 'aaaa-bbbb-cccc-dddd', 'eeee-ffff-gggg-hhhh',
  'iiii-jjjj-kkkk-llll', 'mmmm-nnnn-oooo-pppp', 'qqqq-rrrr-ssss-tttt', 'uuuu-vvvv-wwww-xxxx', 'yyyy-zzzz-2222-3333']

/** Every issue 10 page, by a name for messages. */
export function accountPages(): Record<string, string> {
  return {
    account: renderAccount(account),
    'account-enrolled': renderAccount(accountEnrolled),
    'account-long': renderAccount(accountLong),
    'totp-enrolment': renderTotpEnrolment(enrolment),
    'totp-enrolment-failed': renderTotpEnrolment({ ...enrolment, error: 'That code is not right. Enter the code the app shows now.' }),
    'recovery-codes': renderRecoveryCodes({ productName: 'Tessera', codes: CODES, reason: 'enrolled' }),
    'recovery-codes-regenerated': renderRecoveryCodes({ productName: 'Tessera', codes: CODES, reason: 'regenerated' }),
    'sign-up': renderSignUp(signUp),
    'sign-up-refused': renderSignUp(signUpRefused),
    'sign-up-long': renderSignUp({ ...signUpRefused, clientName: LONG, username: LONG, email: LONG, error: LONG }),
    'check-email': renderCheckEmail({ productName: 'Tessera', email: `${LONG}@example.com`, signInUrl: '/signin?return_to=%2Faccount' }),
  }
}
