/*
 * The demo app's one module, served as /demo/app.js by demo-routes.ts: plain modern JavaScript, no
 * dependencies, no build step — an OpenID Connect relying party to read and copy from.
 * Kept as a module rather than a file of its own, as the hosted pages' stylesheet is
 * (pages/pages-css.ts), so it is in dist/ after `tsc` (which copies no other files) and in an
 * installed package, with nothing to look up on disk. String.raw: served byte for byte as written
 * here, backslashes included; it contains no backtick and no dollar-brace, so nothing is
 * interpolated (test/http/demo.test.ts parses the served text with `node --check`).
 */
export const DEMO_SCRIPT = String.raw`// Tessera's demo app: an OpenID Connect relying party in one module, no dependencies, no build.
// It is a public client (a browser keeps no secret, RFC 6749 §2.1), so it proves who it is with
// PKCE (RFC 7636) and keeps its tokens in this module's memory only: never in localStorage, where
// any script of this origin could read them. Only the values of a sign-in in progress (state,
// nonce, verifier) wait in sessionStorage: this tab's, gone when the tab closes.

const CLIENT_ID = 'demo-app'
const SCOPE = 'openid profile email offline_access me items'
const SIGN_IN_KEY = 'tessera-demo:sign-in'
const SIGN_OUT_KEY = 'tessera-demo:sign-out'

/** The OpenID Provider's metadata (OIDC Discovery 1.0), fetched on load. */
let provider = null
/** The registered redirect URI, exactly: <issuer>/demo/. */
let redirectUri = null
/** { accessToken, refreshToken, idToken: { raw, header, claims }, expiresAt, scope } after sign-in; null before. */
let session = null

const $ = (id) => document.getElementById(id)

// ---- small pieces: random values, base64url, JWT decoding, forms --------------------------------

function base64url(bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** 32 random bytes, base64url: 43 characters, as RFC 7636 §4.1 recommends for a code verifier. */
function randomValue() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)))
}

/** RFC 7636 §4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))). */
async function s256(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))
  return base64url(new Uint8Array(digest))
}

function decodeJwtPart(part) {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '==='.slice((base64.length + 3) % 4))
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))))
}

/**
 * The id_token's header and claims. Its signature is not checked here: the token came straight
 * from the token endpoint over this page's own connection, which OIDC Core §3.1.3.7 (6) allows
 * in place of the signature check. A resource server verifies signatures with the JWKS.
 */
function decodeIdToken(idToken) {
  if (typeof idToken !== 'string') throw new DemoError('The token endpoint sent no id_token (was openid granted?)')
  const parts = idToken.split('.')
  if (parts.length !== 3) throw new DemoError('The id_token is not a JWT')
  return { raw: idToken, header: decodeJwtPart(parts[0]), claims: decodeJwtPart(parts[1]) }
}

class DemoError extends Error {}

/** POSTs a form (application/x-www-form-urlencoded, as RFC 6749 §4.1.3 requires) and reads the JSON answer. */
async function postForm(url, fields) {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields), headers: { accept: 'application/json' } })
  const text = await response.text()
  const body = text === '' ? {} : JSON.parse(text)
  if (!response.ok) {
    const reason = body.error_description ?? (typeof body.detail === 'string' ? body.detail : null) ?? body.error ?? response.statusText
    throw new DemoError(url + ' answered ' + response.status + ': ' + reason)
  }
  return body
}

function takeStored(key) {
  const raw = sessionStorage.getItem(key)
  sessionStorage.removeItem(key) // single use, whatever happens next
  return raw === null ? null : JSON.parse(raw)
}

// ---- what the page shows -------------------------------------------------------------------------

function showNotice(message, link) {
  const notice = $('notice')
  notice.replaceChildren(message)
  if (link !== undefined) {
    const a = document.createElement('a')
    a.href = link
    a.textContent = link
    notice.append(' ', a)
  }
  notice.hidden = false
}

function clearNotice() {
  $('notice').hidden = true
  $('notice').replaceChildren()
}

function showStatus(text) {
  $('status').textContent = text
}

function render() {
  const signedIn = session !== null
  $('sign-in').hidden = signedIn
  $('sign-in').disabled = provider === null
  $('refresh').hidden = !signedIn || session.refreshToken === undefined
  $('sign-out').hidden = !signedIn
  $('session').hidden = !signedIn
  if (!signedIn) return
  const { header, claims } = session.idToken
  $('id-token-header').textContent = 'Signed with ' + header.alg + ', key ' + (header.kid ?? '(none named)')
  $('claims').textContent = JSON.stringify(claims, null, 2)
  const expires = new Date(session.expiresAt)
  $('access-token').textContent = 'Expires at ' + expires.toLocaleTimeString() + ' (' + expires.toISOString() + '); scope: ' + session.scope
}

/** Runs one user action with the buttons disabled, showing any failure instead of losing it. */
async function act(work) {
  const buttons = [$('sign-in'), $('refresh'), $('sign-out')]
  for (const button of buttons) button.disabled = true
  clearNotice()
  try {
    await work()
  } catch (err) {
    showNotice(err instanceof DemoError ? err.message : 'Something went wrong: ' + err.message)
  } finally {
    for (const button of buttons) button.disabled = false
    render()
  }
}

// ---- the flows -------------------------------------------------------------------------------

/** OIDC Discovery 1.0: everything else is read from the provider's metadata. */
async function discover() {
  const response = await fetch('/.well-known/openid-configuration', { headers: { accept: 'application/json' } })
  if (!response.ok) throw new DemoError('/.well-known/openid-configuration answered ' + response.status)
  const metadata = await response.json()
  redirectUri = metadata.issuer.replace(/\/+$/, '') + '/demo/'
  return metadata
}

/** RFC 6749 §4.1.1 + RFC 7636 + OIDC Core §3.1.2.1: off to the authorization endpoint. */
async function signIn() {
  const signInValues = { state: randomValue(), nonce: randomValue(), verifier: randomValue() }
  const url = new URL(provider.authorization_endpoint)
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: redirectUri,
    scope: SCOPE,
    state: signInValues.state,
    nonce: signInValues.nonce,
    code_challenge: await s256(signInValues.verifier),
    code_challenge_method: 'S256',
  }).toString()
  sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify(signInValues))
  location.assign(url.href)
}

/** Back from the authorization endpoint with ?code=…&state=…&iss=… (RFC 6749 §4.1.2, RFC 9207). */
async function completeSignIn(params) {
  const expected = takeStored(SIGN_IN_KEY)
  if (expected === null) throw new DemoError('This tab started no sign-in (or already finished it): sign in again.')
  // RFC 6749 §10.12: a state we did not send is someone else's request (CSRF).
  if (params.get('state') !== expected.state) throw new DemoError('The state that came back is not the one sent: refusing the answer.')
  checkIssuer(params)
  const answer = await postForm(provider.token_endpoint, {
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri,
    client_id: CLIENT_ID,
    code_verifier: expected.verifier,
  })
  const idToken = decodeIdToken(answer.id_token)
  checkIdToken(idToken.claims)
  // OIDC Core §3.1.3.7 (11): the nonce binds the id_token to this browser's request (no replay).
  if (idToken.claims.nonce !== expected.nonce) throw new DemoError('The id_token\'s nonce is not the one sent: refusing it.')
  session = { idToken, ...tokensOf(answer) }
  const userInfo = await showUserInfo()
  showStatus('Signed in as ' + (userInfo.preferred_username ?? userInfo.sub))
}

/** RFC 9207: the iss of the answer names who sent it, so a code from another provider is not traded here. */
function checkIssuer(params) {
  const iss = params.get('iss')
  if (iss !== null && iss !== provider.issuer) throw new DemoError('The answer came from ' + iss + ', not ' + provider.issuer + ': refusing it.')
  if (iss === null && provider.authorization_response_iss_parameter_supported === true) {
    throw new DemoError('The answer does not name its issuer although the provider says it always does: refusing it.')
  }
}

/** OIDC Core §3.1.3.7 (2, 3, 9): for us, from our provider, not expired. */
function checkIdToken(claims) {
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (claims.iss !== provider.issuer) throw new DemoError('The id_token names another issuer: refusing it.')
  if (!audience.includes(CLIENT_ID)) throw new DemoError('The id_token is not for this app: refusing it.')
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now() - 60_000) throw new DemoError('The id_token has expired.')
}

function tokensOf(answer) {
  return {
    accessToken: answer.access_token,
    // A code-flow client gets a refresh token only when it asked for offline_access (OIDC Core §11).
    refreshToken: answer.refresh_token ?? session?.refreshToken,
    expiresAt: Date.now() + (typeof answer.expires_in === 'number' ? answer.expires_in : 0) * 1000,
    scope: answer.scope ?? SCOPE,
  }
}

/** OIDC Core §5.3: the claims the scopes allow (profile, email), read with the access token. */
async function showUserInfo() {
  const response = await fetch(provider.userinfo_endpoint, {
    headers: { authorization: 'Bearer ' + session.accessToken, accept: 'application/json' },
  })
  if (!response.ok) throw new DemoError(provider.userinfo_endpoint + ' answered ' + response.status)
  const userInfo = await response.json()
  // §5.3.2: the UserInfo sub MUST be the id_token's, or the answer is not about this user.
  if (userInfo.sub !== session.idToken.claims.sub) throw new DemoError('UserInfo describes another user than the id_token: refusing it.')
  $('userinfo').textContent = JSON.stringify(userInfo, null, 2)
  return userInfo
}

/** RFC 6749 §6: a new access token (and a rotated refresh token); openid brings a new id_token too. */
async function refresh() {
  let answer
  try {
    answer = await postForm(provider.token_endpoint, { grant_type: 'refresh_token', refresh_token: session.refreshToken, client_id: CLIENT_ID })
  } catch (err) {
    // The session ended at Tessera (logout, password change, reuse): this app is signed out too.
    session = null
    showStatus('Signed out')
    throw err
  }
  const previous = session.idToken.claims
  const idToken = answer.id_token === undefined ? session.idToken : decodeIdToken(answer.id_token)
  checkIdToken(idToken.claims)
  // OIDC Core §12.2: the same user, the same original sign-in, and a nonce only if it is the original one.
  if (idToken.claims.sub !== previous.sub) throw new DemoError('The refreshed id_token is about another user: refusing it.')
  if (idToken.claims.nonce !== undefined && idToken.claims.nonce !== previous.nonce) throw new DemoError('The refreshed id_token carries another nonce.')
  session = { ...session, idToken, ...tokensOf(answer) }
  const userInfo = await showUserInfo()
  showStatus('Signed in as ' + (userInfo.preferred_username ?? userInfo.sub) + ', refreshed at ' + new Date().toLocaleTimeString())
}

/** RFC 7009, then OIDC RP-Initiated Logout 1.0 §2: end the refresh family, then Tessera's browser session. */
async function signOut() {
  const { refreshToken, idToken } = session
  if (refreshToken !== undefined && provider.revocation_endpoint !== undefined) {
    await postForm(provider.revocation_endpoint, { token: refreshToken, token_type_hint: 'refresh_token', client_id: CLIENT_ID })
  }
  session = null
  if (provider.end_session_endpoint === undefined) {
    showStatus('Signed out')
    return
  }
  const state = randomValue()
  const url = new URL(provider.end_session_endpoint)
  url.search = new URLSearchParams({
    id_token_hint: idToken.raw,
    post_logout_redirect_uri: redirectUri,
    client_id: CLIENT_ID,
    state,
  }).toString()
  sessionStorage.setItem(SIGN_OUT_KEY, JSON.stringify({ state }))
  location.assign(url.href)
}

/** Back from the end-session endpoint with ?state=… (RP-Initiated Logout §3). */
function completeSignOut(params) {
  const expected = takeStored(SIGN_OUT_KEY)
  if (expected === null || params.get('state') !== expected.state) {
    throw new DemoError('This tab started no sign-out with that state: ignoring the answer.')
  }
  showStatus('Signed out')
}

// ---- on load ---------------------------------------------------------------------------------

async function start() {
  // The parameters of an answer are read once, then dropped from the address bar and history, so
  // a reload or a shared link does not replay them (and the code is not left lying around).
  const params = new URLSearchParams(location.search)
  if (location.search !== '') history.replaceState(null, '', location.pathname)

  provider = await discover()
  if (location.origin + location.pathname !== redirectUri) {
    provider = null
    showStatus('Not signed in')
    showNotice('Tessera knows this app by its registered address only (redirect URIs match exactly). Open it there:', redirectUri)
    return
  }
  if (globalThis.crypto?.subtle === undefined) {
    provider = null
    showStatus('Not signed in')
    showNotice('PKCE needs Web Crypto, which browsers offer only in a secure context: https, or http on 127.0.0.1 or localhost.')
    return
  }

  showStatus('Not signed in')
  if (params.has('error')) {
    // RFC 6749 §4.1.2.1: the provider refused, or the user denied consent.
    takeStored(SIGN_IN_KEY)
    const description = params.get('error_description')
    throw new DemoError('Sign-in did not complete: ' + params.get('error') + (description === null ? '' : ' (' + description + ')'))
  }
  if (params.has('code')) await completeSignIn(params)
  else if (params.has('state')) completeSignOut(params)
}

$('sign-in').addEventListener('click', () => act(signIn))
$('refresh').addEventListener('click', () => act(refresh))
$('sign-out').addEventListener('click', () => act(signOut))
act(start)
`
