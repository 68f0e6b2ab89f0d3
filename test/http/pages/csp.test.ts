import { describe, expect, it } from 'vitest'
import { cspSourceFor, pageCsp } from '../../../src/http/pages/csp.js'

// The hosted pages' policy, and the form-action source a redirect URI needs.

describe('pageCsp', () => {
  it("allows no script, only our styles and images, forms to 'self', no framing, no <base>", () => {
    expect(pageCsp({ formAction: [] })).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
  })

  it('adds the form-action sources it is given, once each', () => {
    expect(pageCsp({ formAction: ['https://app.example.com', 'com.example.app:', 'https://app.example.com'] })).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' https://app.example.com com.example.app:; frame-ancestors 'none'; base-uri 'none'",
    )
  })

  it('refuses a source that could add a directive, a policy or a keyword (a programming mistake)', () => {
    for (const source of ["https://a.example; script-src 'unsafe-inline'", 'https://a.example, x', "'unsafe-inline'", 'https://a.example/path', '*', '']) {
      expect(() => pageCsp({ formAction: [source] }), source).toThrow(TypeError)
    }
  })
})

describe('cspSourceFor', () => {
  it('is the origin of an http(s) redirect URI, with its port and without path, query or credentials', () => {
    expect(cspSourceFor('https://app.example.com/callback?x=1')).toBe('https://app.example.com')
    expect(cspSourceFor('https://App.Example.COM:8443/cb')).toBe('https://app.example.com:8443')
    expect(cspSourceFor('https://app.example.com:443/cb')).toBe('https://app.example.com')
    expect(cspSourceFor('http://127.0.0.1:51234/cb')).toBe('http://127.0.0.1:51234')
    expect(cspSourceFor('http://localhost:3000/')).toBe('http://localhost:3000')
    expect(cspSourceFor('https://user:pw@app.example.com/cb')).toBe('https://app.example.com')
  })

  it('is the scheme of a private-use (reverse-domain) redirect URI', () => {
    expect(cspSourceFor('com.example.app:/oauth2redirect')).toBe('com.example.app:')
    expect(cspSourceFor('com.example.app://callback')).toBe('com.example.app:')
  })

  it('is the scheme when CSP cannot spell the host (an IPv6 loopback, an underscore)', () => {
    expect(cspSourceFor('http://[::1]:51234/cb')).toBe('http:')
    expect(cspSourceFor('https://my_app.example.com/cb')).toBe('https:')
  })

  it('is null for other schemes and what is not a URI', () => {
    for (const uri of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd', 'myapp:/cb', '/relative', 'not a uri', '']) {
      expect(cspSourceFor(uri), JSON.stringify(uri)).toBeNull()
    }
  })

  it('writes only the origin: header syntax in the path or query never reaches the policy', () => {
    for (const uri of ['https://app.example.com/cb;x', 'https://app.example.com/cb?a=1,2', "https://app.example.com/'self'", 'https://app.example.com/cb?q="x"']) {
      expect(cspSourceFor(uri), JSON.stringify(uri)).toBe('https://app.example.com')
    }
  })

  it('gives only sources pageCsp accepts', () => {
    for (const uri of ['https://a.example/cb', 'http://[::1]:1/cb', 'com.example.app:/cb']) {
      expect(() => pageCsp({ formAction: [cspSourceFor(uri) as string] })).not.toThrow()
    }
  })
})
