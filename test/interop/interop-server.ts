import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.js'
import {
  HashAdmission, addSigningKey, createPasswordHasher, generateClientId, generateClientSecret, hashClientSecret, systemClock,
  type NewClient, type SigningAlgorithm, type UserRecord,
} from '../../src/core/index.js'
import { startServer, type RunningServer } from '../../src/http/server.js'
import { openStore } from '../../src/storage/index.js'
import { formOf } from '../http/sign-in-helpers.js'
import { PASSWORD } from '../http/test-server.js'
import { closedPort } from '../support/redis.js'

/*
 * What the relying-party interoperability suites share: a real Tessera listening on 127.0.0.1
 * (startServer, as `tessera serve` runs it, on a SQLite file of its own, on the real clock, so
 * the libraries check `iat`/`exp` against the time they see), the clients they act as, and a
 * browser over fetch for the suites that drive the hosted pages without Chromium.
 */

export { PASSWORD }

/** How a test registers a client: anything of NewClient; public, code flow, all identity scopes unless said otherwise. */
export type ClientSpec = Partial<Omit<NewClient, 'id' | 'secretHash'>>

export interface InteropClient { id: string; secret: string | null; redirectUri: string; postLogoutRedirectUri: string }

export interface InteropServer<K extends string> {
  /** `http://127.0.0.1:PORT`: the issuer, exactly as in `iss` and the metadata. */
  issuer: string
  url: URL
  johndoe: UserRecord
  clients: Record<K, InteropClient>
  close(): Promise<void>
}

export interface InteropOptions<K extends string> {
  redirectUri: string
  postLogoutRedirectUri: string
  clients: Record<K, ClientSpec>
  /** Makes access tokens asymmetric (verifiable with the JWKS), as `tessera keys generate --alg` does. */
  accessTokenAlgorithm?: SigningAlgorithm
}

/**
 * Seeds johndoe, the clients and the keys into a fresh SQLite file, then starts the server on it.
 * Seeding goes through the store directly (as the CLI does) before the server opens the file.
 */
export async function startInteropServer<K extends string>(options: InteropOptions<K>): Promise<InteropServer<K>> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-interop-'))
  const databaseUrl = `sqlite:${join(dir, 'tessera.db')}`
  let running: RunningServer | undefined
  try {
    const port = await closedPort()
    const store = await openStore(databaseUrl)
    let johndoe: UserRecord
    const clients = {} as Record<K, InteropClient>
    try {
      const hasher = createPasswordHasher({ admission: new HashAdmission({ concurrency: 1, queueLimit: 4 }) })
      johndoe = await store.users.create({
        username: 'johndoe', passwordHash: await hasher.hash(PASSWORD), email: 'johndoe@example.com', fullName: 'John Doe', scopes: ['me', 'items'],
      })
      for (const [name, spec] of Object.entries(options.clients) as [K, ClientSpec][]) {
        const secret = spec.type === 'confidential' ? generateClientSecret() : null
        const client = await store.clients.create({
          id: generateClientId(), name: 'Example App', type: 'public', grantTypes: ['authorization_code', 'refresh_token'],
          scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
          redirectUris: [options.redirectUri], postLogoutRedirectUris: [options.postLogoutRedirectUri],
          ...spec, secretHash: secret === null ? null : hashClientSecret(secret),
        })
        clients[name] = { id: client.id, secret, redirectUri: options.redirectUri, postLogoutRedirectUri: options.postLogoutRedirectUri }
      }
      if (options.accessTokenAlgorithm !== undefined) {
        await addSigningKey(options.accessTokenAlgorithm, { keys: store.signingKeys, clock: systemClock })
      }
    } finally {
      await store.close()
    }
    const config = loadConfig({}, { host: '127.0.0.1', port, databaseUrl, logLevel: 'silent', hashConcurrency: 1 })
    running = await startServer(config, { handleSignals: false })
    const server = running
    return {
      issuer: config.issuer, url: new URL(config.issuer), johndoe, clients,
      async close() {
        await server.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (err) {
    await running?.close()
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

/** The relying party's own loopback listener: its redirect and post-logout URIs land here (a plain page). */
export interface CallbackListener {
  origin: string
  redirectUri: string
  postLogoutRedirectUri: string
  close(): Promise<void>
}

export async function startCallbackListener(): Promise<CallbackListener> {
  const server: Server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    response.end(`<!doctype html><title>Example App</title><p>Example App received ${request.url?.split('?')[0] ?? ''}</p>`)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const origin = `http://127.0.0.1:${port}`
  return {
    origin, redirectUri: `${origin}/callback`, postLogoutRedirectUri: `${origin}/bye`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

/** One answer as a browser sees it: status, Location, body. */
export interface Answer { status: number; location: string | null; body: string }

/**
 * A browser over fetch against the listening server: one cookie per name (the last Set-Cookie
 * wins, Max-Age=0 deletes), redirects not followed, and form POSTs with the headers Chromium
 * sends from our pages (Sec-Fetch-Site: same-origin, Origin: null under no-referrer).
 */
export class FetchBrowser {
  readonly cookies = new Map<string, string>()
  constructor(readonly issuer: string) {}

  private async answer(url: string, init: RequestInit): Promise<Answer> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
    const res = await fetch(new URL(url, this.issuer), { ...init, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return { status: res.status, location: res.headers.get('location'), body: await res.text() }
  }

  get(url: string): Promise<Answer> {
    return this.answer(url, { method: 'GET', headers: { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' } })
  }

  post(url: string, fields: Record<string, string>): Promise<Answer> {
    return this.answer(url, {
      method: 'POST', body: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', origin: 'null' },
    })
  }

  /** Submits the page's form (its action and hidden fields) with `fields` filled in. */
  submit(page: Answer, fields: Record<string, string> = {}): Promise<Answer> {
    const { action, hidden } = formOf(page.body)
    return this.post(action, { ...hidden, ...fields })
  }

  /**
   * /authorize → sign-in page (if not signed in) → consent page (if asked) → `decision`: the
   * redirect Tessera answers with, as the URL the app's callback receives.
   */
  async authorize(authorizationUrl: URL | string, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
    let page = await this.get(String(authorizationUrl))
    if (page.status === 200 && page.body.includes('name="password"')) page = await this.submit(page, { username: 'johndoe', password: PASSWORD })
    if (page.status === 303 && page.location?.startsWith('/consent') === true) page = await this.get(page.location)
    if (page.status === 200 && page.body.includes('value="allow"')) page = await this.submit(page, { decision })
    if (page.location === null) throw new Error(`expected a redirect to the app, got ${page.status}:\n${page.body.slice(0, 2000)}`)
    return new URL(page.location, this.issuer)
  }
}
