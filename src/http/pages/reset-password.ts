import { hiddenFields, type FormView } from './form.js'
import { html, type Html } from './html.js'
import { renderDocument } from './layout.js'

/** The fields of the reset form a problem can be shown next to. */
export type ResetPasswordField = 'new_password' | 'new_password_again'

export interface ResetPasswordView extends FormView {
  productName: string
  /** The account the link is for, so nobody sets a password for an account that is not theirs. */
  username: string
  fieldErrors?: Partial<Record<ResetPasswordField, string>>
}

function fieldError(view: ResetPasswordView, field: ResetPasswordField): Html | null {
  const message = view.fieldErrors?.[field]
  return message === undefined ? null : html`<p class="field-error" id="${field}-error">${message}</p>`
}

function described(view: ResetPasswordView, field: ResetPasswordField, hint: boolean): Html | null {
  const error = view.fieldErrors?.[field] !== undefined
  const ids = [hint ? `${field}-hint` : null, error ? `${field}-error` : null].filter((id) => id !== null)
  return ids.length === 0 ? null : html` aria-describedby="${ids.join(' ')}"${error ? html` aria-invalid="true"` : null}`
}

/**
 * What a reset link opens: the new password, twice (no one can see what they typed). The hidden
 * username field is for password managers, which file the new password under it; it has no
 * name, so it is not sent.
 */
export function renderResetPassword(view: ResetPasswordView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Choose a new password',
    body: html`<h1>Choose a new password</h1>
<p class="lead">for the account <strong>${view.username}</strong></p>
<form method="post" action="${view.action}">
${hiddenFields(view, ['new_password', 'new_password_again'])}<input type="text" value="${view.username}" autocomplete="username" hidden readonly>
<div class="field">
<label for="new_password">New password</label>
<p class="hint" id="new_password-hint">At least 8 characters.</p>
${fieldError(view, 'new_password')}<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" required autofocus${described(view, 'new_password', true)}>
</div>
<div class="field">
<label for="new_password_again">New password again</label>
${fieldError(view, 'new_password_again')}<input id="new_password_again" name="new_password_again" type="password" autocomplete="new-password" required${described(view, 'new_password_again', false)}>
</div>
<button type="submit" class="button primary">Set new password</button>
</form>
<p class="note">Setting it signs you out everywhere: every browser and app signs in again with the new password.</p>`,
  })
}

export interface PasswordResetDoneView {
  productName: string
  signInUrl: string
}

export function renderPasswordResetDone(view: PasswordResetDoneView): string {
  return renderDocument({
    productName: view.productName,
    title: 'Password changed',
    body: html`<h1>Password changed</h1>
<p class="notice" role="status">Your new password is set, and you were signed out everywhere.</p>
<p><a class="button primary" href="${view.signInUrl}">Sign in</a></p>`,
  })
}
