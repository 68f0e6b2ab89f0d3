import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { TooManyRequests } from '../../src/core/errors.js'
import { MAIL_REQUEST_LIMITS, createMailRequestLimiter } from '../../src/core/mail-request-limiter.js'
import { MemoryThrottleStore } from '../../src/storage/index.js'

// Requests for mailed links, limited per address (nobody's inbox flooded from many networks) and
// per client network (no walking through many inboxes from one).

const HOUR = 60 * 60 * 1000

function setup(limits = { perAddressPerHour: 2, perIpPerHour: 4 }) {
  const clock = fixedClock(Date.UTC(2026, 0, 1))
  const store = new MemoryThrottleStore({ clock })
  return { clock, limiter: createMailRequestLimiter(store, limits) }
}

async function refusal(promise: Promise<unknown>): Promise<TooManyRequests> {
  const err = await promise.then(() => expect.unreachable('expected a refusal'), (e: unknown) => e)
  expect(err).toBeInstanceOf(TooManyRequests)
  return err as TooManyRequests
}

describe('createMailRequestLimiter', () => {
  it('defaults to 5 an hour per address and 20 an hour per network', () => {
    expect(MAIL_REQUEST_LIMITS).toEqual({ perAddressPerHour: 5, perIpPerHour: 20 })
  })

  it('refuses a third request for one address within the hour, from any network, ignoring case', async () => {
    const { clock, limiter } = setup()
    await limiter.admit('reset_password', 'ada@example.com', '192.0.2.1')
    await limiter.admit('reset_password', 'ADA@example.com', '198.51.100.7')
    const err = await refusal(limiter.admit('reset_password', 'Ada@Example.com', '203.0.113.9'))
    expect(err.retryAfterSeconds).toBe(3600)
    expect(err.detail).toBe('Too many requests for mail, retry later')
    clock.advance(HOUR)
    await limiter.admit('reset_password', 'ada@example.com', '192.0.2.1')
  })

  it('counts addresses no account uses exactly like the others', async () => {
    const { limiter } = setup()
    await limiter.admit('reset_password', 'nobody@example.com', '192.0.2.1')
    await limiter.admit('reset_password', 'nobody@example.com', '192.0.2.1')
    await refusal(limiter.admit('reset_password', 'nobody@example.com', '192.0.2.1'))
  })

  it('keeps separate budgets for reset links and verification links of one address', async () => {
    const { limiter } = setup()
    await limiter.admit('reset_password', 'ada@example.com', '192.0.2.1')
    await limiter.admit('reset_password', 'ada@example.com', '192.0.2.1')
    await limiter.admit('verify_email', 'ada@example.com', '192.0.2.1')
  })

  it('refuses a network after its requests for several addresses, and an address refusal costs the network nothing', async () => {
    const { limiter } = setup()
    await limiter.admit('reset_password', 'a@example.com', '192.0.2.1')
    await limiter.admit('reset_password', 'a@example.com', '192.0.2.1')
    await refusal(limiter.admit('reset_password', 'a@example.com', '192.0.2.1'))   // the address: refunded to the network
    await limiter.admit('reset_password', 'b@example.com', '192.0.2.1')
    await limiter.admit('verify_email', 'c@example.com', '192.0.2.1')
    await refusal(limiter.admit('reset_password', 'd@example.com', '192.0.2.1'))   // the network's fifth
    await limiter.admit('reset_password', 'd@example.com', '198.51.100.7')
  })

  it('counts an IPv6 /64 as one network', async () => {
    const { limiter } = setup({ perAddressPerHour: 0, perIpPerHour: 1 })
    await limiter.admit('reset_password', 'a@example.com', '2001:db8::1')
    await refusal(limiter.admit('reset_password', 'b@example.com', '2001:db8::ffff'))
  })

  it('turns a limit off with 0', async () => {
    const { limiter } = setup({ perAddressPerHour: 0, perIpPerHour: 0 })
    for (let i = 0; i < 50; i += 1) await limiter.admit('reset_password', 'ada@example.com', '192.0.2.1')
  })
})
