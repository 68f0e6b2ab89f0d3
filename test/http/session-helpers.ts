import type { LightMyRequestResponse } from 'fastify'
import {
  registerClient, startSession, type AuditEventName, type AuditRecord, type ClientRecord, type ClientRegistration, type Scope, type UserRecord,
} from '../../src/core/index.js'
import { sessionDeps } from '../../src/http/session-deps.js'
import { FORM, form, type TestServer } from './test-server.js'

/** Helpers for the session and client suites: tokens minted through core, requests as a client sends them. */

export const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/
export const NO_STORE_JSON = { 'cache-control': 'no-store', pragma: 'no-cache', 'content-type': 'application/json; charset=utf-8' }

/** A refresh token for `user`, as a login would start one, without the ~100 ms of a password check. */
export async function mintRefreshToken(
  server: TestServer, user: UserRecord, options: { scopes?: readonly Scope[]; clientId?: string | null } = {},
): Promise<string> {
  const fresh = await server.store.users.findById(user.id)
  return startSession(
    { userId: user.id, clientId: options.clientId ?? null, scopes: options.scopes ?? user.scopes },
    fresh?.tokensNotBefore ?? null,
    sessionDeps({ config: server.config, store: server.store, clock: server.clock }),
  )
}

/** An access token as /token would issue it now (respecting the user's tokens-not-before). */
export async function bearerNow(server: TestServer, user: UserRecord, scopes: readonly Scope[] = user.scopes, clientId?: string): Promise<string> {
  const fresh = await server.store.users.findById(user.id)
  return `Bearer ${server.tokens.issue(user.id, scopes, { clientId, notBefore: fresh?.tokensNotBefore ?? null }).token}`
}

export function postForm(server: TestServer, url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return server.app.inject({ method: 'POST', url, headers: { ...FORM, ...headers }, payload: form(fields) })
}

export function refresh(server: TestServer, refreshToken: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return postForm(server, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...fields }, headers)
}

/** RFC 6749 §2.3.1: id and secret form-urlencoded, then joined for Basic. */
export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')
  return { authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}` }
}

export async function createClient(server: TestServer, registration: ClientRegistration): Promise<{ client: ClientRecord; secret: string | null }> {
  return registerClient(registration, server.store.clients)
}

export async function auditEvents(server: TestServer, event: AuditEventName): Promise<AuditRecord[]> {
  return server.store.audit.list({ event, limit: 100, offset: 0 })
}

export function errorBody(error: string, detail: string) {
  return { detail, error, error_description: detail }
}

export function json(res: LightMyRequestResponse): Record<string, unknown> {
  return res.json()
}
