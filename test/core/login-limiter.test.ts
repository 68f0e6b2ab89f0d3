import { describe, expect, it } from 'vitest'
import { fixedClock } from '../../src/core/clock.js'
import { InvalidCredentials, InvalidGrant, ServiceUnavailable, TooManyLoginFailures } from '../../src/core/errors.js'
import { createLoginLimiter, throttledLogin, type LoginAttempt, type LoginLimitPolicy } from '../../src/core/login-limiter.js'
import { MemoryThrottleStore } from '../../src/storage/memory-throttle-store.js'

// The policy, against the in-memory store on a frozen clock. The login itself is a stand-in
// that counts how often it ran: "refused before hashing" means it did not run.
const NOW = Date.UTC(2026, 0, 1)
const DEFAULTS: LoginLimitPolicy = { maxFailures: 5, ipMaxFailures: 100, windowSeconds: 900 }
const PASSWORD = 'right'

function setup(policy: Partial<LoginLimitPolicy> = {}) {
  const clock = fixedClock(NOW)
  const store = new MemoryThrottleStore({ clock })
  const limiter = createLoginLimiter({ ...DEFAULTS, ...policy }, store)
  let hashes = 0
  async function login(username: string, password: string, ip = '203.0.113.7'): Promise<string> {
    const attempt: LoginAttempt = { username, ip }
    try {
      return await throttledLogin(limiter, attempt, async () => {
        hashes += 1
        if (password !== PASSWORD) throw new InvalidCredentials()
        return 'token'
      })
    } catch (err) {
      if (err instanceof TooManyLoginFailures) return `429 retry-after ${err.retryAfterSeconds}`
      if (err instanceof InvalidCredentials) return '401'
      throw err
    }
  }
  const fail = async (times: number, username = 'johndoe', ip?: string) => {
    const answers: string[] = []
    for (let i = 0; i < times; i++) answers.push(await login(username, 'wrong', ip))
    return answers
  }
  return { clock, store, limiter, login, fail, hashes: () => hashes }
}

describe('login limits per username and address', () => {
  it('allows 5 failures, then refuses the 6th with Retry-After before any hashing', async () => {
    const { fail, login, hashes } = setup()
    expect(await fail(5)).toEqual(Array(5).fill('401'))
    expect(hashes()).toBe(5)
    expect(await login('johndoe', 'wrong')).toBe('429 retry-after 900')
    expect(await login('johndoe', PASSWORD)).toBe('429 retry-after 900')   // even the right password: the lock hides it
    expect(hashes()).toBe(5)
  })

  it('counts down the Retry-After while locked', async () => {
    const { fail, login, clock } = setup()
    await fail(6)
    clock.advance(600_500)
    expect(await login('johndoe', 'wrong')).toBe('429 retry-after 300')
  })

  it('does not lock the victim out from another address: there is no per-username lock', async () => {
    const { fail, login } = setup()
    await fail(6, 'johndoe', '198.51.100.66')                              // the attacker
    expect(await login('johndoe', PASSWORD, '203.0.113.7')).toBe('token')  // the victim, at home
    expect(await login('johndoe', 'wrong', '192.0.2.1')).toBe('401')       // any other address: its own budget
  })

  it('forgets the pair\'s failures on a success', async () => {
    const { fail, login } = setup()
    await fail(4)
    expect(await login('johndoe', PASSWORD)).toBe('token')
    expect(await fail(5)).toEqual(Array(5).fill('401'))
    expect(await login('johndoe', 'wrong')).toBe('429 retry-after 900')
  })

  it('counts usernames as they are looked up: case and compatibility forms are one name', async () => {
    const { fail, login } = setup()
    await fail(3, 'JohnDoe')
    await fail(2, 'ｊｏｈｎｄｏｅ')                                          // fullwidth: NFKC folds it
    expect(await login('johndoe', 'wrong')).toBe('429 retry-after 900')
  })

  it('counts an IPv6 client by its /64, so rotating addresses does not start afresh', async () => {
    const { login } = setup()
    for (let i = 1; i <= 5; i++) expect(await login('johndoe', 'wrong', `2001:db8:1:2::${i}`)).toBe('401')
    expect(await login('johndoe', 'wrong', '2001:db8:1:2:ffff::99')).toBe('429 retry-after 900')
    expect(await login('johndoe', 'wrong', '2001:db8:1:3::1')).toBe('401')
  })

  it('starts afresh when the window has passed without a lock', async () => {
    const { fail, clock, login } = setup()
    await fail(5)
    clock.advance(900_000)
    expect(await fail(5)).toEqual(Array(5).fill('401'))
    expect(await login('johndoe', 'wrong')).toBe('429 retry-after 900')      // a first lock: not doubled
  })

  it('doubles the lock with each lock in a row, up to a day', async () => {
    const { fail, clock } = setup()
    const locks: string[] = []
    for (let i = 0; i < 9; i++) {
      const answers = await fail(6)
      expect(answers.slice(0, 5)).toEqual(Array(5).fill('401'))
      locks.push(answers[5] as string)
      clock.advance(Number((answers[5] as string).split(' ').pop()) * 1000)
    }
    expect(locks.map((l) => Number(l.split(' ').pop()))).toEqual([900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400])
  })

  it('forgets past locks a day after the last one ended', async () => {
    const { fail, clock } = setup()
    await fail(6)                                                          // 900 s
    clock.advance(900_000)
    expect((await fail(6))[5]).toBe('429 retry-after 1800')
    clock.advance(1_800_000 + 86_400_000)
    expect((await fail(6))[5]).toBe('429 retry-after 900')
  })

  it('refuses a burst of parallel guesses beyond the limit: attempts are counted before they run', async () => {
    const { login, hashes } = setup()
    const answers = await Promise.all(Array.from({ length: 20 }, () => login('johndoe', 'wrong')))
    expect(answers.filter((a) => a === '401')).toHaveLength(5)
    expect(answers.filter((a) => a === '429 retry-after 900')).toHaveLength(15)
    expect(hashes()).toBe(5)
  })

  it('does not count attempts that ended without a wrong password', async () => {
    const { limiter, login } = setup()
    const attempt = { username: 'alice', ip: '203.0.113.7' }
    for (const err of [new InvalidGrant('Inactive user'), new ServiceUnavailable(1)]) {
      for (let i = 0; i < 6; i++) await expect(throttledLogin(limiter, attempt, async () => { throw err })).rejects.toBe(err)
    }
    expect(await login('alice', 'wrong')).toBe('401')
  })
})

describe('login limits per address', () => {
  it('refuses an address that sprays many usernames, whatever the next name', async () => {
    const { fail, login } = setup({ ipMaxFailures: 10 })
    for (let i = 0; i < 10; i++) expect(await fail(1, `user${i}`)).toEqual(['401'])
    expect(await login('someone-else', 'wrong')).toBe('429 retry-after 900')
    expect(await login('johndoe', PASSWORD)).toBe('429 retry-after 900')
    expect(await login('johndoe', PASSWORD, '192.0.2.1')).toBe('token')     // other addresses are unaffected
  })

  it('does not count successes against the address', async () => {
    const { fail, login } = setup({ ipMaxFailures: 3 })
    await fail(2, 'a')
    for (let i = 0; i < 10; i++) expect(await login('johndoe', PASSWORD)).toBe('token')
    expect(await fail(1, 'b')).toEqual(['401'])
    expect(await login('c', 'wrong')).toBe('429 retry-after 900')
  })

  it('does not charge the address for attempts refused by a locked pair', async () => {
    const { fail, login } = setup({ maxFailures: 2, ipMaxFailures: 5 })
    expect(await fail(5, 'a')).toEqual(['401', '401', '429 retry-after 900', '429 retry-after 900', '429 retry-after 900'])
    expect(await fail(3, 'b')).toEqual(['401', '401', '429 retry-after 900'])
    expect(await login('c', 'wrong')).toBe('401')                           // the address's 5th failure: the 4 refusals were not counted
    expect(await login('d', 'wrong')).toBe('429 retry-after 900')
  })
})

describe('turning limits off with 0', () => {
  it('0 for both: any number of failures, and nothing is stored', async () => {
    const { fail, store } = setup({ maxFailures: 0, ipMaxFailures: 0 })
    expect(new Set(await fail(50))).toEqual(new Set(['401']))
    expect(store.size).toBe(0)
  })

  it('0 per pair leaves the per-address limit on', async () => {
    const { fail } = setup({ maxFailures: 0, ipMaxFailures: 7 })
    expect(await fail(8)).toEqual([...Array(7).fill('401'), '429 retry-after 900'])
  })

  it('0 per address leaves the per-pair limit on', async () => {
    const { fail, login } = setup({ ipMaxFailures: 0 })
    for (let i = 0; i < 30; i++) await fail(5, `user${i}`)
    expect(await login('user0', 'wrong')).toBe('429 retry-after 900')
    expect(await login('user99', 'wrong')).toBe('401')
  })
})
