import { describe, expect, it } from 'vitest'
import type { ClientRecord, ClientType } from '../../src/core/ports.js'
import { REDIRECT_URI_MAX_CHARS, matchPostLogoutRedirectUri, matchRedirectUri, redirectUriProblem } from '../../src/core/redirect-uri.js'

const CALLBACK = 'https://app.example.com/callback'

function client(type: ClientType, redirectUris: string[]): Pick<ClientRecord, 'type' | 'redirectUris'> {
  return { type, redirectUris }
}

describe('redirectUriProblem: what may be registered (RFC 6749 §3.1.2, RFC 9700 §2.1)', () => {
  it.each([
    CALLBACK,
    'https://app.example.com/callback?tenant=a',
    'https://app.example.com:8443/',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:8080/callback',
    'http://[::1]:8080/callback',
    'http://localhost:3000/callback',
  ])('accepts %s for a confidential client', (uri) => {
    expect(redirectUriProblem(uri, 'confidential')).toBeNull()
  })

  it.each([
    ['', /1 to 2000 characters/],
    [`https://app.example.com/${'a'.repeat(REDIRECT_URI_MAX_CHARS)}`, /1 to 2000 characters/],
    ['https://app.example.com/call back', /spaces or control characters/],
    ['https://app.example.com/\ncallback', /spaces or control characters/],
    // Not ASCII: the Location header sending the browser back could not carry it (a 500 before).
    ['https://app.example.com/caf\u20ac', /must be ASCII/],
    ['https://ex\u00e4mple.com/callback', /must be ASCII/],
    ['https://app.example.com/callback#frag', /fragment/],
    ['https://app.example.com/callback#', /fragment/],
    ['https://*.example.com/callback', /wildcards/],
    ['/callback', /absolute URI/],
    ['app.example.com/callback', /absolute URI/],
    ['https://user:pass@app.example.com/callback', /credentials/],
    ['https://user@app.example.com/callback', /credentials/],
    ['http://app.example.com/callback', /http only for a loopback host/],
    // A host that merely starts like a loopback name is somebody else's host.
    ['http://127.0.0.1.evil.example/callback', /http only for a loopback host/],
    ['http://localhost.evil.example/callback', /http only for a loopback host/],
    ['javascript:alert(1)', /must use https/],
    ['data:text/html,hi', /must use https/],
    ['file:///etc/passwd', /must use https/],
    ['ftp://app.example.com/callback', /must use https/],
    ['myapp:/callback', /must use https/],      // RFC 8252 §7.1: not a reverse domain name
  ])('refuses %j', (uri, reason) => {
    expect(redirectUriProblem(uri, 'public')).toMatch(reason)
    expect(redirectUriProblem(uri, 'confidential')).toMatch(reason)
  })

  it('accepts exactly 2000 characters', () => {
    const uri = `https://app.example.com/${'a'.repeat(REDIRECT_URI_MAX_CHARS - 'https://app.example.com/'.length)}`
    expect(uri).toHaveLength(REDIRECT_URI_MAX_CHARS)
    expect(redirectUriProblem(uri, 'confidential')).toBeNull()
  })

  it('accepts a private-use (reverse domain) scheme for a public native client only (RFC 8252 §7.1)', () => {
    expect(redirectUriProblem('com.example.app:/callback', 'public')).toBeNull()
    expect(redirectUriProblem('com.example.app:/callback', 'confidential')).toMatch(/native \(public\) clients only/)
  })
})

describe('matchRedirectUri: exact string comparison (RFC 9700 §4.1.3)', () => {
  const web = client('confidential', [CALLBACK, 'https://app.example.com/cb?tenant=a'])

  it('returns the registered URI for an exact match', () => {
    expect(matchRedirectUri(CALLBACK, web)).toBe(CALLBACK)
    expect(matchRedirectUri('https://app.example.com/cb?tenant=a', web)).toBe('https://app.example.com/cb?tenant=a')
  })

  it.each([
    ['a trailing slash', 'https://app.example.com/callback/'],
    ['a missing path segment', 'https://app.example.com/'],
    ['a longer path', 'https://app.example.com/callback/evil'],
    ['another case in the host', 'https://App.Example.com/callback'],
    ['another case in the path', 'https://app.example.com/Callback'],
    ['another case in the scheme', 'HTTPS://app.example.com/callback'],
    ['an added query', 'https://app.example.com/callback?x=1'],
    ['an empty query', 'https://app.example.com/callback?'],
    ['another query value', 'https://app.example.com/cb?tenant=b'],
    ['extra query parameters', 'https://app.example.com/cb?tenant=a&x=1'],
    ['a fragment', 'https://app.example.com/callback#x'],
    ['userinfo', 'https://user@app.example.com/callback'],
    ['the default port spelled out', 'https://app.example.com:443/callback'],
    ['another port', 'https://app.example.com:8443/callback'],
    ['http instead of https', 'http://app.example.com/callback'],
    ['a percent-encoded character', 'https://app.example.com/%63allback'],
    ['another host with the registered one as prefix', 'https://app.example.com.evil.example/callback'],
  ])('refuses %s', (_, requested) => {
    expect(matchRedirectUri(requested, web)).toBeNull()
    // The same holds for a public client: only loopback IP literals get the port exception.
    expect(matchRedirectUri(requested, client('public', web.redirectUris))).toBeNull()
  })
})

describe('matchRedirectUri: loopback redirects of native apps (RFC 8252 §7.3)', () => {
  const native = client('public', ['http://127.0.0.1/callback', 'http://[::1]:8080/callback', 'http://localhost:3000/callback'])

  it('lets a public client use any port on a loopback IP literal, returning the registered URI', () => {
    expect(matchRedirectUri('http://127.0.0.1:51234/callback', native)).toBe('http://127.0.0.1/callback')
    expect(matchRedirectUri('http://127.0.0.1/callback', native)).toBe('http://127.0.0.1/callback')
    expect(matchRedirectUri('http://[::1]:9999/callback', native)).toBe('http://[::1]:8080/callback')
    expect(matchRedirectUri('http://[::1]/callback', native)).toBe('http://[::1]:8080/callback')
    expect(matchRedirectUri('http://127.0.0.1:65535/callback', native)).toBe('http://127.0.0.1/callback')
  })

  it('still compares everything but the port exactly', () => {
    expect(matchRedirectUri('http://127.0.0.1:5000/callback/', native)).toBeNull()
    expect(matchRedirectUri('http://127.0.0.1:5000/other', native)).toBeNull()
    expect(matchRedirectUri('http://127.0.0.1:5000/callback?x=1', native)).toBeNull()
    expect(matchRedirectUri('http://127.0.0.1:5000/callback#x', native)).toBeNull()
    expect(matchRedirectUri('http://user@127.0.0.1:5000/callback', native)).toBeNull()
    expect(matchRedirectUri('https://127.0.0.1:5000/callback', native)).toBeNull()
    // The other loopback literal is another host.
    expect(matchRedirectUri('http://[::1]:5000/callback', client('public', ['http://127.0.0.1/callback']))).toBeNull()
  })

  it('refuses a port that is not a port', () => {
    expect(matchRedirectUri('http://127.0.0.1:65536/callback', native)).toBeNull()
    expect(matchRedirectUri('http://127.0.0.1:123456/callback', native)).toBeNull()
    expect(matchRedirectUri('http://127.0.0.1:abc/callback', native)).toBeNull()
  })

  it('does not extend the exception to localhost (RFC 8252 §8.3: it may resolve elsewhere)', () => {
    expect(matchRedirectUri('http://localhost:3000/callback', native)).toBe('http://localhost:3000/callback')
    expect(matchRedirectUri('http://localhost:4000/callback', native)).toBeNull()
  })

  it('does not extend it to a confidential (web) client', () => {
    const web = client('confidential', ['http://127.0.0.1:8080/callback'])
    expect(matchRedirectUri('http://127.0.0.1:8080/callback', web)).toBe('http://127.0.0.1:8080/callback')
    expect(matchRedirectUri('http://127.0.0.1:9090/callback', web)).toBeNull()
  })

  it('matches a private-use scheme exactly', () => {
    const app = client('public', ['com.example.app:/callback'])
    expect(matchRedirectUri('com.example.app:/callback', app)).toBe('com.example.app:/callback')
    expect(matchRedirectUri('com.example.app:/callback/', app)).toBeNull()
    expect(matchRedirectUri('com.example.evil:/callback', app)).toBeNull()
  })
})

describe('matchPostLogoutRedirectUri (OIDC RP-Initiated Logout §3)', () => {
  const registered = { postLogoutRedirectUris: ['https://app.example.com/bye'] }

  it('accepts only an exactly registered URI', () => {
    expect(matchPostLogoutRedirectUri('https://app.example.com/bye', registered)).toBe(true)
    expect(matchPostLogoutRedirectUri('https://app.example.com/bye/', registered)).toBe(false)
    expect(matchPostLogoutRedirectUri('https://app.example.com/bye?x=1', registered)).toBe(false)
    expect(matchPostLogoutRedirectUri('https://APP.example.com/bye', registered)).toBe(false)
    expect(matchPostLogoutRedirectUri('https://app.example.com/callback', registered)).toBe(false)
  })

  it('has no loopback port exception', () => {
    expect(matchPostLogoutRedirectUri('http://127.0.0.1:5000/bye', { postLogoutRedirectUris: ['http://127.0.0.1/bye'] })).toBe(false)
  })
})
