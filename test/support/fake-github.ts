import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { esc, page, readBody, sendHtml } from './upstream-http.js'

export interface GitHubEmail {
  email: string
  primary: boolean
  verified: boolean
  /** GitHub's value: 'public' or 'private' for the primary address, null for the others (the default here). */
  visibility?: 'public' | 'private' | null
}

export interface GitHubUser {
  id: number
  login: string
  name: string | null
  emails: GitHubEmail[]
  password: string
}

export interface FakeGitHubOptions {
  clientId?: string
  clientSecret?: string
  /** When given, authorize and token requests must use one of these exactly; otherwise any redirect_uri goes. */
  redirectUris?: string[]
  /** The login of a user to sign in without showing the form (HTTP-only tests). */
  autoLogin?: string
  users?: GitHubUser[]
}

export interface FakeGitHub {
  /** `http://127.0.0.1:<port>`: web routes at /login/oauth/*, the API at `${baseUrl}/api/v3` (GitHub Enterprise's layout). */
  baseUrl: string
  clientId: string
  clientSecret: string
  addUser(user: GitHubUser): void
  setAutoLogin(login: string | undefined): void
  close(): Promise<void>
}

interface PendingCode {
  login: string
  redirectUri: string
  scope: string
  challenge: string | undefined
  expiresAt: number
}

const CODE_TTL_MS = 10 * 60_000

/**
 * GitHub's OAuth app endpoints, and the two API calls a "Sign in with GitHub" needs, as a node:http
 * server on 127.0.0.1 at a free port. It copies GitHub's quirks that a relying party must cope with:
 * token errors come back as HTTP 200 with an `error` field, the token answer is form-encoded unless
 * asked for JSON, scopes are comma-separated, and /user/emails is a 404 without the user:email scope.
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const users = new Map<string, GitHubUser>()
  for (const user of options.users ?? []) users.set(user.login, user)
  let autoLogin = options.autoLogin
  const clientId = options.clientId ?? `Iv1.${randomBytes(8).toString('hex')}`
  const clientSecret = options.clientSecret ?? randomBytes(20).toString('hex')
  const codes = new Map<string, PendingCode>()
  const tokens = new Map<string, { login: string; scope: string }>()

  /** Checks the authorize parameters; returns an error message, as GitHub shows them on a page rather than redirecting. */
  function checkAuthorize(p: URLSearchParams): string | undefined {
    if (p.get('client_id') !== clientId) return 'Unknown client_id.'
    const redirectUri = p.get('redirect_uri')
    if (!redirectUri || (options.redirectUris && !options.redirectUris.includes(redirectUri))) {
      return 'The redirect_uri MUST match the registered callback URL for this application.'
    }
    if (p.has('code_challenge') && (p.get('code_challenge_method') ?? 'S256') !== 'S256') return 'Only S256 code challenges are supported.'
    return undefined
  }

  function redirectWithCode(res: ServerResponse, p: URLSearchParams, login: string) {
    const code = randomBytes(10).toString('hex')
    const redirectUri = p.get('redirect_uri') as string
    codes.set(code, {
      login,
      redirectUri,
      scope: (p.get('scope') ?? '').split(/[\s,]+/).filter(Boolean).join(','),
      challenge: p.get('code_challenge') ?? undefined,
      expiresAt: Date.now() + CODE_TTL_MS,
    })
    const target = new URL(redirectUri)
    target.searchParams.set('code', code)
    if (p.has('state')) target.searchParams.set('state', p.get('state') as string)
    res.writeHead(302, { location: target.href }).end()
  }

  async function authorize(req: IncomingMessage, res: ServerResponse, query: URLSearchParams) {
    const p = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : query
    const problem = checkAuthorize(p)
    if (problem) return sendHtml(res, 400, page('Error', `<p>${esc(problem)}</p>`))
    if (req.method === 'GET') {
      if (autoLogin !== undefined && users.has(autoLogin)) return redirectWithCode(res, p, autoLogin)
      return sendForm(res, 200, p, '')
    }
    const name = (p.get('login') ?? '').trim().toLowerCase()
    const user = [...users.values()].find((u) =>
      (u.login.toLowerCase() === name || u.emails.some((e) => e.email.toLowerCase() === name)) && u.password === p.get('password'))
    if (!user) return sendForm(res, 401, p, 'Incorrect username or password.')
    return redirectWithCode(res, p, user.login)
  }

  async function accessToken(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req)
    const body: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
      ? JSON.parse(raw || '{}')
      : Object.fromEntries(new URLSearchParams(raw))
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined)
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    // RFC 6749 2.3.1: each half is form-encoded before the pair is base64-encoded.
    const pair = basic ? Buffer.from(basic, 'base64').toString() : undefined
    const [id, secret] = pair
      ? [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)].map((s) => decodeURIComponent(s.replace(/\+/g, ' ')))
      : [field('client_id'), field('client_secret')]
    const answer = (fields: Record<string, string>) => {
      // GitHub answers 200 even for errors, form-encoded unless the client asks for JSON.
      const json = (req.headers.accept ?? '').includes('application/json')
      res.writeHead(200, { 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8' })
        .end(json ? JSON.stringify(fields) : new URLSearchParams(fields).toString())
    }
    if (id !== clientId || !secret || !same(secret, clientSecret)) {
      return answer({ error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.' })
    }
    const code = field('code') ?? ''
    const pending = codes.get(code)
    codes.delete(code) // single use, whatever the outcome
    const badCode = { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }
    if (!pending || pending.expiresAt < Date.now()) return answer(badCode)
    const redirectUri = field('redirect_uri')
    if (redirectUri !== undefined && redirectUri !== pending.redirectUri) {
      return answer({ error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' })
    }
    if (pending.challenge !== undefined) {
      const verifier = field('code_verifier') ?? ''
      if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return answer(badCode)
    }
    const token = `gho_${randomBytes(18).toString('base64url')}`
    tokens.set(token, { login: pending.login, scope: pending.scope })
    return answer({ access_token: token, token_type: 'bearer', scope: pending.scope })
  }

  function api(req: IncomingMessage, res: ServerResponse, path: string) {
    const token = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    const grant = token ? tokens.get(token) : undefined
    const user = grant ? users.get(grant.login) : undefined
    if (!grant || !user) return sendJson(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' })
    res.setHeader('x-oauth-scopes', grant.scope.split(',').join(', '))
    const emails = user.emails.map((e) => ({ email: e.email, primary: e.primary, verified: e.verified, visibility: e.visibility ?? null }))
    if (path === '/user') {
      // `email` is the public profile address: null unless the primary one is public.
      const email = emails.find((e) => e.primary && e.visibility === 'public')?.email ?? null
      return sendJson(res, 200, { login: user.login, id: user.id, node_id: `U_${user.id}`, type: 'User', name: user.name, email })
    }
    if (path === '/user/emails') {
      const scopes = grant.scope.split(',')
      // GitHub hides what a token may not see behind a 404, not a 403.
      if (!scopes.includes('user:email') && !scopes.includes('user')) return sendJson(res, 404, { message: 'Not Found', status: '404' })
      return sendJson(res, 200, emails)
    }
    return sendJson(res, 404, { message: 'Not Found', status: '404' })
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const route = `${req.method} ${url.pathname}`
    let done: Promise<void> | void
    if (route === 'GET /login/oauth/authorize' || route === 'POST /login/oauth/authorize') done = authorize(req, res, url.searchParams)
    else if (route === 'POST /login/oauth/access_token') done = accessToken(req, res)
    else if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) done = api(req, res, url.pathname.slice('/api/v3'.length))
    else done = sendJson(res, 404, { message: 'Not Found', status: '404' })
    Promise.resolve(done).catch((error: Error) => {
      if (!res.headersSent) sendJson(res, 400, { message: error.message })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    addUser: (user) => void users.set(user.login, user),
    setAutoLogin: (login) => void (autoLogin = login),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()))
      server.closeAllConnections()
    }),
  }
}

/** The sign-in page; the authorize parameters ride along as hidden fields, so no cookie is needed. */
function sendForm(res: ServerResponse, status: number, p: URLSearchParams, error: string) {
  const hidden = ['client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method']
    .filter((k) => p.has(k))
    .map((k) => `<input type="hidden" name="${k}" value="${esc(p.get(k) as string)}">`)
    .join('')
  sendHtml(res, status, page('Sign in to GitHub', `${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login/oauth/authorize">${hidden}
  <p><label for="login">Username</label> <input id="login" name="login" autocomplete="username" required autofocus></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit">Sign in</button></p>
</form>`))
}

function same(a: string, b: string) {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body))
}




