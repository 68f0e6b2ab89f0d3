/*
 * The demo app's stylesheet, served as /demo/demo.css by demo-routes.ts.
 * Kept as a module rather than a file of its own, as the hosted pages' stylesheet is
 * (pages/pages-css.ts), so it is in dist/ after `tsc` (which copies no other files) and in an
 * installed package, with nothing to look up on disk. String.raw: served byte for byte as written
 * here, backslashes included; it contains no backtick and no dollar-brace, so nothing is
 * interpolated (test/http/demo.test.ts parses the served text with `node --check`).
 */
export const DEMO_STYLES = String.raw`/* The demo app's only styles: readable on a phone, no web fonts, nothing from another origin. */
:root {
  color-scheme: light dark;
  --accent: #2f5bd3;
  --muted: #6b7280;
  --border: #d0d4dc;
  --notice: #b42318;
}

[hidden] { display: none !important; }

body {
  margin: 0;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}

main {
  max-width: 46rem;
  margin: 0 auto;
  padding: 1.5rem 1rem 3rem;
}

h1 { font-size: 1.6rem; margin: 0 0 0.5rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
header p, #id-token-header, #access-token { color: var(--muted); }

.actions { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1rem 0; }

button {
  font: inherit;
  padding: 0.6rem 1.2rem;
  border: 1px solid var(--accent);
  border-radius: 0.4rem;
  background: var(--accent);
  color: #fff;
  cursor: pointer;
}
button#refresh, button#sign-out { background: transparent; color: var(--accent); }
button:disabled { opacity: 0.5; cursor: default; }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }

.notice {
  border: 1px solid var(--notice);
  border-left-width: 0.4rem;
  border-radius: 0.4rem;
  padding: 0.75rem 1rem;
  color: var(--notice);
}
.notice a { color: inherit; font-weight: 600; }

pre {
  margin: 0;
  padding: 0.75rem 1rem;
  overflow-x: auto;
  border: 1px solid var(--border);
  border-radius: 0.4rem;
  font-size: 0.875rem;
  white-space: pre-wrap;
  word-break: break-all;
}
`
