import { setTimeout as sleep } from 'node:timers/promises'

/**
 * How long at least a request for a mailed link takes to answer (ms). Finding an account and
 * minting its link takes a few store round trips more than finding none; answering every request
 * no sooner than this makes the two indistinguishable by time as long as the work stays under it
 * (a few milliseconds on SQLite and PostgreSQL alike), at a cost nobody filling in a form notices.
 */
export const MAIL_REQUEST_FLOOR_MS = 250

/**
 * Runs `work` and returns its result no sooner than `floorMs` after the call began. Real time,
 * not the app's clock (tests freeze that): this is about what a stopwatch sees. A failure is
 * thrown at once — it does not depend on whether the address has an account.
 */
export async function noSoonerThan<T>(floorMs: number, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  const result = await work()
  const left = floorMs - (performance.now() - started)
  if (left > 0) await sleep(left)
  return result
}
