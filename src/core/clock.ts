/** Injectable time source: production uses the system clock, tests freeze it. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to: for tests and deterministic flows. */
export function fixedClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = startMs
  return {
    now: () => current,
    advance(ms: number) { current += ms },
    set(ms: number) { current = ms },
  }
}

/** Whole seconds since the epoch, as JWT NumericDate claims use (RFC 7519 §2). */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000)
}
