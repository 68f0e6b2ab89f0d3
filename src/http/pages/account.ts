import type { ConsentScope } from './consent.js'
import { hiddenFields } from './form.js'
import { html, type Html } from './html.js'
import { renderDocument } from './layout.js'

/** Where the account page and each of its forms live (routes/account.ts serves them). */
export const ACCOUNT_PATHS = {
  page: '/account',
  profile: '/account/profile',
  verifyEmail: '/account/email/verify',
  email: '/account/email',
  password: '/account/password',
  totpStart: '/account/totp',
  totpConfirm: '/account/totp/confirm',
  totpRemove: '/account/totp/remove',
  recoveryCodes: '/account/recovery-codes',
  endSession: '/account/sessions/end',
  endOtherSessions: '/account/sessions/end-others',
  revokeApp: '/account/apps/revoke',
  linkProvider: '/account/providers/link',
  unlinkProvider: '/account/providers/unlink',
} as const

/** The page's sections, each with its own form(s): an error is shown in the section it belongs to. */
export type AccountSection = 'profile' | 'email' | 'password' | 'mfa' | 'providers' | 'sessions' | 'apps'

export interface AccountSessionView {
  /** The session's public id (never the cookie's value). */
  id: string
  device: string
  ip: string | null
  lastUsedAt: number
  signedInAt: number
  /** The browser looking at the page. */
  current: boolean
}

export interface AccountAppView {
  clientId: string
  name: string
  scopes: readonly ConsentScope[]
  since: number
}

export interface AccountProviderView {
  id: string
  /** The provider's name: "Google". */
  name: string
  linked: { email: string | null; since: number } | null
  /** Linking asks for the password first (a stolen session cookie must not add a lasting way in); an account without one has only its session. */
  needsPassword: boolean
}

export interface AccountView {
  productName: string
  csrf: string
  username: string
  email: string | null
  emailVerified: boolean
  fullName: string | null
  /** What the last change did, in words the route chose (a fixed message, never data from the query). */
  notice: string | null
  problem: { section: AccountSection; message: string } | null
  /** A new address gets a confirmation link (mail on), or applies at once, unverified (mail off). */
  mailEnabled: boolean
  /** Offer "Send a verification link": mail on, verification not off, an address not yet verified. */
  canVerifyEmail: boolean
  mfa: { enrolled: boolean; recoveryCodesLeft: number }
  sessions: readonly AccountSessionView[]
  apps: readonly AccountAppView[]
  /** Upstream providers (issue 11): each linked one with the address it gave, or a link to link it. */
  providers?: readonly AccountProviderView[]
  /** What was typed before a refused change, to type it again less (never a password). */
  typed?: { fullName?: string; newEmail?: string }
}

const TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })

/** A time as people read it, in UTC (the server knows no one's time zone), machine-readable in `datetime`. */
export function timeOf(epochMs: number): Html {
  const date = new Date(epochMs)
  return html`<time datetime="${date.toISOString()}">${TIME.format(date)} UTC</time>`
}

/** A form of the account page: its action, the CSRF token and `hidden`, then the fields. */
function accountForm(action: string, csrf: string, body: Html, hidden: Record<string, string> = {}): Html {
  return html`<form method="post" action="${action}">
${hiddenFields({ action, hidden, csrf }, [])}${body}
</form>`
}

function problemIn(view: AccountView, section: AccountSection): Html | null {
  return view.problem?.section === section ? html`<p class="alert" role="alert">${view.problem.message}</p>` : null
}

function passwordField(id: string, name: string, label: string, autocomplete: 'current-password' | 'new-password', hint?: string): Html {
  return html`<div class="field">
<label for="${id}">${label}</label>
${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : null}<input id="${id}" name="${name}" type="password" autocomplete="${autocomplete}" required${hint ? html` aria-describedby="${id}-hint"` : null}>
</div>`
}

function profileSection(view: AccountView): Html {
  const badge = view.emailVerified ? html`<span class="badge ok">Verified</span>` : html`<span class="badge warn">Not verified</span>`
  return html`<section class="account-section" id="profile" aria-labelledby="profile-title">
<h2 id="profile-title">Profile</h2>
${problemIn(view, 'profile')}<dl class="facts">
<dt>Username</dt><dd>${view.username}</dd>
<dt>Email</dt><dd>${view.email === null ? html`<span class="muted">None</span>` : html`${view.email} ${badge}`}</dd>
</dl>
${view.canVerifyEmail ? accountForm(ACCOUNT_PATHS.verifyEmail, view.csrf, html`<button type="submit" class="button secondary">Send a verification link</button>`) : null}
${accountForm(ACCOUNT_PATHS.profile, view.csrf, html`<div class="field">
<label for="full_name">Full name</label>
<input id="full_name" name="full_name" type="text" value="${view.typed?.fullName ?? view.fullName ?? ''}" autocomplete="name" maxlength="200">
</div>
<button type="submit" class="button primary">Save name</button>`)}
</section>`
}

function emailSection(view: AccountView): Html {
  return html`<section class="account-section" id="email" aria-labelledby="email-title">
<h2 id="email-title">Change email</h2>
${problemIn(view, 'email')}<p class="note">${view.mailEnabled
    ? 'We send a link to the new address; the change applies when you open it. Your current address hears about it.'
    : 'The new address replaces the current one at once, not verified (this server sends no mail).'}</p>
${accountForm(ACCOUNT_PATHS.email, view.csrf, html`<div class="field">
<label for="new_email">New email address</label>
<input id="new_email" name="email" type="email" value="${view.typed?.newEmail ?? ''}" autocomplete="email" autocapitalize="none" spellcheck="false" required>
</div>
${passwordField('email_password', 'password', 'Current password', 'current-password')}
<button type="submit" class="button primary">Change email</button>`)}
</section>`
}

function passwordSection(view: AccountView): Html {
  return html`<section class="account-section" id="password" aria-labelledby="password-title">
<h2 id="password-title">Change password</h2>
${problemIn(view, 'password')}${accountForm(ACCOUNT_PATHS.password, view.csrf, html`${passwordField('current_password', 'current_password', 'Current password', 'current-password')}
${passwordField('new_password', 'new_password', 'New password', 'new-password', 'At least 8 characters.')}
${passwordField('new_password_again', 'new_password_again', 'New password again', 'new-password')}
<button type="submit" class="button primary">Change password</button>`)}
<p class="note">Changing it signs out every other browser and app; this browser stays signed in.</p>
</section>`
}

function mfaSection(view: AccountView): Html {
  const { enrolled, recoveryCodesLeft } = view.mfa
  const body = enrolled
    ? html`<p><span class="badge ok">On</span> Signing in asks for a code from your authenticator app.</p>
<p class="note">${recoveryCodesLeft} of 10 recovery codes left.</p>
${accountForm(ACCOUNT_PATHS.recoveryCodes, view.csrf, html`${passwordField('codes_password', 'password', 'Current password', 'current-password')}
<button type="submit" class="button secondary">Get new recovery codes</button>`)}
${accountForm(ACCOUNT_PATHS.totpRemove, view.csrf, html`${passwordField('remove_password', 'password', 'Current password', 'current-password')}
<button type="submit" class="button danger">Turn off two-step verification</button>`)}`
    : html`<p><span class="badge warn">Off</span> Add a code from an authenticator app to your password, so a stolen password is not enough.</p>
${accountForm(ACCOUNT_PATHS.totpStart, view.csrf, html`${passwordField('totp_password', 'password', 'Current password', 'current-password')}
<button type="submit" class="button primary">Set up an authenticator app</button>`)}`
  return html`<section class="account-section" id="mfa" aria-labelledby="mfa-title">
<h2 id="mfa-title">Two-step verification</h2>
${problemIn(view, 'mfa')}${body}
</section>`
}

function sessionItem(view: AccountView, session: AccountSessionView): Html {
  return html`<li>
<strong>${session.device}</strong>${session.current ? html` <span class="badge ok">This browser</span>` : null}
<span class="meta">${session.ip ?? 'Unknown address'} · last used ${timeOf(session.lastUsedAt)}</span>
<span class="meta">Signed in ${timeOf(session.signedInAt)}</span>
${accountForm(ACCOUNT_PATHS.endSession, view.csrf, html`<button type="submit" class="button secondary">${session.current ? 'Sign out' : 'Sign it out'}</button>`, { session_id: session.id })}
</li>`
}

function sessionsSection(view: AccountView): Html {
  const others = view.sessions.some((s) => !s.current)
  return html`<section class="account-section" id="sessions" aria-labelledby="sessions-title">
<h2 id="sessions-title">Where you are signed in</h2>
${problemIn(view, 'sessions')}<ul class="items">
${view.sessions.map((session) => html`${sessionItem(view, session)}\n`)}</ul>
${others ? accountForm(ACCOUNT_PATHS.endOtherSessions, view.csrf, html`<button type="submit" class="button secondary">Sign out everywhere else</button>`) : null}
</section>`
}

function appItem(view: AccountView, app: AccountAppView): Html {
  return html`<li>
<strong>${app.name}</strong>
<span class="meta">Allowed since ${timeOf(app.since)}</span>
<ul class="scopes">
${app.scopes.map((scope) => html`<li><code>${scope.name}</code> <span>${scope.description}</span></li>\n`)}</ul>
${accountForm(ACCOUNT_PATHS.revokeApp, view.csrf, html`<button type="submit" class="button secondary">Remove access</button>`, { client_id: app.clientId })}
</li>`
}

function appsSection(view: AccountView): Html {
  return html`<section class="account-section" id="apps" aria-labelledby="apps-title">
<h2 id="apps-title">Apps you allowed</h2>
${problemIn(view, 'apps')}${view.apps.length === 0
    ? html`<p class="note">No app has access to your account.</p>`
    : html`<ul class="items">
${view.apps.map((app) => html`${appItem(view, app)}\n`)}</ul>
<p class="note">Removing access signs the app out; it asks again the next time you use it.</p>`}
</section>`
}

function providersSection(view: AccountView): Html | null {
  if (view.providers === undefined || view.providers.length === 0) return null
  return html`<section class="account-section" id="providers" aria-labelledby="providers-title">
<h2 id="providers-title">Sign-in methods</h2>
${problemIn(view, 'providers')}<ul class="items">
${view.providers.map((p) => html`<li class="item">
<p><strong>${p.name}</strong> ${p.linked ? html`<span class="badge ok">Linked</span>` : null}</p>
${p.linked ? html`<p class="meta">${p.linked.email ?? ''}${p.linked.email ? ' · ' : ''}linked ${timeOf(p.linked.since)}</p>
${accountForm(ACCOUNT_PATHS.unlinkProvider, view.csrf, html`<button type="submit" class="button secondary">Unlink ${p.name}</button>`, { provider_id: p.id })}`
    : accountForm(ACCOUNT_PATHS.linkProvider, view.csrf, html`${p.needsPassword ? passwordField(`link_password_${p.id}`, 'password', 'Current password', 'current-password') : null}
<button type="submit" class="button secondary">Link ${p.name}</button>`, { provider_id: p.id })}
</li>
`)}</ul>
</section>`
}

/**
 * The account page (issue 10 part 5): one page of sections, each change its own small form that
 * posts and comes back here (303) with a notice, so everything works with JavaScript off and on a
 * phone. Forms that could hand the account to whoever holds the browser ask for the password.
 */
export function renderAccount(view: AccountView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Your account',
    body: html`<h1>Your account</h1>
<p class="lead">Signed in as <strong>${view.username}</strong></p>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : null}
<div class="account">
${profileSection(view)}
${emailSection(view)}
${passwordSection(view)}
${mfaSection(view)}
${providersSection(view)}
${sessionsSection(view)}
${appsSection(view)}
</div>`,
  })
}
