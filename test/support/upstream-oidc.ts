import { generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
// @ts-expect-error -- oidc-provider ships no type declarations; the little used here is typed below.
import { Provider as UntypedProvider } from 'oidc-provider'
import { esc, page, readBody, sendHtml } from './upstream-http.js'

/** An account at the upstream identity provider, with the claims Google would assert about it. */
export interface UpstreamUser {
  sub: string
  email: string
  email_verified: boolean
  name: string
  password: string
}

export interface UpstreamOidcOptions {
  /** The client's registered redirect URIs, e.g. `http://127.0.0.1:<tessera-port>/signin/callback/google`. */
  redirectUris: string[]
  clientId?: string
  clientSecret?: string
  /**
   * oidc-provider accepts only the method registered for the client. Default `client_secret_post`,
   * which is also what openid-client uses when given a bare secret.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post'
  /** The `sub` of a user to sign in without showing the form (HTTP-only tests); consent is always automatic. */
  autoLogin?: string
  users?: UpstreamUser[]
}

export interface UpstreamOidc {
  /** `http://127.0.0.1:<port>`: also the discovery base (`/.well-known/openid-configuration`). */
  issuer: string
  clientId: string
  clientSecret: string
  /** The private RS256 key that signs ID tokens (kid included), for tests that forge tokens the RP must reject. */
  signingKey: JsonWebKey
  addUser(user: UpstreamUser): void
  /** Change (or with `undefined` stop) the automatic sign-in for the next authorization requests. */
  setAutoLogin(sub: string | undefined): void
  close(): Promise<void>
}

// The corner of oidc-provider's API this fixture touches.
interface Interaction {
  uid: string
  prompt: { name: string }
  params: Record<string, unknown>
  grantId?: string
  session?: { accountId?: string }
}
interface Grant {
  accountId: string
  addOIDCScope(scope: string): void
  save(): Promise<string>
}
interface Provider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: object, options?: object): Promise<void>
  Grant: { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> }
}
const ProviderClass = UntypedProvider as new (issuer: string, configuration: object) => Provider

const INTERACTION = /^\/interaction\/([\w-]+)(\/login)?$/

/**
 * A real OpenID Provider (oidc-provider) on 127.0.0.1 at a free port, standing in for Google: one
 * confidential client, code flow with PKCE S256 required, scopes openid email profile, RS256 ID tokens.
 * Sign-in is a one-page form (labelled "Email" and "Password", button "Sign in"); consent is granted
 * automatically so a browser test clicks once.
 */
export async function startUpstreamOidc(options: UpstreamOidcOptions): Promise<UpstreamOidc> {
  const users = new Map<string, UpstreamUser>()
  for (const user of options.users ?? []) users.set(user.sub, user)
  let autoLogin = options.autoLogin
  const clientId = options.clientId ?? 'upstream-client'
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url')
  const signingKey: JsonWebKey = {
    ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  }

  // The issuer names the port, so listen first and build the provider once the port is known.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end()
  const server = createServer((req, res) => handle(req, res))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`

  const provider = new ProviderClass(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: options.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_post',
    }],
    jwks: { keys: [signingKey] },
    adapter: memoryAdapter(),
    async findAccount(_ctx: unknown, sub: string) {
      const user = users.get(sub)
      if (!user) return undefined
      return { accountId: sub, claims: async () => ({ sub, email: user.email, email_verified: user.email_verified, name: user.name }) }
    },
    // Scopes named here as claim groups are offered too: openid email profile, and no offline_access.
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid'],
    // Google puts the scope's claims in the ID token itself; oidc-provider by default keeps them for userinfo.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Not something Google offers; off so discovery does not advertise it.
      pushedAuthorizationRequests: { enabled: false },
    },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Cookies ignore ports: a browser would share oidc-provider's default `_session` with Tessera and other upstreams.
      names: { session: `op${port}_session`, interaction: `op${port}_interaction`, resume: `op${port}_resume` },
    },
    // Explicit values keep oidc-provider from logging "you SHOULD change" notices for its defaults.
    ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 600, Session: 86_400, Grant: 86_400 },
    clientBasedCORS: () => false,
    // The default error page loads a web font; this one needs no network.
    async renderError(ctx: { type: string; body: string }, out: Record<string, unknown>) {
      ctx.type = 'html'
      ctx.body = page('Sign-in error', Object.entries(out).map(([k, v]) => `<p><b>${esc(k)}</b>: ${esc(String(v))}</p>`).join(''))
    },
  })
  const oidc = provider.callback()

  // Sign `accountId` in and grant the requested scopes, so consent never needs a page of its own.
  async function finish(req: IncomingMessage, res: ServerResponse, details: Interaction, accountId: string) {
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined
    const grant = existing?.accountId === accountId ? existing : new provider.Grant({ accountId, clientId })
    grant.addOIDCScope(String(details.params.scope ?? 'openid'))
    const grantId = await grant.save()
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false })
  }

  async function interaction(req: IncomingMessage, res: ServerResponse, path: string, submitted: boolean) {
    const details = await provider.interactionDetails(req, res)
    const signedIn = details.session?.accountId
    if (details.prompt.name !== 'login' && signedIn) return finish(req, res, details, signedIn)
    if (!submitted && autoLogin !== undefined) return finish(req, res, details, autoLogin)
    if (!submitted) return sendForm(res, 200, `${path}/login`, '')
    const form = new URLSearchParams(await readBody(req))
    const email = (form.get('email') ?? '').trim().toLowerCase()
    const user = [...users.values()].find((u) => u.email.toLowerCase() === email && u.password === form.get('password'))
    if (!user) return sendForm(res, 401, `${path}/login`, 'Wrong email or password.')
    return finish(req, res, details, user.sub)
  }

  handle = (req, res) => {
    const { pathname } = new URL(req.url ?? '/', issuer)
    const match = INTERACTION.exec(pathname)
    if (!match) return oidc(req, res)
    const submitted = match[2] !== undefined
    if (submitted !== (req.method === 'POST')) return void res.writeHead(405).end()
    interaction(req, res, `/interaction/${match[1]}`, submitted).catch((error: Error & { error_description?: string }) => {
      // Typically SessionNotFound: the interaction cookie is missing (client kept no cookies) or expired.
      if (!res.headersSent) sendHtml(res, 400, page('Sign-in error', `<p>${esc(error.error_description ?? error.message)}</p>`))
    })
  }

  return {
    issuer,
    clientId,
    clientSecret,
    signingKey,
    addUser: (user) => void users.set(user.sub, user),
    setAutoLogin: (sub) => void (autoLogin = sub),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()))
      server.closeAllConnections()
    }),
  }
}

function sendForm(res: ServerResponse, status: number, action: string, error: string) {
  sendHtml(res, status, page('Sign in', `${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}">
  <p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required autofocus></p>
  <p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit">Sign in</button></p>
</form>`))
}





/**
 * Storage for one provider's sessions, codes and grants. oidc-provider has its own in-memory adapter
 * but warns on every start that it is for development only, which is all this ever is.
 */
function memoryAdapter() {
  type Entry = { payload: Record<string, unknown>; expiresAt: number }
  const store = new Map<string, Entry>()
  const get = (key: string) => {
    const entry = store.get(key)
    if (entry && entry.expiresAt < Date.now()) store.delete(key)
    return entry && entry.expiresAt >= Date.now() ? entry.payload : undefined
  }
  return (model: string) => ({
    async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
      store.set(`${model}:${id}`, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity })
    },
    find: async (id: string) => get(`${model}:${id}`),
    findByUid: async (uid: string) =>
      [...store.keys()].filter((k) => k.startsWith(`${model}:`)).map(get).find((p) => p?.uid === uid),
    findByUserCode: async () => undefined,
    async consume(id: string) {
      const payload = get(`${model}:${id}`)
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    },
    destroy: async (id: string) => void store.delete(`${model}:${id}`),
    // A replayed code revokes everything issued under its grant.
    async revokeByGrantId(grantId: string) {
      for (const key of [...store.keys()]) if (get(key)?.grantId === grantId) store.delete(key)
    },
  })
}
