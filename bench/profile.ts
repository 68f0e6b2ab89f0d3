// `npm run bench:profile`: Tessera (dist/, SQLite or PostgreSQL with TESSERA_BENCH_PG=1) under
// `node --cpu-prof`, driven by wrk on GET /users/me (or POST /token with BENCH_PROFILE=login),
// then stopped so V8 writes the profile; prints the self-time summary (bench/cpuprofile-summary.ts).
// Knobs: BENCH_DURATION (default 10), BENCH_CONNECTIONS (64), BENCH_PROFILE (me | login),
// BENCH_PROFILE_ENV (extra server settings, e.g. "TESSERA_LOG_LEVEL=warn").
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stopAll } from './child-processes.js'
import { formatSummary, summarise } from './cpuprofile-summary.js'
import { createBenchDatabase } from './postgres-database.js'
import { DEMO_FORM, login, startTessera } from './servers.js'
import { runWrk } from './wrk.js'

const duration = Number(process.env.BENCH_DURATION ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64)
const scenario = process.env.BENCH_PROFILE ?? 'me'
const extraEnv = Object.fromEntries((process.env.BENCH_PROFILE_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]))
const wrk = process.env.BENCH_WRK ?? '/usr/bin/wrk'

const temp = mkdtempSync(join(tmpdir(), 'tessera-profile-'))
const profileDir = join(temp, 'prof')
const pg = process.env.TESSERA_BENCH_PG === '1' ? await createBenchDatabase() : null
try {
  const server = await startTessera({
    name: 'tessera', databaseUrl: pg?.url ?? `sqlite:${join(temp, 'tessera.db')}`, logFile: join(temp, 'tessera.log'),
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir], env: extraEnv,
  })
  const token = await login(server.base)
  const load = scenario === 'login'
    ? { url: `${server.base}/token`, method: 'POST' as const, form: DEMO_FORM, connections: 8, threads: 1, durationSeconds: duration, timeoutSeconds: 30 }
    : { url: `${server.base}/users/me`, method: 'GET' as const, bearer: token, connections, threads: 1, durationSeconds: duration, timeoutSeconds: 5 }
  await runWrk(wrk, { ...load, durationSeconds: 2 }) // warm-up, in the profile too but small
  const result = await runWrk(wrk, load)
  console.log(`${scenario}: ${result.requestsPerSecond.toFixed(0)} req/s (${result.errors.status} non-2xx), p99 ${result.latencyMs.p99.toFixed(2)} ms`)
  await stopAll(20_000)
  const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'))
    console.log(`\n${file}\n${formatSummary(summarise(profile), Number(process.env.BENCH_PROFILE_TOP ?? 30))}`)
  }
  if (process.env.BENCH_PROFILE_KEEP !== undefined) console.log(`\nprofiles kept in ${profileDir}`)
} finally {
  await stopAll()
  await pg?.drop()
  if (process.env.BENCH_PROFILE_KEEP === undefined) rmSync(temp, { recursive: true, force: true })
}
