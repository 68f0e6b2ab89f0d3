import { expect } from 'vitest'

// Redirect chains followed by hand with a cookie jar, as a browser follows them: for upstream
// sign-ins driven with fetch (the providers need their own cookies back between hops).

export type Jar = Map<string, string>
export const cookieHeader = (jar: Jar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
export function keepCookies(jar: Jar, res: Response) {
  for (const line of res.headers.getSetCookie()) {
    const [name = '', value = ''] = (line.split(';')[0] ?? '').split('=')
    if (value && !/expires=Thu, 01 Jan 1970/i.test(line)) jar.set(name, value)
    else jar.delete(name)
  }
}

/** Follows redirects by hand, keeping cookies (ports aside, as a browser does), until one leaves for `stopAt`. */
export async function follow(start: string, stopAt: string, init: RequestInit = {}, jar: Jar = new Map()): Promise<string> {
  let url = start
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { cookie: cookieHeader(jar) } })
    keepCookies(jar, res)
    const location = res.headers.get('location')
    expect(location, `hop ${hop} ${url}: ${res.status} ${await res.text()}`).toBeTruthy()
    url = new URL(location as string, url).href
    if (url.startsWith(stopAt)) return url
    init = {}
  }
  throw new Error('too many redirects')
}

