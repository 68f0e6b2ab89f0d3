import { describe, expect, it } from 'vitest'
import type { UserRow } from '../../src/storage/schema.js'
import { batchedTokenUserLookup, type LookupBatch } from '../../src/storage/token-user-lookup.js'

// The lookups of one event-loop turn go out as one batch (src/storage/token-user-lookup.ts);
// the backends' own statements are covered by the storage contract suite.
const row = (id: string) => ({ id, username: id }) as UserRow

function fakeBackend(revoked: Set<string>) {
  const batches: Array<Array<[string, string]>> = []
  let failNext = false
  const run: LookupBatch = async (ids, jtis) => {
    batches.push(ids.map((id, i) => [id, jtis[i] as string]))
    if (failNext) { failNext = false; throw new Error('connection lost') }
    return ids.flatMap((id, i) => (revoked.has(jtis[i] as string) || id.startsWith('gone') ? [] : [{ jti: jtis[i] as string, row: row(id) }]))
  }
  return { run, batches, failNext: () => { failNext = true } }
}

describe('batchedTokenUserLookup', () => {
  it('sends what one turn asks as one batch, each distinct question once, and answers each asker', async () => {
    const backend = fakeBackend(new Set(['revoked']))
    const lookup = batchedTokenUserLookup(backend.run, 10)
    const answers = await Promise.all([lookup('a', 'x'), lookup('b', 'x'), lookup('a', 'x'), lookup('a', 'revoked'), lookup('gone', 'x'), lookup('a', 'y')])
    expect(answers.map((r) => r?.id ?? null)).toEqual(['a', 'b', 'a', null, null, 'a'])
    expect(backend.batches).toEqual([[['a', 'x'], ['a', 'revoked'], ['a', 'y'], ['b', 'x'], ['gone', 'x']]])
    // The next turn asks again: nothing is remembered.
    await lookup('a', 'x')
    expect(backend.batches).toHaveLength(2)
  })

  it('splits a turn into batches of at most the limit', async () => {
    const backend = fakeBackend(new Set())
    const lookup = batchedTokenUserLookup(backend.run, 4)
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => lookup(`u${i}`, 'x')))
    expect(answers.map((r) => r?.id)).toEqual(Array.from({ length: 10 }, (_, i) => `u${i}`))
    expect(backend.batches.map((b) => b.length)).toEqual([4, 4, 2])
  })

  it('fails the askers of a failed batch only, and recovers', async () => {
    const backend = fakeBackend(new Set())
    const lookup = batchedTokenUserLookup(backend.run, 2)
    backend.failNext()
    const outcomes = await Promise.allSettled([lookup('a', 'x'), lookup('b', 'x'), lookup('c', 'x')])
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled'])
    await expect(lookup('a', 'x')).resolves.toMatchObject({ id: 'a' })
  })
})
