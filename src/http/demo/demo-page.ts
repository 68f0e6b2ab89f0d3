/*
 * The demo app's page, served at /demo/ (its registered redirect URI) by demo-routes.ts: no inline
 * script or style, so the demo CSP needs no 'unsafe-inline'.
 * Kept as a module rather than a file of its own, as the hosted pages' stylesheet is
 * (pages/pages-css.ts), so it is in dist/ after `tsc` (which copies no other files) and in an
 * installed package, with nothing to look up on disk. String.raw: served byte for byte as written
 * here, backslashes included; it contains no backtick and no dollar-brace, so nothing is
 * interpolated (test/http/demo.test.ts parses the served text with `node --check`).
 */
export const DEMO_PAGE = String.raw`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera demo app</title>
<link rel="stylesheet" href="/demo/demo.css">
<script type="module" src="/demo/app.js"></script>
</head>
<body>
<main>
  <header>
    <h1>Tessera demo app</h1>
    <p>A web app that signs its users in with Tessera: OpenID Connect, authorization code + PKCE, no client secret.
    All of it is one module, <a href="/demo/app.js">/demo/app.js</a>.</p>
  </header>

  <noscript><p class="notice">This example app is JavaScript (Tessera's own sign-in pages are not): turn JavaScript on to try it.</p></noscript>
  <div id="notice" class="notice" role="alert" hidden></div>
  <p id="status" role="status">Loading…</p>

  <div class="actions">
    <button id="sign-in" type="button" disabled>Sign in with Tessera</button>
    <button id="refresh" type="button" hidden>Refresh</button>
    <button id="sign-out" type="button" hidden>Sign out</button>
  </div>

  <div id="session" hidden>
    <section aria-labelledby="claims-heading">
      <h2 id="claims-heading">ID token claims</h2>
      <p id="id-token-header"></p>
      <pre id="claims"></pre>
    </section>
    <section aria-labelledby="userinfo-heading">
      <h2 id="userinfo-heading">UserInfo</h2>
      <pre id="userinfo"></pre>
    </section>
    <section aria-labelledby="access-token-heading">
      <h2 id="access-token-heading">Access token</h2>
      <p id="access-token"></p>
    </section>
  </div>
</main>
</body>
</html>
`
