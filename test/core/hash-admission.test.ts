import { describe, expect, it } from 'vitest'
import { ServiceUnavailable } from '../../src/core/errors.js'
import { HashAdmission } from '../../src/core/hash-admission.js'

/** A task that finishes only when the test says so. */
function gate<T = string>() {
  let open!: (value: T) => void
  let fail!: (err: unknown) => void
  const done = new Promise<T>((resolve, reject) => { open = resolve; fail = reject })
  let started = false
  return { task: () => { started = true; return done }, open, fail, get started() { return started } }
}

const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('HashAdmission', () => {
  it('runs at most `concurrency` tasks at once and queues the rest in order', async () => {
    const admission = new HashAdmission({ concurrency: 2, queueLimit: 2 })
    const [a, b, c, d] = [gate(), gate(), gate(), gate()]
    const order: string[] = []
    const runs = [a, b, c, d].map((g, i) => admission.run(g.task).then((v) => { order.push(`${i}:${v}`) }))
    await settle()
    expect([admission.inFlight, admission.queued]).toEqual([2, 2])
    expect([a.started, b.started, c.started, d.started]).toEqual([true, true, false, false])

    b.open('b')
    await settle()
    expect([admission.inFlight, admission.queued]).toEqual([2, 1])
    expect([c.started, d.started]).toEqual([true, false])

    a.open('a'); c.open('c')
    await settle()
    expect(d.started).toBe(true)
    d.open('d')
    await Promise.all(runs)
    expect(order).toEqual(['1:b', '0:a', '2:c', '3:d'])
    expect([admission.inFlight, admission.queued]).toEqual([0, 0])
  })

  it('turns callers away at once with 503 + Retry-After when the queue is full, without running them', async () => {
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 1, retryAfterSeconds: 3 })
    const [a, b, c] = [gate(), gate(), gate()]
    const first = admission.run(a.task)
    const second = admission.run(b.task)
    const refused = admission.run(c.task)
    await expect(refused).rejects.toBeInstanceOf(ServiceUnavailable)
    await expect(refused).rejects.toMatchObject({ status: 503, retryAfterSeconds: 3 })
    expect(c.started).toBe(false)
    expect([admission.inFlight, admission.queued]).toEqual([1, 1])
    a.open('a'); b.open('b')
    await expect(Promise.all([first, second])).resolves.toEqual(['a', 'b'])
  })

  it('defaults Retry-After to 1 second, and queueLimit 0 means no waiting at all', async () => {
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 0 })
    const a = gate()
    const first = admission.run(a.task)
    await expect(admission.run(async () => 'x')).rejects.toMatchObject({ retryAfterSeconds: 1 })
    a.open('a')
    await first
  })

  it('frees the slot when a task fails, and passes the failure on', async () => {
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 1 })
    const a = gate()
    const failing = admission.run(a.task)
    const next = admission.run(async () => 'next')
    a.fail(new Error('boom'))
    await expect(failing).rejects.toThrow('boom')
    await expect(next).resolves.toBe('next')
    expect([admission.inFlight, admission.queued]).toEqual([0, 0])
  })

  it('frees the slot when a task throws synchronously', async () => {
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 0 })
    await expect(admission.run(() => { throw new Error('sync') })).rejects.toThrow('sync')
    expect(admission.inFlight).toBe(0)
  })

  it.each([
    [{ concurrency: 0, queueLimit: 1 }], [{ concurrency: 1.5, queueLimit: 1 }], [{ concurrency: 1, queueLimit: -1 }],
    [{ concurrency: 1, queueLimit: 1, retryAfterSeconds: -1 }],
  ])('refuses the options %j', (options) => {
    expect(() => new HashAdmission(options)).toThrow(TypeError)
  })
})

describe('HashAdmission onAdmitted', () => {
  it('reports 0 s for a hash that found a free slot, the time waited for one that queued', async () => {
    const waits: number[] = []
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 1, onAdmitted: (s) => waits.push(s) })
    const a = gate()
    const first = admission.run(a.task)
    const second = admission.run(async () => 'b')
    await settle()
    expect(waits).toEqual([0])
    await new Promise((resolve) => setTimeout(resolve, 30))
    a.open('a')
    await Promise.all([first, second])
    expect(waits).toHaveLength(2)
    expect(waits[1]).toBeGreaterThanOrEqual(0.025)
    expect(waits[1]).toBeLessThan(5)
  })

  it('is not told about callers turned away', async () => {
    const waits: number[] = []
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 0, onAdmitted: (s) => waits.push(s) })
    const a = gate()
    const first = admission.run(a.task)
    await expect(admission.run(async () => 'x')).rejects.toBeInstanceOf(ServiceUnavailable)
    a.open('a')
    await first
    expect(waits).toEqual([0])
  })

  it('frees the slot even if the observer throws', async () => {
    const admission = new HashAdmission({ concurrency: 1, queueLimit: 0, onAdmitted: () => { throw new Error('observer') } })
    await expect(admission.run(async () => 'x')).rejects.toThrow('observer')
    expect([admission.inFlight, admission.queued]).toEqual([0, 0])
  })
})
