import Sqlite from 'better-sqlite3'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { expect } from 'vitest'
import { generateClientId, generateClientSecret, hashClientSecret, s256Challenge, type ClientRecord, type NewClient } from '../../src/core/index.js'
import { ISSUER, PASSWORD, type TestServer } from './test-server.js'

/*
 * A browser over Fastify's inject: it keeps cookies like a browser would (per name, the last
 * Set-Cookie wins, Max-Age=0 deletes), sends the headers Chromium sends on a same-origin form
 * POST, and reads the hidden fields of the pages' forms. The sign-in and attack suites drive the
 * real routes through it; the Chromium suites drive the same routes through a real browser.
 */

export const REDIRECT_URI = 'https://app.example.com/callback'
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'                 // RFC 7636 Appendix B
export const CHALLENGE = s256Challenge(VERIFIER)

export class TestBrowser {
  readonly cookies = new Map<string, string>()
  constructor(readonly server: TestServer) {}

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    const raw = res.headers['set-cookie']
    for (const line of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (/max-age=0/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return res
  }

  cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(await this.server.app.inject({ method: 'GET', url, headers: { ...this.cookieHeader(), ...headers } }))
  }

  /** A form POST as Chromium sends it from one of our pages (Origin: null under Referrer-Policy: no-referrer). */
  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.remember(await this.server.app.inject({
      method: 'POST', url, payload: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', origin: 'null', ...this.cookieHeader(), ...headers },
    }))
  }

  /** Submits the page's form (its action and hidden fields) with `fields` filled in. */
  async submit(page: LightMyRequestResponse, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const { action, hidden } = formOf(page.body)
    return this.post(action, { ...hidden, ...fields }, headers)
  }
}

/** The first form of a page: where it posts and its hidden inputs (the markup is ours, so a regex will do). */
export function formOf(body: string): { action: string; hidden: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(body)?.[1]
  if (action === undefined) throw new Error(`no form on the page:\n${body.slice(0, 2000)}`)
  const hidden: Record<string, string> = {}
  for (const match of body.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) hidden[unescape(match[1] as string)] = unescape(match[2] as string)
  return { action: unescape(action), hidden }
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

/** A web app registered for the code flow: public unless said otherwise (a confidential one gets its secret back). */
export async function codeFlowClient(server: TestServer, fields: Partial<NewClient> = {}): Promise<{ client: ClientRecord; secret: string | null }> {
  const secret = fields.type === 'confidential' ? generateClientSecret() : null
  const client = await server.store.clients.create({
    id: generateClientId(), name: 'Example App', type: 'public', secretHash: secret === null ? null : hashClientSecret(secret),
    grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'profile', 'email', 'offline_access', 'me', 'items'],
    redirectUris: [REDIRECT_URI], postLogoutRedirectUris: ['https://app.example.com/bye'], ...fields,
  })
  return { client, secret }
}

/** /authorize's query for `client`, with PKCE (S256), state and nonce; `overrides` replace or (undefined) drop parameters. */
export function authorizeUrl(client: Pick<ClientRecord, 'id'>, overrides: Record<string, string | undefined> = {}): string {
  const params: Record<string, string | undefined> = {
    response_type: 'code', client_id: client.id, redirect_uri: REDIRECT_URI, scope: 'openid profile email offline_access me',
    state: 'state-123', nonce: 'nonce-456', code_challenge: CHALLENGE, code_challenge_method: 'S256', ...overrides,
  }
  const present = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)
  return `/authorize?${new URLSearchParams(present).toString()}`
}

/** The parameters of a redirect's Location (e.g. code, state, iss), and the URI before them. */
export function redirectOf(res: LightMyRequestResponse): { base: string; params: URLSearchParams } {
  const location = res.headers.location
  if (typeof location !== 'string') throw new Error(`expected a redirect, got ${res.statusCode}:\n${res.body.slice(0, 2000)}`)
  const q = location.indexOf('?')
  return { base: q === -1 ? location : location.slice(0, q), params: new URLSearchParams(q === -1 ? '' : location.slice(q + 1)) }
}

/**
 * The whole browser part for a user: /authorize → sign-in page → (consent page → Allow) → the
 * redirect with the code. Returns the code and the final redirect's parameters.
 */
export async function signInAndAuthorize(
  browser: TestBrowser, client: Pick<ClientRecord, 'id'>, options: { username?: string; password?: string; overrides?: Record<string, string | undefined> } = {},
): Promise<{ code: string; params: URLSearchParams }> {
  let res = await browser.get(authorizeUrl(client, options.overrides))
  if (res.statusCode === 200 && res.body.includes('name="password"')) {
    res = await browser.submit(res, { username: options.username ?? 'johndoe', password: options.password ?? PASSWORD })
  }
  if (res.statusCode === 303 && String(res.headers.location).startsWith('/consent')) res = await browser.get(String(res.headers.location))
  if (res.statusCode === 200 && res.body.includes('value="allow"')) res = await browser.submit(res, { decision: 'allow' })
  const { params } = redirectOf(res)
  const code = params.get('code')
  if (code === null) throw new Error(`no code in the redirect: ${res.headers.location}`)
  return { code, params }
}

/** The code exchange a public client makes (client_id, no secret). */
export function exchangeCode(server: TestServer, clientId: string, code: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return server.app.inject({
    method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: VERIFIER, client_id: clientId, ...fields }).toString(),
  })
}

export { ISSUER }

/** Every row of a table over a connection of its own, not through the store: what the database really holds. */
export async function rawRows(server: TestServer, table: 'authorization_codes' | 'browser_sessions' | 'refresh_tokens' | 'one_time_tokens'): Promise<Record<string, unknown>[]> {
  const url = server.config.databaseUrl
  if (url.startsWith('sqlite:')) {
    const db = new Sqlite(url.slice('sqlite:'.length), { readonly: true, fileMustExist: true })
    try { return db.prepare(`select * from ${table}`).all() as Record<string, unknown>[] } finally { db.close() }
  }
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  try { return (await db.query(`select * from ${table}`)).rows } finally { await db.end() }
}

/**
 * RFC 6749 §4.1.2.1 / RFC 9700 §4.11.2: a request Tessera cannot trust (client or redirect URI
 * not verified) is answered on its error page — no Location, so nothing sends the browser anywhere.
 */
export function expectErrorPage(res: LightMyRequestResponse, message: string): void {
  expect(res.statusCode).toBe(400)
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
  expect(res.headers.location).toBeUndefined()
  expect(res.body).toContain('This request cannot be completed')
  expect(res.body).toContain(message)
  expect(res.body).not.toContain('name="password"')
}
