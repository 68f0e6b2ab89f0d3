/*
 * A sign-in's device as the account page names it ("Firefox on Android"), from the User-Agent
 * its browser sent. Good enough to tell one's phone from one's laptop, which is all the list is
 * for; not a parser to base decisions on (anyone can send any User-Agent). Order matters: Edge
 * and Opera also say "Chrome", Chrome also says "Safari", Android also says "Linux".
 */

const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|Chromium|CriOS)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
]

const SYSTEMS: readonly [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bWindows\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
]

/** The product token of anything else (`curl/8.5.0` → `curl`), bounded so a long header cannot stretch the page. */
const PRODUCT = /^([A-Za-z][A-Za-z0-9._-]{0,39})\//

export function deviceName(userAgent: string | null): string {
  if (userAgent === null || userAgent.trim() === '') return 'Unknown device'
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1]
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1]
  if (browser !== undefined && system !== undefined) return `${browser} on ${system}`
  if (browser !== undefined) return browser
  if (system !== undefined) return `A browser on ${system}`
  return PRODUCT.exec(userAgent)?.[1] ?? 'Unknown device'
}
