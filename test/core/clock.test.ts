import { describe, expect, it } from 'vitest'
import { epochSeconds, fixedClock, systemClock } from '../../src/core/clock.js'

describe('clock', () => {
  it('fixedClock moves only when told to', () => {
    const clock = fixedClock(1_704_110_400_500)
    expect(clock.now()).toBe(1_704_110_400_500)
    clock.advance(1_000)
    expect(clock.now()).toBe(1_704_110_401_500)
    clock.set(5)
    expect(clock.now()).toBe(5)
  })

  it('epochSeconds floors to whole seconds (RFC 7519 NumericDate)', () => {
    expect(epochSeconds(fixedClock(1_704_110_400_999))).toBe(1_704_110_400)
  })

  it('systemClock reads the real time', () => {
    const before = Date.now()
    const now = systemClock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(Date.now())
  })
})
