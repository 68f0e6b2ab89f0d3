import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

// Every browser suite's Chromium: Debian's package (never a downloaded browser), headless, with
// the background-networking flags this closed network needs (without them Chromium's own
// connections are refused, many at a time).

export const chromiumPath = '/usr/bin/chromium'

/** Outside CI a missing browser is a missing tool, not a failure; in CI it must fail. */
export function skipWithoutChromium(file: string): boolean {
  const skip = !existsSync(chromiumPath) && !process.env.CI
  if (skip) console.warn(`${file} skipped: ${chromiumPath} not found (apt-get install chromium); CI runs it`)
  return skip
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is required in CI (apt-get install chromium)`)
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync',
    ],
    timeout: 30_000,
  })
}
