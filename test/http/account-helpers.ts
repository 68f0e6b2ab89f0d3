import type { LightMyRequestResponse } from 'fastify'
import { expect } from 'vitest'
import type { ClientRecord } from '../../src/core/index.js'
import { TestBrowser, authorizeUrl, codeFlowClient, exchangeCode, redirectOf, signInAndAuthorize } from './sign-in-helpers.js'
import { refresh } from './session-helpers.js'
import { PASSWORD, type TestServer } from './test-server.js'

/*
 * The account page's suites: browsers signed in through the real sign-in page (each with the
 * User-Agent its device sends), and the page's many forms found by where they post.
 */

export const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'
export const LAPTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
export const ACCOUNT_SIGN_IN = '/signin?return_to=%2Faccount'

/** A browser that sends one User-Agent on every request, as a real one does. */
export class DeviceBrowser extends TestBrowser {
  constructor(server: TestServer, readonly userAgent: string) { super(server) }
  override get(url: string, headers: Record<string, string> = {}) { return super.get(url, { 'user-agent': this.userAgent, ...headers }) }
  override post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return super.post(url, fields, { 'user-agent': this.userAgent, ...headers })
  }
}

/** A first-party app (no consent page): signing in through it leaves no consent behind. */
export async function firstPartyClient(server: TestServer): Promise<ClientRecord> {
  return (await codeFlowClient(server, { firstParty: true, name: 'Home' })).client
}

/** A browser signed in as `username` through the sign-in page of `client`'s authorization request. */
export async function signedInBrowser(
  server: TestServer, client: ClientRecord, options: { username?: string; password?: string; userAgent?: string } = {},
): Promise<DeviceBrowser> {
  const browser = new DeviceBrowser(server, options.userAgent ?? LAPTOP_UA)
  const page = await browser.get(authorizeUrl(client))
  expect(page.body).toContain('name="password"')
  const res = await browser.submit(page, { username: options.username ?? 'johndoe', password: options.password ?? PASSWORD })
  expect(res.statusCode).toBe(303)
  return browser
}

/** The signed-in browser's app gets a code and exchanges it: a refresh token started from this sign-in. */
export async function appRefreshToken(server: TestServer, browser: TestBrowser, client: ClientRecord): Promise<string> {
  const { code } = await signInAndAuthorize(browser, client)
  const res = await exchangeCode(server, client.id, code)
  expect(res.statusCode).toBe(200)
  return res.json().refresh_token as string
}

/** The refresh a public app makes (its client_id with the token). */
export function appRefresh(server: TestServer, refreshToken: string, client: Pick<ClientRecord, 'id'>) {
  return refresh(server, refreshToken, { client_id: client.id })
}

/** The form of the page that posts to `action`, with its hidden fields (`where` picks one of several, e.g. a session id). */
export function formPostingTo(body: string, action: string, where: (hidden: Record<string, string>) => boolean = () => true): Record<string, string> {
  for (const match of body.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)) {
    if (match[1] !== action) continue
    const hidden: Record<string, string> = {}
    for (const input of (match[2] as string).matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) hidden[input[1] as string] = unescape(input[2] as string)
    if (where(hidden)) return hidden
  }
  throw new Error(`no form posting to ${action} on the page:\n${body.slice(0, 3000)}`)
}

function unescape(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

/** Loads /account, then submits the form posting to `action` with `fields` (as a person filling it in would). */
export async function submitAccountForm(
  browser: TestBrowser, action: string, fields: Record<string, string> = {}, options: { where?: (hidden: Record<string, string>) => boolean; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const page = await browser.get('/account')
  expect(page.statusCode).toBe(200)
  return browser.post(action, { ...formPostingTo(page.body, action, options.where), ...fields }, options.headers)
}

/** Where a 303 went, and the page's notice after following it. */
export async function followNotice(browser: TestBrowser, res: LightMyRequestResponse): Promise<string | null> {
  expect(res.statusCode, res.body.slice(0, 2000)).toBe(303)
  const location = String(res.headers.location)
  expect(redirectOf(res).base).toBe('/account')
  const page = await browser.get(location.replace(/#.*$/, ''))
  expect(page.statusCode).toBe(200)
  return /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? null
}

/** The text of the alert in a section of the account page (where a refused change is explained). */
export function sectionAlert(body: string, section: string): string | null {
  const start = body.indexOf(`<section class="account-section" id="${section}"`)
  if (start === -1) throw new Error(`no section ${section}`)
  const end = body.indexOf('</section>', start)
  return /<p class="alert" role="alert">([^<]*)<\/p>/.exec(body.slice(start, end))?.[1]?.replace(/&#39;/g, "'") ?? null
}
