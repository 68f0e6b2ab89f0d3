// `npm run bench:ab -- BASE_DIST [NEW_DIST]` (or node --import tsx bench/ab.ts …): one change's before/after ratio, in one
// run. Two Tessera builds (a copy of dist/ taken before the change, and dist/ after it; each
// directory beside a package.json, as dist/ is) and the bare server take turns under the same
// GET /users/me load for BENCH_ROUNDS rounds; prints CPU µs/request and req/s, each build ÷ bare
// and new ÷ base, medians. BENCH_PROFILE_ENV adds server settings to both (e.g. TESSERA_LOG_LEVEL=warn);
// BENCH_AB_NEW_ENV / BENCH_AB_BASE_ENV to one of them; TESSERA_BENCH_PG=1 runs both on PostgreSQL.
// BENCH_AB_SCENARIO=login drives POST /token (BENCH_CONNECTIONS, default then 8) instead, with
// no bare server: e.g. two hashing limits, `bench/ab.ts dist dist` with
// BENCH_AB_BASE_ENV=TESSERA_HASH_CONCURRENCY=2 BENCH_AB_NEW_ENV=TESSERA_HASH_CONCURRENCY=1.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { repoRoot, stopAll } from './child-processes.js'
import { cpuMicros, processTree } from './process-cpu.js'
import { createBenchDatabase } from './postgres-database.js'
import { DEMO_FORM, fetchMe, login as loginTo, startBare, startTessera, type RunningServer } from './servers.js'
import { runWrk } from './wrk.js'

const [baseDist, newDist = join(repoRoot, 'dist')] = process.argv.slice(2)
if (baseDist === undefined) throw new Error('usage: bench/ab.ts BASE_DIST [NEW_DIST]')
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const duration = Number(process.env.BENCH_DURATION ?? 6)
const login = process.env.BENCH_AB_SCENARIO === 'login'
const connections = Number(process.env.BENCH_CONNECTIONS ?? (login ? 8 : 64))
const wrk = process.env.BENCH_WRK ?? '/usr/bin/wrk'
const envOf = (name: string) => Object.fromEntries((process.env[name] ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]))

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const temp = mkdtempSync(join(tmpdir(), 'tessera-ab-'))
const pgBase = process.env.TESSERA_BENCH_PG === '1' ? await createBenchDatabase() : null
const pgNew = process.env.TESSERA_BENCH_PG === '1' ? await createBenchDatabase() : null
try {
  const common = envOf('BENCH_PROFILE_ENV')
  const servers: Record<'base' | 'new', RunningServer> = {
    base: await startTessera({ name: 'base', cli: resolve(baseDist, 'cli/main.js'), databaseUrl: pgBase?.url ?? `sqlite:${join(temp, 'base.db')}`, logFile: join(temp, 'base.log'), env: { ...common, ...envOf('BENCH_AB_BASE_ENV') } }),
    new: await startTessera({ name: 'new', cli: resolve(newDist, 'cli/main.js'), databaseUrl: pgNew?.url ?? `sqlite:${join(temp, 'new.db')}`, logFile: join(temp, 'new.log'), env: { ...common, ...envOf('BENCH_AB_NEW_ENV') } }),
  }
  const tokens = { base: await loginTo(servers.base.base), new: await loginTo(servers.new.base) }
  const body = await fetchMe(servers.base.base, tokens.base)
  const bare = await startBare(body, join(temp, 'bare.log'))
  const all = { ...servers, bare }
  const tokenOf = (name: keyof typeof all) => (name === 'bare' ? tokens.base : tokens[name])
  const run = async (name: keyof typeof all, seconds: number) => {
    const server = all[name]
    const pids = processTree(server.started.pid)
    const before = cpuMicros(pids)
    const r = login && name !== 'bare'
      ? await runWrk(wrk, { url: `${server.base}/token`, method: 'POST', form: DEMO_FORM, connections, threads: 1, durationSeconds: seconds, timeoutSeconds: 30 })
      : await runWrk(wrk, { url: `${server.base}/users/me`, method: 'GET', bearer: tokenOf(name), connections, threads: 1, durationSeconds: seconds, timeoutSeconds: 5 })
    if (r.errors.status > 0) throw new Error(`${name}: ${r.errors.status} non-2xx answers`)
    return { cpu: (cpuMicros(pids) - before) / r.requests, rps: r.requestsPerSecond, p99: r.latencyMs.p99 }
  }
  for (const name of ['bare', 'base', 'new'] as const) await run(name, 2)
  const rows: Record<string, number[]> = {}
  const push = (key: string, v: number) => { (rows[key] ??= []).push(v) }
  const names = ['bare', 'base', 'new'] as const
  for (let i = 0; i < rounds; i++) {
    const got: Partial<Record<(typeof names)[number], { cpu: number; rps: number; p99: number }>> = {}
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length] as (typeof names)[number]
      got[name] = await run(name, duration)
    }
    const [b, o, n] = [got.bare!, got.base!, got.new!]
    console.log(`round ${i + 1}: µs/req bare ${b.cpu.toFixed(1)} base ${o.cpu.toFixed(1)} new ${n.cpu.toFixed(1)}; req/s ${b.rps.toFixed(0)} ${o.rps.toFixed(0)} ${n.rps.toFixed(0)}`)
    for (const [k, v] of Object.entries({ bareCpu: b.cpu, baseCpu: o.cpu, newCpu: n.cpu, bareRps: b.rps, baseRps: o.rps, newRps: n.rps, baseP99: o.p99, newP99: n.p99,
      baseCpuOverBare: o.cpu / b.cpu, newCpuOverBare: n.cpu / b.cpu, baseRpsOverBare: o.rps / b.rps, newRpsOverBare: n.rps / b.rps, newOverBaseCpu: n.cpu / o.cpu, newOverBaseRps: n.rps / o.rps })) push(k, v)
  }
  const m = (k: string) => median(rows[k] ?? [])
  console.log(`\nmedians of ${rounds} rounds (${duration} s, ${connections} connections):`)
  console.log(`  CPU µs/request: bare ${m('bareCpu').toFixed(1)}, base ${m('baseCpu').toFixed(1)} (${m('baseCpuOverBare').toFixed(2)}× bare), new ${m('newCpu').toFixed(1)} (${m('newCpuOverBare').toFixed(2)}× bare); new ÷ base ${m('newOverBaseCpu').toFixed(3)}`)
  console.log(`  req/s: bare ${m('bareRps').toFixed(0)}, base ${m('baseRps').toFixed(0)} (${m('baseRpsOverBare').toFixed(2)}), new ${m('newRps').toFixed(0)} (${m('newRpsOverBare').toFixed(2)}); new ÷ base ${m('newOverBaseRps').toFixed(3)}`)
  console.log(`  p99 ms: base ${m('baseP99').toFixed(2)}, new ${m('newP99').toFixed(2)}`)
} finally {
  await stopAll()
  await pgBase?.drop()
  await pgNew?.drop()
  rmSync(temp, { recursive: true, force: true })
}
