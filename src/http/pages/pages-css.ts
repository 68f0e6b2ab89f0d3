/*
 * The hosted pages' stylesheet, served at /assets/pages.css (assets.ts). Kept as a module rather
 * than a .css file so it is in dist/ after `tsc` (which copies no other files) and in an
 * installed package, with nothing to look up on disk. No web fonts, no images, no url(): the
 * page CSP's style-src 'self' and img-src 'self' have nothing else to allow. Colours meet WCAG
 * 2.2 AA: text 4.5:1 or more, borders and focus rings 3:1 or more (§1.4.3, §1.4.11); buttons
 * and fields are at least 44px tall (§2.5.5's size).
 */
export const PAGE_STYLES = `:root {
  color-scheme: light dark;
  --bg: #f3f4f6;
  --card: #ffffff;
  --text: #1b1f24;
  --muted: #545d68;
  --border: #d6dae0;
  --field-border: #6b7480;
  --primary: #1d5bb8;
  --primary-hover: #174a96;
  --primary-text: #ffffff;
  --focus: #1d5bb8;
  --alert-bg: #fdeceb;
  --alert-border: #c0362c;
  --alert-text: #7f1d17;
  --code-bg: #eceff3;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111318;
    --card: #1b1e24;
    --text: #e7e9ec;
    --muted: #a7aeb8;
    --border: #343a44;
    --field-border: #7d8693;
    --primary: #6ea8ff;
    --primary-hover: #94bfff;
    --primary-text: #0b1526;
    --focus: #94bfff;
    --alert-bg: #3b1a18;
    --alert-border: #ff8a80;
    --alert-text: #ffdad6;
    --code-bg: #272c34;
  }
}

*, *::before, *::after { box-sizing: border-box; }

html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }

body {
  margin: 0;
  min-height: 100vh;
  padding: 1rem;
  background: var(--bg);
  color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
}

.product, .card { max-width: 26rem; margin-inline: auto; }

.product { margin-block: 2.5rem 1rem; font-size: 1.125rem; font-weight: 600; }

.card {
  padding: 1.75rem 1.5rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 0.75rem;
  box-shadow: 0 1px 3px rgb(0 0 0 / 0.08);
  overflow-wrap: anywhere;
}

h1 { margin: 0 0 0.5rem; font-size: 1.5rem; line-height: 1.25; }

p { margin: 0 0 1rem; }

form { margin: 0; }

.lead, .note { color: var(--muted); }

.note { margin: 1.25rem 0 0; font-size: 0.875rem; }

.field { margin-bottom: 1rem; }

label { display: block; margin-bottom: 0.375rem; font-weight: 600; }

input[type="text"], input[type="password"], input[type="email"] {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  padding: 0.5rem 0.75rem;
  font: inherit;
  color: inherit;
  background: var(--card);
  border: 1px solid var(--field-border);
  border-radius: 0.5rem;
}

.button {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  padding: 0.625rem 1rem;
  font: inherit;
  font-weight: 600;
  line-height: 1.5;
  text-align: center;
  border: 1px solid transparent;
  border-radius: 0.5rem;
  cursor: pointer;
}

.primary { background: var(--primary); color: var(--primary-text); }

.primary:hover { background: var(--primary-hover); }

.secondary { background: transparent; color: var(--text); border-color: var(--field-border); }

.secondary:hover { background: var(--code-bg); }

.field + .button, .actions, h1 + form { margin-top: 1.5rem; }

.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.75rem; }

input:focus-visible, .button:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}

.alert {
  margin: 1rem 0;
  padding: 0.75rem 1rem;
  color: var(--alert-text);
  background: var(--alert-bg);
  border: 1px solid var(--alert-border);
  border-inline-start-width: 4px;
  border-radius: 0.5rem;
}

.scopes { margin: 0 0 1rem; padding: 0; list-style: none; border-top: 1px solid var(--border); }

.scopes li { padding: 0.75rem 0; border-bottom: 1px solid var(--border); }

.scopes span { display: block; margin-top: 0.25rem; }

code {
  padding: 0.125rem 0.375rem;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 0.875em;
  background: var(--code-bg);
  border-radius: 0.25rem;
}

@media (max-width: 30rem) {
  body { padding: 0.75rem; }
  .product { margin-block: 0.5rem 0.75rem; }
  .card { padding: 1.25rem 1rem; }
}

/* The account and sign-up pages (issue 10): sections, badges, lists of sign-ins and apps, codes. */
:root { --ok-bg: #e6f4ea; --ok-border: #2f8a4a; --ok-text: #17522a; }

@media (prefers-color-scheme: dark) {
  :root { --ok-bg: #173524; --ok-border: #6fcf8e; --ok-text: #c5f2d2; }
}

.card a { color: var(--primary); }

.card a.button { color: var(--primary-text); text-decoration: none; }

.card a.button.secondary { color: var(--text); }

/* "Sign in with …" (issue 11): the providers' buttons under a divider, one per line. */
.providers { margin-top: 1.5rem; display: grid; gap: 0.75rem; }

.divider { display: flex; align-items: center; gap: 0.75rem; margin: 0; color: var(--muted); font-size: 0.875rem; }

.divider::before, .divider::after { content: ''; flex: 1; border-top: 1px solid var(--field-border); }

.hint, .field-error { margin: 0 0 0.375rem; font-size: 0.875rem; }

.hint, .optional, .muted, .meta { color: var(--muted); }

.optional { font-weight: 400; }

.field-error { color: var(--alert-text); font-weight: 600; }

input[aria-invalid="true"] { border-color: var(--alert-border); border-width: 2px; }

.notice {
  margin: 1rem 0;
  padding: 0.75rem 1rem;
  color: var(--ok-text);
  background: var(--ok-bg);
  border: 1px solid var(--ok-border);
  border-inline-start-width: 4px;
  border-radius: 0.5rem;
}

.account-section { margin-top: 1.75rem; padding-top: 1.25rem; border-top: 1px solid var(--border); }

.account-section > form + form { margin-top: 1rem; }

.account-section > .note:not(:last-child) { margin: 0 0 1rem; }

h2 { margin: 0 0 0.75rem; font-size: 1.125rem; line-height: 1.3; }

.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.25rem 1rem; margin: 0 0 1rem; }

.facts dt { font-weight: 600; }

.facts dd { margin: 0; }

.badge {
  display: inline-block;
  padding: 0 0.5rem;
  font-size: 0.8125rem;
  font-weight: 600;
  line-height: 1.5rem;
  white-space: nowrap;
  border: 1px solid;
  border-radius: 999px;
}

.badge.ok { color: var(--ok-text); background: var(--ok-bg); border-color: var(--ok-border); }

.badge.warn { color: var(--alert-text); background: var(--alert-bg); border-color: var(--alert-border); }

.items { margin: 0 0 1rem; padding: 0; list-style: none; border-top: 1px solid var(--border); }

.items > li { padding: 0.75rem 0; border-bottom: 1px solid var(--border); }

.items .meta { display: block; font-size: 0.875rem; }

.items form { margin-top: 0.5rem; }

.items .scopes { margin: 0.5rem 0 0; border-top: 0; font-size: 0.875rem; }

.items .scopes li { padding: 0.25rem 0; border-bottom: 0; }

.danger { background: transparent; color: var(--alert-text); border-color: var(--alert-border); }

.danger:hover { background: var(--alert-bg); }

.steps { margin: 0 0 1rem; padding-inline-start: 1.25rem; }

.qr { margin: 0 0 1rem; text-align: center; }

.qr svg { display: block; width: 100%; max-width: 14rem; height: auto; margin: 0 auto 0.5rem; padding: 0.5rem; background: #ffffff; border-radius: 0.5rem; }

.qr figcaption { color: var(--muted); font-size: 0.875rem; }

.field-label { margin-bottom: 0.25rem; font-weight: 600; }

.secret { display: inline-block; font-size: 1rem; letter-spacing: 0.05em; word-spacing: 0.25em; }

.codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(10.5rem, 1fr)); gap: 0.5rem; margin: 0 0 1rem; padding: 0; list-style: none; }

.codes code { display: block; padding: 0.375rem 0.5rem; font-size: 1rem; text-align: center; }
`
