import { isIP } from 'node:net'
import { assertUsableSecretKey } from './core/secret-key.js'

/*
 * How each kind of setting is read and checked: pure functions of a variable's name and text,
 * used by config.ts (the only reader of the environment). Each failure is a ConfigError whose
 * message starts with the variable's name and never echoes a secret.
 */

/** A setting that cannot be used. The message starts with the variable's name. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`)
    this.name = 'ConfigError'
  }
}

export type Range = readonly [min: number, max: number]

export function integer(name: string, value: string | number, [min, max]: Range): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(String(value))}`)
  }
  return n
}

export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value.trim().toLowerCase())
  if (found === undefined) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`)
  return found
}

export function boolean(name: string, value: string): boolean {
  const v = value.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(v)) return true
  if (['0', 'false', 'no', 'off'].includes(v)) return false
  throw new ConfigError(name, `must be true or false, got ${JSON.stringify(value)}`)
}

export function host(name: string, value: string): string {
  const h = value.trim()
  // Brackets belong to URLs, not to the address the socket binds (`::1`, not `[::1]`).
  if (h === '' || /[\s/[\]]/.test(h)) throw new ConfigError(name, `must be a host name or IP address, got ${JSON.stringify(value)}`)
  return h
}

/** The URL may hold a password: only its scheme is ever quoted back. */
export function databaseUrl(name: string, value: string): string {
  const url = value.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'sqlite') {
    if (url.length === 'sqlite:'.length) throw new ConfigError(name, 'needs a file path: sqlite:<path> (e.g. sqlite:tessera.db) or sqlite::memory:')
    return url
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return url
  const shown = scheme === undefined ? 'no scheme' : `scheme "${scheme}:"`
  throw new ConfigError(name, `has ${shown}: expected sqlite:<path>, sqlite::memory: or postgres://…`)
}

/** The URL may hold a password: only its scheme is ever quoted back. */
export function redisUrl(name: string, value: string): string {
  const url = value.trim()
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase()
  if (scheme === 'redis' || scheme === 'rediss') {
    if (URL.canParse(url) && new URL(url).hostname !== '') return url
    throw new ConfigError(name, `must name a host: ${scheme}://[:password@]host[:port][/db]`)
  }
  const shown = scheme === undefined ? 'no scheme' : `scheme "${scheme}:"`
  throw new ConfigError(name, `has ${shown}: expected redis://… or rediss://…`)
}

/** Never echoed: a near-miss secret in a log is still a secret. */
export function secretKey(name: string, value: string): string {
  try {
    assertUsableSecretKey(value)
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    throw new ConfigError(name, message.replace(/^TESSERA_SECRET_KEY\s*/, ''))
  }
  return value
}

export function issuer(name: string, value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got ${JSON.stringify(value)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an absolute http(s) URL, got ${JSON.stringify(value)}`)
  }
  // `iss` is compared as a string (RFC 7519 §4.1.1): keep exactly what the operator wrote.
  return value.trim()
}

/** Shown in page titles and headings: 1 to 60 printable characters, no control characters. */
export function productName(name: string, value: string): string {
  const v = value.trim()
  if ([...v].length > 60 || /[\u0000-\u001f\u007f]/.test(v)) throw new ConfigError(name, 'must be 1 to 60 printable characters')
  return v
}

/** An RFC 8707 resource indicator: an absolute URI without a fragment, compared as a string. */
export function audience(name: string, value: string): string {
  const v = value.trim()
  if (!URL.canParse(v) || v.includes('#')) throw new ConfigError(name, `must be an absolute URI without a fragment, got ${JSON.stringify(value)}`)
  return v
}

/** Printable ASCII without spaces or braces (braces are Redis Cluster hash tags), at most 64 characters. */
export function redisKeyPrefix(name: string, value: string): string {
  if (!/^[\x21-\x7a\x7c\x7e]{1,64}$/.test(value)) {
    throw new ConfigError(name, `must be 1 to 64 visible ASCII characters without spaces or braces, got ${JSON.stringify(value)}`)
  }
  return value
}

/** Never echoed: it is the scrapers' password. Visible ASCII only, since it travels in a header. */
export function metricsToken(name: string, value: string): string {
  if (value.length < 16 || !/^[\x21-\x7e]+$/.test(value)) {
    throw new ConfigError(name, 'must be at least 16 visible ASCII characters (no spaces)')
  }
  return value
}

/**
 * Exact origins, as browsers send them in `Origin`: scheme, lower-case host, port only when not
 * the default, no path. Anything else would never match, so it is refused with the form to write.
 */
export function corsOrigins(name: string, value: string): readonly string[] {
  const origins = value.split(',').map((o) => o.trim()).filter((o) => o !== '')
  for (const origin of origins) {
    let serialized: string | null = null
    try {
      serialized = new URL(origin).origin
    } catch {
      // not a URL at all
    }
    if (serialized === origin && /^https?:\/\//.test(origin)) continue
    const hint = serialized !== null && /^https?:\/\//.test(serialized) ? ` (did you mean ${JSON.stringify(serialized)}?)` : ''
    throw new ConfigError(name, `must be comma-separated origins like https://app.example.com, got ${JSON.stringify(origin)}${hint}`)
  }
  return Object.freeze([...new Set(origins)])
}

/** proxy-addr's named ranges, which Fastify's trustProxy accepts next to addresses and CIDRs. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

function isAddressOrRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))
}

/**
 * Fastify's trustProxy: `true` believes every `X-Forwarded-For` hop (safe only when nothing but
 * the proxy can reach Tessera); a list believes hops from those addresses, so the client IP is
 * the first address not on it. Hop counts are refused: Fastify 5 treats a number as "trust
 * nothing" (a count cannot check who the immediate peer is), so one would silently do nothing.
 */
export function trustProxy(name: string, value: string): boolean | readonly string[] {
  const v = value.trim().toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  if (/^\d+$/.test(v)) {
    throw new ConfigError(name, `cannot be a hop count (Fastify ignores them): list the proxies' IP addresses or CIDR ranges, got ${JSON.stringify(value)}`)
  }
  const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '')
  const bad = entries.find((e) => !isAddressOrRange(e))
  if (bad !== undefined || entries.length === 0) {
    throw new ConfigError(name, `must be true, false, or comma-separated IP addresses and CIDR ranges, got ${JSON.stringify(bad ?? value)}`)
  }
  return Object.freeze(entries)
}

/** `smtp://` or `smtps://` (user and password may be in it: only the scheme is ever quoted back). */
export function smtpUrl(name: string, value: string): string {
  const url = value.trim()
  let parsed: URL
  try { parsed = new URL(url) } catch { throw new ConfigError(name, 'must be a URL such as smtp://user:pass@mail.example.com:587 or smtps://…:465') }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') throw new ConfigError(name, `has scheme "${parsed.protocol}": expected smtp: or smtps:`)
  if (parsed.hostname === '') throw new ConfigError(name, 'needs a host: smtp://mail.example.com:587')
  return url
}

/** The From of every mail: an address, optionally with a display name (`Tessera <no-reply@example.com>`). */
export function mailFrom(name: string, value: string): string {
  const from = value.trim()
  const address = /<([^<>\s]+)>$/.exec(from)?.[1] ?? from
  if (!/^[^\s@<>]+@[^\s@<>.]+(\.[^\s@<>.]+)+$/.test(address) || /[\r\n]/.test(from)) {
    throw new ConfigError(name, `must be an address such as no-reply@example.com or "Tessera <no-reply@example.com>", got ${JSON.stringify(value)}`)
  }
  return from
}

/** A directory path for the demo mail folder (created at start if missing). */
export function mailDir(name: string, value: string): string {
  const dir = value.trim()
  if (dir === '' || dir.includes('\0')) throw new ConfigError(name, 'must be a directory path')
  return dir
}
