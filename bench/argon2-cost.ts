// Child process of bench/run.ts: CPU seconds one argon2id hash costs on this machine, with
// Tessera's parameters. A process of its own so that nothing else's CPU is counted.
// process.cpuUsage() covers every thread, whatever threads the binding uses for p=4.
// Each hash is timed on its own: on a shared machine some hashes cost far more CPU than others
// (memory bandwidth and cache taken by other work), never less than the hash itself needs, so
// the minimum is the cost of a hash and the median what this run's conditions made it.
import { hash, verify, type Options } from '@node-rs/argon2'
import { ARGON2ID_PARAMS } from '../src/core/password.js'

const count = Number(process.env.BENCH_HASHES ?? '12')
// argon2id (2) and version 0x13 (1): @node-rs/argon2's const enums, as src/core/password.ts uses them.
const params: Options = { algorithm: 2 as NonNullable<Options['algorithm']>, version: 1 as NonNullable<Options['version']>, ...ARGON2ID_PARAMS }

interface Cost { cpuSecondsMin: number; cpuSecondsMedian: number; cpuSecondsMax: number; wallSecondsMedian: number }

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function measure(task: () => Promise<unknown>): Promise<Cost> {
  const cpu: number[] = []
  const wall: number[] = []
  for (let i = 0; i < count; i++) {
    const cpuStart = process.cpuUsage()
    const wallStart = process.hrtime.bigint()
    await task()
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1e6)
    wall.push(Number(process.hrtime.bigint() - wallStart) / 1e9)
  }
  return { cpuSecondsMin: Math.min(...cpu), cpuSecondsMedian: median(cpu), cpuSecondsMax: Math.max(...cpu), wallSecondsMedian: median(wall) }
}

/**
 * What the library itself reaches back to back, `streams` verifications at a time, for `seconds`:
 * no server, no HTTP, no database. How close a server can come to the ceiling is bounded by this
 * (a hash's lanes do not keep every core busy all the time, and hashes side by side contend).
 */
async function loop(streams: number, seconds: number, stored: string) {
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  let done = 0
  await Promise.all(Array.from({ length: streams }, async () => {
    while (performance.now() - start < seconds * 1000) { await verify(stored, password); done++ }
  }))
  const wall = (performance.now() - start) / 1000
  const used = process.cpuUsage(cpuStart)
  return { streams, perSecond: done / wall, cpuSecondsPerHash: (used.user + used.system) / 1e6 / done, coresBusy: (used.user + used.system) / 1e6 / wall }
}

const password = 'correct horse battery staple'
const stored = await hash(password, params) // also the warm-up: first call loads and initialises the binding
const hashCost = await measure(() => hash(password, params))
const verifyCost = await measure(() => verify(stored, password))
const loopSeconds = Number(process.env.BENCH_ARGON2_LOOP_SECONDS ?? '2')
const loops = [await loop(1, loopSeconds, stored), await loop(2, loopSeconds, stored)]
process.stdout.write(JSON.stringify({ count, params: ARGON2ID_PARAMS, hash: hashCost, verify: verifyCost, loops }) + '\n')
