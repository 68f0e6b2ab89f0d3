// `npm run bench`: Tessera against baselines measured in the same run on the same machine, the
// whole comparison repeated BENCH_ROUNDS times (default 3) and reported as medians, because the
// machines are shared and noisy: every figure that is judged is a ratio within one round.
//
// Each round starts every server afresh on a free loopback port and stops it at the end:
//   bare     node:http answering GET /users/me with Tessera's own bytes, no auth (bench/bare-server.js)
//   peer     Fastify + fast-jwt + in-memory users, POST /token and GET /users/me (bench/peer-fastify.ts)
//   tessera  dist/cli/main.js serve --demo on a fresh SQLite file
//   tessera-pg  the same on a PostgreSQL database of its own (TESSERA_BENCH_PG=1; 127.0.0.1:5432)
// and measures (wrk; server CPU from /proc, whole process tree):
//   1. GET /users/me, BENCH_CONNECTIONS (64) connections, BENCH_DURATION (10) s per server:
//      req/s, p50, p99, server CPU µs per request;
//   2. POST /token, BENCH_LOGIN_CONNECTIONS (8), BENCH_LOGIN_DURATION (10) s: logins/s ÷ the argon2
//      ceiling (cores ÷ CPU seconds of one hash, measured in this round);
//   3. GET /users/me p99 from one connection while BENCH_STORM_CONNECTIONS (64) connections log in;
//   4. a fresh Tessera hit by BENCH_BURST (500) concurrent logins: peak RSS (VmHWM) and every
//      failure a 503 with Retry-After;
//   5. spawn → first 200 (GET /healthz) for each server.
// Writes bench/out/results.json; BENCHMARKS.md and bench/chart.svg unless BENCH_REPORT=0.
// Other knobs: BENCH_THREADS (wrk threads, 1), BENCH_WARMUP (2 s), BENCH_HASHES (8), BENCH_WRK,
// BENCH_DIST (another build of Tessera to measure, e.g. a copy of dist/ from before a change).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { repoRoot, runToEnd, stopAll } from './child-processes.js'
import { cpuMicros, processTree } from './process-cpu.js'
import { createBenchDatabase, type BenchDatabase } from './postgres-database.js'
import { renderChart } from './report-chart.js'
import { renderMarkdown, judge, type Report, type RoundResult, type ServerName, type MeFigures } from './report.js'
import { DEMO_FORM, buildPeer, fetchMe, login, peakRssBytes, startBare, startPeer, startTessera, type RunningServer } from './servers.js'
import { runWrk, type WrkLoad } from './wrk.js'

function setting(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`)
  return value
}

export const DEFAULT_SETTINGS = {
  rounds: 3, durationSeconds: 10, connections: 64, loginDurationSeconds: 10, loginConnections: 8,
  stormDurationSeconds: 10, stormConnections: 64, burst: 500, threads: 1, warmupSeconds: 2, hashes: 8,
}
const settings = {
  rounds: setting('BENCH_ROUNDS', DEFAULT_SETTINGS.rounds),
  durationSeconds: setting('BENCH_DURATION', DEFAULT_SETTINGS.durationSeconds),
  connections: setting('BENCH_CONNECTIONS', DEFAULT_SETTINGS.connections),
  loginDurationSeconds: setting('BENCH_LOGIN_DURATION', DEFAULT_SETTINGS.loginDurationSeconds),
  loginConnections: setting('BENCH_LOGIN_CONNECTIONS', DEFAULT_SETTINGS.loginConnections),
  stormDurationSeconds: setting('BENCH_STORM_DURATION', DEFAULT_SETTINGS.stormDurationSeconds),
  stormConnections: setting('BENCH_STORM_CONNECTIONS', DEFAULT_SETTINGS.stormConnections),
  burst: setting('BENCH_BURST', DEFAULT_SETTINGS.burst),
  // One wrk thread leaves the other core to the (single-threaded) server on a 2-core machine.
  threads: setting('BENCH_THREADS', DEFAULT_SETTINGS.threads),
  warmupSeconds: setting('BENCH_WARMUP', DEFAULT_SETTINGS.warmupSeconds),
  hashes: setting('BENCH_HASHES', DEFAULT_SETTINGS.hashes),
  postgres: process.env.TESSERA_BENCH_PG === '1',
}
const wrkPath = process.env.BENCH_WRK ?? '/usr/bin/wrk'
const tesseraCli = join(process.env.BENCH_DIST === undefined ? join(repoRoot, 'dist') : resolve(process.env.BENCH_DIST), 'cli/main.js')
const cores = availableParallelism()

interface Argon2Cost {
  count: number
  params: { memoryCost: number; timeCost: number; parallelism: number }
  hash: { cpuSecondsMin: number; cpuSecondsMedian: number; cpuSecondsMax: number; wallSecondsMedian: number }
  verify: { cpuSecondsMin: number; cpuSecondsMedian: number; cpuSecondsMax: number; wallSecondsMedian: number }
  loops: Array<{ streams: number; perSecond: number; cpuSecondsPerHash: number; coresBusy: number }>
}

/** wrk against `server` with its process tree's CPU read before and after. */
async function measureMe(server: RunningServer, load: WrkLoad): Promise<MeFigures> {
  const pids = processTree(server.started.pid)
  const before = cpuMicros(pids)
  const result = await runWrk(wrkPath, load)
  const used = cpuMicros(pids) - before
  return {
    requestsPerSecond: result.requestsPerSecond,
    okPerSecond: result.okPerSecond,
    p50Ms: result.latencyMs.p50,
    p99Ms: result.latencyMs.p99,
    cpuMicrosPerRequest: result.requests > 0 ? used / result.requests : Number.NaN,
    coresBusy: used / 1e6 / result.seconds,
    errors: result.errors.status + result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout,
  }
}

const meLoad = (base: string, token: string, connections: number, durationSeconds: number): WrkLoad => ({
  url: `${base}/users/me`, method: 'GET', bearer: token, connections, threads: Math.min(settings.threads, connections), durationSeconds, timeoutSeconds: 5,
})
const loginLoad = (base: string, connections: number, durationSeconds: number): WrkLoad => ({
  url: `${base}/token`, method: 'POST', form: DEMO_FORM, connections, threads: Math.min(settings.threads, connections), durationSeconds, timeoutSeconds: 30,
})

interface BurstOutcome { status: number; retryAfter: string | undefined }

/** `count` logins at once, each on a connection of its own. */
function burst(base: string, count: number): Promise<BurstOutcome[]> {
  const url = new URL(`${base}/token`)
  const one = () => new Promise<BurstOutcome>((resolve) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, timeout: 120_000,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(DEMO_FORM) },
    }, (res: IncomingMessage) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, retryAfter: undefined }))
    req.end(DEMO_FORM)
  })
  return Promise.all(Array.from({ length: count }, one))
}

const median = (xs: readonly number[]): number => {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function wrkVersion(): string {
  try {
    execFileSync(wrkPath, ['-v'], { encoding: 'utf8' })
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').split('\n')[0]?.replace(/\s*Copyright.*$/, '').trim() ?? 'unknown'
  }
  return 'unknown'
}

async function round(index: number, temp: string, peerFile: string, pg: BenchDatabase | null): Promise<RoundResult> {
  const say = (text: string) => console.log(`bench: round ${index + 1}/${settings.rounds}: ${text}`)
  say(`argon2id cost (${settings.hashes} hashes)...`)
  const argon2 = JSON.parse(await runToEnd(process.execPath, ['--import', 'tsx', 'bench/argon2-cost.ts'],
    { ...process.env, BENCH_HASHES: String(settings.hashes) }, 300_000)) as Argon2Cost
  const ceiling = cores / argon2.hash.cpuSecondsMin

  say('starting servers...')
  const servers = new Map<ServerName, RunningServer>()
  const tessera = await startTessera({ name: 'tessera', cli: tesseraCli, databaseUrl: `sqlite:${join(temp, `tessera-${index}.db`)}`, logFile: join(temp, `tessera-${index}.log`) })
  servers.set('tessera', tessera)
  if (pg !== null) servers.set('tessera-pg', await startTessera({ name: 'tessera-pg', cli: tesseraCli, databaseUrl: pg.url, logFile: join(temp, `tessera-pg-${index}.log`) }))
  const tesseraToken = await login(tessera.base)
  const meBody = await fetchMe(tessera.base, tesseraToken)
  servers.set('bare', await startBare(meBody, join(temp, `bare-${index}.log`)))
  servers.set('peer', await startPeer(peerFile, meBody, join(temp, `peer-${index}.log`)))

  const tokens = new Map<ServerName, string>()
  for (const [name, server] of servers) {
    const token = name === 'tessera' ? tesseraToken : name === 'bare' ? tesseraToken : await login(server.base)
    const body = await fetchMe(server.base, token)
    // The same bytes (tessera-pg's johndoe has an id of its own: the same length, other digits).
    const same = name === 'tessera-pg' ? Buffer.byteLength(body) === Buffer.byteLength(meBody) : body === meBody
    if (!same) throw new Error(`${name} answers GET /users/me with other bytes than Tessera:\n${body}\n${meBody}`)
    tokens.set(name, token)
  }

  // The order rotates from round to round, so no server always goes first (or last) on a machine
  // whose load drifts.
  const names = [...servers.keys()]
  const order = names.map((_, i) => names[(i + index) % names.length] as ServerName)
  say(`warming up ${order.join(', ')} (${settings.warmupSeconds} s each)...`)
  for (const name of order) {
    const server = servers.get(name) as RunningServer
    await runWrk(wrkPath, meLoad(server.base, tokens.get(name) as string, settings.connections, settings.warmupSeconds))
  }
  say(`GET /users/me, ${settings.connections} connections, ${settings.durationSeconds} s each...`)
  const me: Partial<Record<ServerName, MeFigures>> = {}
  for (const name of order) {
    const server = servers.get(name) as RunningServer
    me[name] = await measureMe(server, meLoad(server.base, tokens.get(name) as string, settings.connections, settings.durationSeconds))
  }

  say(`POST /token, ${settings.loginConnections} connections, ${settings.loginDurationSeconds} s (Tessera, then the peer)...`)
  const logins: RoundResult['logins'] = {}
  for (const name of ['tessera', 'peer'] as const) {
    const server = servers.get(name) as RunningServer
    const pids = processTree(server.started.pid)
    const before = cpuMicros(pids)
    const r = await runWrk(wrkPath, loginLoad(server.base, settings.loginConnections, settings.loginDurationSeconds))
    const used = cpuMicros(pids) - before
    logins[name] = {
      loginsPerSecond: r.okPerSecond, overCeiling: r.okPerSecond / ceiling, p99Ms: r.latencyMs.p99,
      cpuMsPerLogin: r.requests > 0 ? used / 1000 / r.requests : Number.NaN, failed: r.errors.status + r.errors.timeout,
    }
  }

  say(`GET /users/me from one connection during a login storm (${settings.stormConnections} connections)...`)
  const storm: RoundResult['storm'] = {}
  for (const name of ['tessera', 'peer'] as const) {
    const server = servers.get(name) as RunningServer
    const stormRun = runWrk(wrkPath, loginLoad(server.base, settings.stormConnections, settings.stormDurationSeconds))
    await new Promise((r) => setTimeout(r, 1000)) // the storm is under way (the queue is full) before measuring
    const probe = await runWrk(wrkPath, meLoad(server.base, tokens.get(name) as string, 1, Math.max(1, settings.stormDurationSeconds - 2)))
    const logs = await stormRun
    storm[name] = { p50Ms: probe.latencyMs.p50, p99Ms: probe.latencyMs.p99, maxMs: probe.latencyMs.max, requests: probe.requests, loginsPerSecond: logs.okPerSecond }
  }
  const startMs: RoundResult['startMs'] = {}
  for (const [name, server] of servers) startMs[name] = server.startMs ?? Number.NaN
  await stopAll()

  say(`${settings.burst} concurrent logins on a fresh Tessera...`)
  const fresh = await startTessera({ name: 'tessera', cli: tesseraCli, databaseUrl: `sqlite:${join(temp, `burst-${index}.db`)}`, logFile: join(temp, `burst-${index}.log`) })
  const rssBefore = peakRssBytes(processTree(fresh.started.pid))
  const outcomes = await burst(fresh.base, settings.burst)
  const rssPeak = peakRssBytes(processTree(fresh.started.pid))
  await stopAll()
  const ok = outcomes.filter((o) => o.status === 200).length
  const refused = outcomes.filter((o) => o.status === 503 && o.retryAfter !== undefined && /^\d+$/.test(o.retryAfter)).length
  const burstResult = {
    attempts: settings.burst, ok, refusedWithRetryAfter: refused, otherFailures: settings.burst - ok - refused,
    otherStatuses: [...new Set(outcomes.filter((o) => o.status !== 200 && !(o.status === 503 && o.retryAfter !== undefined)).map((o) => o.status))],
    peakRssMiB: rssPeak / 2 ** 20, rssAtStartMiB: rssBefore / 2 ** 20, startMs: fresh.startMs ?? Number.NaN,
  }
  const best = Math.max(...argon2.loops.map((l) => l.perSecond))
  return {
    argon2: { hashCpuMsMin: argon2.hash.cpuSecondsMin * 1000, hashCpuMsMedian: argon2.hash.cpuSecondsMedian * 1000, ceiling, loopPerSecond: best, loopOverCeiling: best / ceiling, loops: argon2.loops },
    me, logins, storm, burst: burstResult, startMs,
  }
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')

function printTable(report: Report): void {
  const m = report.medians
  console.log('')
  console.log(`GET /users/me — ${settings.connections} connections, ${settings.durationSeconds} s, medians of ${report.rounds.length} rounds`)
  const widths = [12, 9, 8, 8, 11, 12, 12, 7]
  console.log(pad(['server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'CPU ÷ bare', 'req/s ÷ bare', 'errors'], widths))
  for (const name of report.servers) {
    const s = m.me[name]
    if (s === undefined) continue
    console.log(pad([name, fmt(s.requestsPerSecond), fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), fmt(s.cpuMicrosPerRequest, 1),
      fmt(s.cpuOverBare, 2), fmt(s.rpsOverBare, 2), fmt(s.errors)], widths))
  }
  console.log('')
  for (const name of ['tessera', 'peer'] as const) {
    const l = m.logins[name]
    if (l === undefined) continue
    console.log(`POST /token ${name.padEnd(8)} ${fmt(l.loginsPerSecond, 1)} logins/s ÷ ceiling ${fmt(m.ceiling, 1)} = ${fmt(l.overCeiling, 2)};  p99 ${fmt(l.p99Ms)} ms, ${fmt(l.cpuMsPerLogin, 1)} ms CPU/login`)
  }
  console.log(`  argon2id hash: ${fmt(m.hashCpuMsMin, 1)} ms CPU (min of ${settings.hashes}), median ${fmt(m.hashCpuMsMedian, 1)} ms; ceiling = ${cores} cores ÷ min`)
  console.log(`  argon2 alone, back to back (best of 1 or 2 at a time): ${fmt(m.loopPerSecond, 1)}/s = ${fmt(m.loopOverCeiling, 2)} of the ceiling; Tessera's logins/s ÷ that = ${fmt(m.loginsOverLoop, 2)}`)
  for (const name of ['tessera', 'peer'] as const) {
    const s = m.storm[name]
    if (s === undefined) continue
    console.log(`storm ${name.padEnd(8)} GET /users/me, 1 connection: p50 ${fmt(s.p50Ms, 2)} ms, p99 ${fmt(s.p99Ms, 2)} ms, max ${fmt(s.maxMs, 1)} ms (logins/s meanwhile ${fmt(s.loginsPerSecond, 1)})`)
  }
  const b = m.burst
  console.log(`burst: ${settings.burst} concurrent logins: peak RSS ${fmt(b.peakRssMiB)} MiB (${fmt(b.rssAtStartMiB)} at start); ${fmt(b.ok)} ok, ${fmt(b.refusedWithRetryAfter)} 503 + Retry-After, ${fmt(b.otherFailures)} other`)
  console.log(`start → first 200: ${report.servers.map((n) => `${n} ${fmt(m.startMs[n] ?? Number.NaN)} ms`).join(', ')}`)
  console.log('')
  console.log(pad(['target', 'measured', 'goal', 'met'], [58, 10, 10, 4]))
  for (const t of judge(report)) console.log(pad([t.label, t.measured, t.goal, t.met === null ? 'n/a' : t.met ? 'yes' : 'NO'], [58, 10, 10, 4]))
}

function mediansOf(rounds: RoundResult[], servers: ServerName[]): Report['medians'] {
  const of = (pick: (r: RoundResult) => number | undefined) => median(rounds.map((r) => pick(r) ?? Number.NaN))
  const me: Report['medians']['me'] = {}
  for (const name of servers) {
    me[name] = {
      requestsPerSecond: of((r) => r.me[name]?.requestsPerSecond), okPerSecond: of((r) => r.me[name]?.okPerSecond),
      p50Ms: of((r) => r.me[name]?.p50Ms), p99Ms: of((r) => r.me[name]?.p99Ms),
      cpuMicrosPerRequest: of((r) => r.me[name]?.cpuMicrosPerRequest), coresBusy: of((r) => r.me[name]?.coresBusy),
      errors: of((r) => r.me[name]?.errors),
      // Ratios within each round, then their median: the machine's drift between rounds cancels.
      cpuOverBare: of((r) => (r.me[name]?.cpuMicrosPerRequest ?? Number.NaN) / (r.me.bare?.cpuMicrosPerRequest ?? Number.NaN)),
      rpsOverBare: of((r) => (r.me[name]?.requestsPerSecond ?? Number.NaN) / (r.me.bare?.requestsPerSecond ?? Number.NaN)),
    }
  }
  const logins: Report['medians']['logins'] = {}
  const storm: Report['medians']['storm'] = {}
  for (const name of ['tessera', 'peer'] as const) {
    logins[name] = {
      loginsPerSecond: of((r) => r.logins[name]?.loginsPerSecond), overCeiling: of((r) => r.logins[name]?.overCeiling),
      p99Ms: of((r) => r.logins[name]?.p99Ms), cpuMsPerLogin: of((r) => r.logins[name]?.cpuMsPerLogin), failed: of((r) => r.logins[name]?.failed),
    }
    storm[name] = {
      p50Ms: of((r) => r.storm[name]?.p50Ms), p99Ms: of((r) => r.storm[name]?.p99Ms), maxMs: of((r) => r.storm[name]?.maxMs),
      requests: of((r) => r.storm[name]?.requests), loginsPerSecond: of((r) => r.storm[name]?.loginsPerSecond),
    }
  }
  const startMs: Record<string, number> = {}
  for (const name of servers) startMs[name] = of((r) => r.startMs[name])
  return {
    me, logins, storm, startMs,
    ceiling: of((r) => r.argon2.ceiling), loopPerSecond: of((r) => r.argon2.loopPerSecond), loopOverCeiling: of((r) => r.argon2.loopOverCeiling),
    loginsOverLoop: of((r) => (r.logins.tessera?.loginsPerSecond ?? Number.NaN) / r.argon2.loopPerSecond),
    hashCpuMsMin: of((r) => r.argon2.hashCpuMsMin), hashCpuMsMedian: of((r) => r.argon2.hashCpuMsMedian),
    burst: {
      attempts: settings.burst, ok: of((r) => r.burst.ok), refusedWithRetryAfter: of((r) => r.burst.refusedWithRetryAfter),
      // Not a median: any round with a failure other than 503 + Retry-After fails the target.
      otherFailures: Math.max(...rounds.map((r) => r.burst.otherFailures)),
      otherStatuses: [...new Set(rounds.flatMap((r) => r.burst.otherStatuses))],
      peakRssMiB: of((r) => r.burst.peakRssMiB), rssAtStartMiB: of((r) => r.burst.rssAtStartMiB), startMs: of((r) => r.burst.startMs),
    },
  }
}

let tempDir: string | undefined
let pgDatabase: BenchDatabase | null = null

async function main(): Promise<void> {
  if (!existsSync(tesseraCli)) throw new Error(`${tesseraCli} not found: run \`npm run build\` first (npm run bench does)`)
  if (!existsSync(wrkPath)) throw new Error(`${wrkPath} not found: apt-get install wrk (or set BENCH_WRK)`)
  const temp = mkdtempSync(join(tmpdir(), 'tessera-bench-'))
  tempDir = temp
  const loadAtStart = loadavg()[0] ?? 0
  const started = new Date()
  console.log(`bench: ${cores} cores, load average ${loadAtStart.toFixed(2)}; ${settings.rounds} rounds${settings.postgres ? ', with PostgreSQL' : ''}`)
  const peerFile = await buildPeer()
  if (settings.postgres) pgDatabase = await createBenchDatabase()
  const servers: ServerName[] = ['bare', 'peer', 'tessera', ...(settings.postgres ? ['tessera-pg' as const] : [])]
  const rounds: RoundResult[] = []
  try {
    for (let i = 0; i < settings.rounds; i++) rounds.push(await round(i, temp, peerFile, pgDatabase))
  } finally {
    await stopAll()
    await pgDatabase?.drop().catch((err: unknown) => console.error(`bench: could not drop the PostgreSQL database: ${String(err)}`))
    rmSync(temp, { recursive: true, force: true })
  }
  const report: Report = {
    date: started.toISOString(),
    machine: {
      cores, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(Number(readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 2 ** 20),
      kernel: release(), node: process.version, wrk: wrkVersion(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg()[0] ?? 0,
    },
    tesseraFrom: relative(repoRoot, tesseraCli), settings, defaults: DEFAULT_SETTINGS, servers, rounds, medians: mediansOf(rounds, servers),
  }
  printTable(report)
  const outDir = join(repoRoot, 'bench/out')
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n')
  const chart = renderChart(report)
  writeFileSync(join(outDir, 'chart.svg'), chart)
  if (process.env.BENCH_REPORT !== '0') {
    writeFileSync(join(repoRoot, 'bench/chart.svg'), chart)
    writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderMarkdown(report))
    console.log('bench: wrote BENCHMARKS.md, bench/chart.svg and bench/out/results.json')
  } else {
    console.log('bench: wrote bench/out/results.json and bench/out/chart.svg (BENCH_REPORT=0: BENCHMARKS.md untouched)')
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll(2000).finally(async () => {
      await pgDatabase?.drop().catch(() => undefined)
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true })
      process.exit(130)
    })
  })
}

main().catch(async (err: unknown) => {
  await stopAll()
  console.error(err instanceof Error ? err.stack ?? err.message : err)
  process.exitCode = 1
})
