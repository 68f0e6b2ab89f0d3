/**
 * What a client of a running Tessera does, over real HTTP (fetch): for the tests that talk to
 * `tessera serve` processes. Every answer's body is read, so no connection is left half-used.
 */
export interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> | null
  /** Milliseconds from sending to the whole answer. */
  ms: number
}

export async function call(url: string, init: RequestInit = {}, timeoutMs = 15_000): Promise<Answer> {
  const started = performance.now()
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
  const text = await res.text()
  let body: Record<string, unknown> | null = null
  try {
    body = text === '' ? null : JSON.parse(text) as Record<string, unknown>
  } catch {
    body = { text }
  }
  return { status: res.status, headers: res.headers, body, ms: performance.now() - started }
}

export function register(base: string, username: string, password: string, timeoutMs?: number): Promise<Answer> {
  return call(`${base}/users`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  }, timeoutMs)
}

export function login(base: string, username: string, password: string, timeoutMs?: number): Promise<Answer> {
  return call(`${base}/token`, { method: 'POST', body: new URLSearchParams({ username, password }) }, timeoutMs)
}

export function refresh(base: string, refreshToken: string): Promise<Answer> {
  return call(`${base}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }) })
}

export function me(base: string, accessToken: string, timeoutMs?: number): Promise<Answer> {
  return call(`${base}/users/me`, { headers: { authorization: `Bearer ${accessToken}` } }, timeoutMs)
}

/** Logs in and returns the token pair; throws with the answer when the login is refused. */
export async function tokensFor(base: string, username: string, password: string): Promise<{ access: string; refresh: string }> {
  const res = await login(base, username, password)
  if (res.status !== 200) throw new Error(`login of ${username} at ${base}: ${res.status} ${JSON.stringify(res.body)}`)
  return { access: String(res.body?.access_token), refresh: String(res.body?.refresh_token) }
}

/** The `kid` in a JWT's header (undefined for HS256 tokens, which carry none). */
export function kidOf(token: string): string | undefined {
  return (JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()) as { kid?: string }).kid
}

export async function publishedKids(base: string): Promise<string[]> {
  const res = await call(`${base}/.well-known/jwks.json`)
  return (res.body as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)
}
