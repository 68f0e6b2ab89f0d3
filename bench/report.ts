// The benchmark's figures, its targets (issue 5) and BENCHMARKS.md, rendered from one run.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './child-processes.js'

export type ServerName = 'bare' | 'peer' | 'tessera' | 'tessera-pg'

export interface MeFigures {
  requestsPerSecond: number
  okPerSecond: number
  p50Ms: number
  p99Ms: number
  cpuMicrosPerRequest: number
  coresBusy: number
  errors: number
}

export interface LoginFigures { loginsPerSecond: number; overCeiling: number; p99Ms: number; cpuMsPerLogin: number; failed: number }
export interface StormFigures { p50Ms: number; p99Ms: number; maxMs: number; requests: number; loginsPerSecond: number }
export interface BurstFigures {
  attempts: number; ok: number; refusedWithRetryAfter: number; otherFailures: number; otherStatuses: number[]
  peakRssMiB: number; rssAtStartMiB: number; startMs: number
}

export interface RoundResult {
  argon2: {
    hashCpuMsMin: number; hashCpuMsMedian: number; ceiling: number
    /** Verifications per second of the library alone, back to back (the better of 1 and 2 at a time). */
    loopPerSecond: number; loopOverCeiling: number
    loops: Array<{ streams: number; perSecond: number; cpuSecondsPerHash: number; coresBusy: number }>
  }
  me: Partial<Record<ServerName, MeFigures>>
  logins: Partial<Record<'tessera' | 'peer', LoginFigures>>
  storm: Partial<Record<'tessera' | 'peer', StormFigures>>
  burst: BurstFigures
  startMs: Partial<Record<ServerName, number>>
}

export interface Report {
  date: string
  machine: { cores: number; cpu: string; memoryGiB: number; kernel: string; node: string; wrk: string; loadAverageAtStart: number; loadAverageAtEnd: number }
  /** The Tessera measured: dist/cli/main.js unless BENCH_DIST named another build. */
  tesseraFrom: string
  settings: Record<string, number | boolean>
  defaults: Record<string, number>
  servers: ServerName[]
  rounds: RoundResult[]
  medians: {
    me: Partial<Record<ServerName, MeFigures & { cpuOverBare: number; rpsOverBare: number }>>
    logins: Partial<Record<'tessera' | 'peer', LoginFigures>>
    storm: Partial<Record<'tessera' | 'peer', StormFigures>>
    startMs: Record<string, number>
    ceiling: number
    loopPerSecond: number
    loopOverCeiling: number
    loginsOverLoop: number
    hashCpuMsMin: number
    hashCpuMsMedian: number
    burst: BurstFigures
  }
}

interface Target {
  label: string
  goal: string
  /** The figure judged, from the medians; undefined when not measured in this run (PostgreSQL off). */
  value: (m: Report['medians']) => number | undefined
  met: (value: number, m: Report['medians']) => boolean
  digits: number
  unit?: string
}

/** Issue 5's table, for this 2-core machine; every figure is a ratio within one round, or absolute where it says so. */
export const TARGETS: readonly Target[] = [
  { label: 'GET /users/me CPU/request, Tessera (SQLite) ÷ bare', goal: '≤ 2.5', value: (m) => m.me.tessera?.cpuOverBare, met: (v) => v <= 2.5, digits: 2 },
  { label: 'GET /users/me req/s, Tessera (SQLite) ÷ bare', goal: '≥ 0.55', value: (m) => m.me.tessera?.rpsOverBare, met: (v) => v >= 0.55, digits: 2 },
  { label: 'GET /users/me CPU/request, Tessera (PostgreSQL) ÷ bare', goal: '≤ 4', value: (m) => m.me['tessera-pg']?.cpuOverBare, met: (v) => v <= 4, digits: 2 },
  { label: 'GET /users/me req/s, Tessera (PostgreSQL) ÷ bare', goal: '≥ 0.35', value: (m) => m.me['tessera-pg']?.rpsOverBare, met: (v) => v >= 0.35, digits: 2 },
  { label: 'logins/s ÷ argon2 ceiling', goal: '≥ 0.85', value: (m) => m.logins.tessera?.overCeiling, met: (v) => v >= 0.85, digits: 3 },
  { label: 'GET /users/me p99 (1 connection) during a login storm', goal: '≤ 25 ms', value: (m) => m.storm.tessera?.p99Ms, met: (v) => v <= 25, digits: 1, unit: ' ms' },
  { label: 'peak RSS, 500 concurrent logins', goal: '≤ 400 MiB', value: (m) => m.burst.peakRssMiB, met: (v) => v <= 400, digits: 0, unit: ' MiB' },
  { label: 'failures other than 503 + Retry-After in that burst', goal: '0', value: (m) => m.burst.otherFailures, met: (v) => v === 0, digits: 0 },
  { label: 'process start → first successful request', goal: '≤ 1000 ms', value: (m) => m.startMs.tessera, met: (v) => v <= 1000, digits: 0, unit: ' ms' },
]

export interface Judged { label: string; goal: string; measured: string; met: boolean | null }

export function judge(report: Report): Judged[] {
  return TARGETS.map((t) => {
    const value = t.value(report.medians)
    if (value === undefined || !Number.isFinite(value)) return { label: t.label, goal: t.goal, measured: 'not run', met: null }
    return { label: t.label, goal: t.goal, measured: `${value.toFixed(t.digits)}${t.unit ?? ''}`, met: t.met(value, report.medians) }
  })
}

const f = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a')

function quickRunNote(report: Report): string {
  const changed = Object.entries(report.defaults).filter(([k, v]) => report.settings[k] !== v).map(([k]) => `${k}=${String(report.settings[k])}`)
  return changed.length === 0 ? '' : `\n> **Quick run**: settings differ from the method's (${changed.join(', ')}); these figures are not the scoreboard.\n`
}

export function renderMarkdown(report: Report): string {
  const { medians: m, machine, settings } = report
  const lines: string[] = []
  lines.push('# Benchmarks', '')
  lines.push(`Generated by \`npm run bench\` on ${report.date.slice(0, 16).replace('T', ' ')} UTC — do not edit by hand; run the bench again.`)
  lines.push(quickRunNote(report))
  if (report.tesseraFrom !== 'dist/cli/main.js') lines.push(`> Tessera measured from **${report.tesseraFrom}** (BENCH_DIST), not this checkout's dist/.`, '')
  lines.push('![GET /users/me req/s and latency per server](bench/chart.svg)', '')
  lines.push('## Targets (issue 5)', '')
  lines.push('| figure | target | measured (median) | met |', '| --- | --- | --- | --- |')
  for (const t of judge(report)) lines.push(`| ${t.label} | ${t.goal} | ${t.measured} | ${t.met === null ? 'not run' : t.met ? 'yes' : '**no**'} |`)
  lines.push('')
  lines.push(`## GET /users/me — ${settings.connections} connections, ${settings.durationSeconds} s per server, medians of ${report.rounds.length} rounds`, '')
  lines.push('| server | req/s | p50 ms | p99 ms | server CPU µs/request | CPU ÷ bare | req/s ÷ bare | errors |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const name of report.servers) {
    const s = m.me[name]
    if (s === undefined) continue
    lines.push(`| ${name} | ${f(s.requestsPerSecond)} | ${f(s.p50Ms, 2)} | ${f(s.p99Ms, 2)} | ${f(s.cpuMicrosPerRequest, 1)} | ${f(s.cpuOverBare, 2)} | ${f(s.rpsOverBare, 2)} | ${f(s.errors)} |`)
  }
  lines.push('')
  lines.push(`## Logins — POST /token, ${settings.loginConnections} connections, ${settings.loginDurationSeconds} s`, '')
  lines.push(`argon2id (m=65536, t=3, p=4): one hash costs ${f(m.hashCpuMsMin, 1)} ms of CPU (the minimum of ${settings.hashes}; median ${f(m.hashCpuMsMedian, 1)} ms), so the ceiling is ${machine.cores} cores ÷ that = **${f(m.ceiling, 1)} logins/s**.`, '')
  lines.push(`The library alone, verifying back to back in one process (the better of one and two at a time; no server, no HTTP, no database), reaches ${f(m.loopPerSecond, 1)}/s = ${f(m.loopOverCeiling, 2)} of that ceiling: a hash's four lanes do not keep both cores busy all the time, and hashes side by side slow each other down. Tessera's logins/s ÷ that = **${f(m.loginsOverLoop, 2)}**.`, '')
  lines.push('| server | logins/s | ÷ ceiling | p99 ms | server CPU ms/login |', '| --- | ---: | ---: | ---: | ---: |')
  for (const name of ['tessera', 'peer'] as const) {
    const l = m.logins[name]
    if (l !== undefined) lines.push(`| ${name} | ${f(l.loginsPerSecond, 1)} | ${f(l.overCeiling, 3)} | ${f(l.p99Ms)} | ${f(l.cpuMsPerLogin, 1)} |`)
  }
  lines.push('')
  lines.push(`## GET /users/me during a login storm — 1 connection, while ${settings.stormConnections} connections log in`, '')
  lines.push('| server | p50 ms | p99 ms | max ms | logins/s meanwhile |', '| --- | ---: | ---: | ---: | ---: |')
  for (const name of ['tessera', 'peer'] as const) {
    const s = m.storm[name]
    if (s !== undefined) lines.push(`| ${name} | ${f(s.p50Ms, 2)} | ${f(s.p99Ms, 2)} | ${f(s.maxMs, 1)} | ${f(s.loginsPerSecond, 1)} |`)
  }
  lines.push('')
  lines.push(`## ${settings.burst} concurrent login attempts on a fresh Tessera`, '')
  const b = m.burst
  lines.push(`Peak RSS (VmHWM) **${f(b.peakRssMiB)} MiB** (${f(b.rssAtStartMiB)} MiB before the burst). Medians: ${f(b.ok)} logged in, ${f(b.refusedWithRetryAfter)} refused with 503 + Retry-After; failures of any other kind in any round: ${b.otherFailures}${b.otherStatuses.length > 0 ? ` (statuses ${b.otherStatuses.join(', ')})` : ''}.`, '')
  lines.push('## Start → first successful request', '')
  lines.push('Wall time from `spawn()` to the first 200 from `GET /healthz` (Tessera: a fresh SQLite file, so migrations and the demo seed included).', '')
  lines.push('| server | ms |', '| --- | ---: |')
  for (const name of report.servers) lines.push(`| ${name} | ${f(m.startMs[name])} |`)
  lines.push('')
  lines.push('## Every round', '')
  lines.push('| round | bare req/s | tessera req/s | CPU ÷ bare | req/s ÷ bare | PG CPU ÷ bare | PG req/s ÷ bare | peer CPU ÷ bare | logins ÷ ceiling | argon2 alone ÷ ceiling | storm p99 ms | burst RSS MiB | start ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  report.rounds.forEach((r, i) => {
    const bare = r.me.bare
    const ratio = (name: ServerName, key: 'cpuMicrosPerRequest' | 'requestsPerSecond') => (r.me[name]?.[key] ?? Number.NaN) / (bare?.[key] ?? Number.NaN)
    lines.push(`| ${i + 1} | ${f(bare?.requestsPerSecond)} | ${f(r.me.tessera?.requestsPerSecond)} | ${f(ratio('tessera', 'cpuMicrosPerRequest'), 2)} | ${f(ratio('tessera', 'requestsPerSecond'), 2)} | ${f(ratio('tessera-pg', 'cpuMicrosPerRequest'), 2)} | ${f(ratio('tessera-pg', 'requestsPerSecond'), 2)} | ${f(ratio('peer', 'cpuMicrosPerRequest'), 2)} | ${f(r.logins.tessera?.overCeiling, 3)} | ${f(r.argon2.loopOverCeiling, 3)} | ${f(r.storm.tessera?.p99Ms, 1)} | ${f(r.burst.peakRssMiB)} | ${f(r.startMs.tessera)} |`)
  })
  lines.push('')
  lines.push('## Machine', '')
  lines.push(`${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}, ${machine.wrk}. Load average ${machine.loadAverageAtStart.toFixed(2)} at the start, ${machine.loadAverageAtEnd.toFixed(2)} at the end (the machine is shared: figures are judged as ratios within a round).`, '')
  lines.push('## Method', '')
  lines.push(...METHOD)
  const analysis = join(repoRoot, 'bench/analysis.md')
  if (existsSync(analysis)) lines.push('', readFileSync(analysis, 'utf8').trimEnd())
  return lines.join('\n') + '\n'
}

const METHOD = [
  '- **Servers**, each started by the bench on a free loopback port, in a process group of its own, and stopped at the end of each round:',
  '  - `bare`: `node:http` answering GET /users/me with Tessera\'s own response bytes, no auth, no framework (bench/bare-server.js) — the ceiling for a Node server here;',
  '  - `peer`: Fastify + fast-jwt (HS256) + users in a Map, POST /token (argon2id, same parameters) and GET /users/me, default Fastify settings (no logger) (bench/peer-fastify.ts, run as JavaScript) — the strongest simple peer;',
  '  - `tessera`: `node dist/cli/main.js serve --demo` on a fresh SQLite file, default settings except the brute-force limits (off: every login comes from one loopback address);',
  '  - `tessera-pg`: the same on a PostgreSQL database created for the run on 127.0.0.1:5432 and dropped after it (`TESSERA_BENCH_PG=1`).',
  '- **Load**: wrk, 1 thread (the other core is the server\'s). GET /users/me with a valid bearer token; every server is warmed up first, and the order of servers rotates from round to round.',
  '- **Server CPU**: utime + stime of every thread of the server\'s process tree from /proc/<pid>/stat, read before and after each wrk run, divided by the requests answered (10 ms resolution). PostgreSQL\'s own processes are not counted.',
  '- **Login ceiling**: a separate process times single argon2id hashes with Tessera\'s parameters (bench/argon2-cost.ts) in each round; the ceiling is cores ÷ the CPU seconds of one hash (the minimum: a hash never costs less than itself, but other work on the machine can make some cost more).',
  '- **Storm**: wrk drives POST /token with the storm\'s connections; one second in, a second wrk measures GET /users/me from one connection for the storm\'s duration less two seconds.',
  '- **Burst**: a fresh Tessera gets all its login attempts at once, each on a connection of its own; the bench reads VmHWM (peak resident set) of the process tree afterwards and checks every answer is a 200 or a 503 with a numeric Retry-After.',
  '- **Start**: wall time from spawn() to the first 200 from GET /healthz, polled every 5 ms.',
  '- **Rounds**: the whole comparison runs BENCH_ROUNDS times (default 3); each ratio is taken within a round and the table shows medians. Raw figures: bench/out/results.json.',
  '- **Knobs** for quick runs: BENCH_ROUNDS, BENCH_DURATION, BENCH_CONNECTIONS, BENCH_LOGIN_DURATION, BENCH_LOGIN_CONNECTIONS, BENCH_STORM_DURATION, BENCH_STORM_CONNECTIONS, BENCH_BURST, BENCH_THREADS, BENCH_WARMUP, BENCH_HASHES, BENCH_WRK; BENCH_REPORT=0 leaves this file and the chart alone.',
]
