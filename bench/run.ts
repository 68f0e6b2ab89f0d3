// `npm run bench`: Tessera against baselines measured in the same run on the same machine.
//  1. GET /users/me with a valid token: Tessera (built dist/, SQLite, --demo) vs a bare node:http
//     server sending the same bytes — req/s, p99 latency and server CPU per request, and the
//     ratios Tessera ÷ bare.
//  2. POST /token logins vs the argon2 ceiling: cores ÷ CPU seconds per argon2id hash.
// No targets: it reports figures. Knobs (environment): BENCH_DURATION, BENCH_CONNECTIONS,
// BENCH_LOGIN_DURATION, BENCH_LOGIN_CONNECTIONS, BENCH_THREADS, BENCH_WARMUP, BENCH_HASHES, BENCH_WRK.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { freePort, repoRoot, runToEnd, startProcess, stopAll, waitUntilServing, type Started } from './child-processes.js'
import { cpuMicros, cpuResolutionMicros, processTree } from './process-cpu.js'
import { runWrk, type WrkLoad, type WrkResult } from './wrk.js'

function setting(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`)
  return value
}

const settings = {
  durationSeconds: setting('BENCH_DURATION', 10),
  connections: setting('BENCH_CONNECTIONS', 64),
  loginDurationSeconds: setting('BENCH_LOGIN_DURATION', 10),
  loginConnections: setting('BENCH_LOGIN_CONNECTIONS', 8),
  // One wrk thread leaves the other core to the (single-threaded) server on a 2-core machine.
  threads: setting('BENCH_THREADS', 1),
  warmupSeconds: setting('BENCH_WARMUP', 2),
  hashes: setting('BENCH_HASHES', 12),
}
const wrkPath = process.env.BENCH_WRK ?? '/usr/bin/wrk'
const cores = availableParallelism()
const demoForm = 'grant_type=password&username=johndoe&password=secret'

interface Argon2Cost {
  count: number
  params: { memoryCost: number; timeCost: number; parallelism: number }
  /** Over `count` single hashes (verifications): the minimum is the hash's own cost (bench/argon2-cost.ts). */
  hash: { cpuSecondsMin: number; cpuSecondsMedian: number; cpuSecondsMax: number; wallSecondsMedian: number }
  verify: { cpuSecondsMin: number; cpuSecondsMedian: number; cpuSecondsMax: number; wallSecondsMedian: number }
}

interface Measured extends WrkResult {
  serverCpuSeconds: number
  serverCpuMicrosPerRequest: number
  /** Cores the server kept busy on average during the run. */
  serverCoresBusy: number
}

async function measure(server: Started, load: WrkLoad): Promise<Measured> {
  const pids = processTree(server.pid)
  const before = cpuMicros(pids)
  const result = await runWrk(wrkPath, load)
  const used = cpuMicros(pids) - before
  return {
    ...result,
    serverCpuSeconds: used / 1e6,
    serverCpuMicrosPerRequest: result.requests > 0 ? used / result.requests : Number.NaN,
    serverCoresBusy: used / 1e6 / result.seconds,
  }
}

/** Tessera's environment: a fresh SQLite file, default hashing settings, its own port. */
function tesseraEnv(databaseFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_DATABASE_URL: `sqlite:${databaseFile}` }
  for (const name of Object.keys(env)) if (name.startsWith('TESSERA_HASH_')) delete env[name]
  return env
}

async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: demoForm,
  })
  const body = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`demo login failed: HTTP ${response.status}`)
  }
  return body.access_token
}

async function fetchMe(base: string, token: string): Promise<string> {
  const response = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  if (response.status !== 200 || !text.includes('"johndoe"')) throw new Error(`GET ${base}/users/me: HTTP ${response.status} ${text}`)
  return text
}

function wrkVersion(): string {
  try {
    execFileSync(wrkPath, ['-v'], { encoding: 'utf8' })
  } catch (err) {
    // wrk -v prints its version, then usage, and exits 1.
    const out = String((err as { stdout?: string }).stdout ?? '')
    return out.split('\n')[0]?.trim() ?? 'unknown'
  }
  return 'unknown'
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
const pad = (cells: string[], widths: number[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')

function errorCount(r: WrkResult): string {
  const e = r.errors
  const socket = e.connect + e.read + e.write + e.timeout
  return `${e.status} non-2xx, ${socket} socket`
}

let tempDir: string | undefined

async function main(): Promise<void> {
  const cli = join(repoRoot, 'dist/cli/main.js')
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first (npm run bench does)`)
  if (!existsSync(wrkPath)) throw new Error(`${wrkPath} not found: apt-get install wrk (or set BENCH_WRK)`)
  const temp = mkdtempSync(join(tmpdir(), 'tessera-bench-'))
  tempDir = temp
  const startLoad = loadavg()[0] ?? 0
  try {
    console.log(`bench: ${cores} cores, load average ${startLoad.toFixed(2)}; measuring argon2id cost (${settings.hashes} hashes, ${settings.hashes} verifications)...`)
    const argon2 = JSON.parse(
      await runToEnd(process.execPath, ['--import', 'tsx', 'bench/argon2-cost.ts'], { ...process.env, BENCH_HASHES: String(settings.hashes) }, 300_000),
    ) as Argon2Cost

    const tesseraPort = await freePort()
    const tessera = startProcess(process.execPath, [cli, 'serve', '--demo', '--port', String(tesseraPort)], tesseraEnv(join(temp, 'tessera.db')), join(temp, 'tessera.log'))
    const tesseraBase = `http://127.0.0.1:${tesseraPort}`
    await waitUntilServing(`${tesseraBase}/openapi.json`, tessera, 60_000)
    const token = await login(tesseraBase)
    const meBody = await fetchMe(tesseraBase, token)

    const barePort = await freePort()
    const bare = startProcess(process.execPath, [join(repoRoot, 'bench/bare-server.js')], { ...process.env, BENCH_BARE_PORT: String(barePort), BENCH_BARE_BODY: meBody }, join(temp, 'bare.log'))
    const bareBase = `http://127.0.0.1:${barePort}`
    await waitUntilServing(`${bareBase}/users/me`, bare, 30_000)
    if ((await fetchMe(bareBase, token)) !== meBody) throw new Error('bare server does not send Tessera\'s body')

    const meLoad = (base: string, durationSeconds: number): WrkLoad => ({
      url: `${base}/users/me`, method: 'GET', bearer: token, connections: settings.connections,
      threads: settings.threads, durationSeconds, timeoutSeconds: 5,
    })
    console.log(`bench: warming up both servers (${settings.warmupSeconds} s each)...`)
    await runWrk(wrkPath, meLoad(bareBase, settings.warmupSeconds))
    await runWrk(wrkPath, meLoad(tesseraBase, settings.warmupSeconds))

    console.log(`bench: GET /users/me, ${settings.connections} connections, ${settings.durationSeconds} s per server...`)
    const bareMe = await measure(bare, meLoad(bareBase, settings.durationSeconds))
    const tesseraMe = await measure(tessera, meLoad(tesseraBase, settings.durationSeconds))

    console.log(`bench: POST /token, ${settings.loginConnections} connections, ${settings.loginDurationSeconds} s...`)
    const logins = await measure(tessera, {
      url: `${tesseraBase}/token`, method: 'POST', form: demoForm, connections: settings.loginConnections,
      threads: Math.min(settings.threads, settings.loginConnections), durationSeconds: settings.loginDurationSeconds, timeoutSeconds: 30,
    })
    // A ceiling: no machine logs in faster than its cores can hash, at a hash's own (minimum) cost.
    const ceiling = cores / argon2.hash.cpuSecondsMin

    const ratios = {
      requestsPerSecond: tesseraMe.requestsPerSecond / bareMe.requestsPerSecond,
      p99Latency: tesseraMe.latencyMs.p99 / bareMe.latencyMs.p99,
      cpuPerRequest: tesseraMe.serverCpuMicrosPerRequest / bareMe.serverCpuMicrosPerRequest,
    }

    const widths = [10, 10, 9, 12, 10, 22]
    console.log('')
    console.log(`GET /users/me — ${settings.connections} connections, ${settings.threads} wrk thread(s), ${settings.durationSeconds} s each`)
    console.log(pad(['server', 'req/s', 'p99 ms', 'CPU µs/req', 'cores busy', 'errors'], widths))
    for (const [name, r] of [['bare', bareMe], ['tessera', tesseraMe]] as const) {
      console.log(pad([name, fmt(r.requestsPerSecond), fmt(r.latencyMs.p99, 2), fmt(r.serverCpuMicrosPerRequest, 1), fmt(r.serverCoresBusy, 2), errorCount(r)], widths))
    }
    console.log(pad(['tessera÷bare', fmt(ratios.requestsPerSecond, 2), fmt(ratios.p99Latency, 2), fmt(ratios.cpuPerRequest, 2), '', ''], widths))
    console.log('')
    console.log(`POST /token (johndoe, argon2id verify) — ${settings.loginConnections} connections, ${settings.loginDurationSeconds} s`)
    console.log(`  logins/s (2xx)       ${fmt(logins.okPerSecond, 1)}   p99 ${fmt(logins.latencyMs.p99, 1)} ms   errors: ${errorCount(logins)}`)
    console.log(`  server CPU per login ${fmt(logins.serverCpuMicrosPerRequest / 1000, 1)} ms   cores busy ${fmt(logins.serverCoresBusy, 2)}`)
    const ms = (s: number) => fmt(s * 1000, 1)
    const h = argon2.hash
    console.log(`  argon2id m=${argon2.params.memoryCost} t=${argon2.params.timeCost} p=${argon2.params.parallelism}, ${argon2.count} hashes: CPU per hash min ${ms(h.cpuSecondsMin)} ms,`
      + ` median ${ms(h.cpuSecondsMedian)}, max ${ms(h.cpuSecondsMax)} (median wall ${ms(h.wallSecondsMedian)} ms; verify min ${ms(argon2.verify.cpuSecondsMin)} ms CPU)`)
    console.log(`  ceiling = ${cores} cores ÷ ${fmt(h.cpuSecondsMin, 4)} s = ${fmt(ceiling, 1)} logins/s;  logins/s ÷ ceiling = ${fmt(logins.okPerSecond / ceiling, 2)}`)
    console.log('')
    console.log(`  (server CPU read from /proc/<pid>/stat, resolution ${fmt(cpuResolutionMicros / 1000)} ms; load average at start ${startLoad.toFixed(2)})`)

    const withoutText = ({ text: _text, ...rest }: Measured) => rest
    const results = {
      date: new Date().toISOString(),
      machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, wrk: wrkVersion(), loadAverageAtStart: startLoad },
      settings: { ...settings, tesseraFrom: 'dist/cli/main.js serve --demo', database: 'sqlite (temp file)' },
      usersMe: { bare: withoutText(bareMe), tessera: withoutText(tesseraMe), tesseraOverBare: ratios, responseBytes: Buffer.byteLength(meBody) },
      logins: { ...withoutText(logins), loginsPerSecond: logins.okPerSecond, argon2, ceilingLoginsPerSecond: ceiling, loginsOverCeiling: logins.okPerSecond / ceiling },
      wrkReports: { bare: bareMe.text, tessera: tesseraMe.text, logins: logins.text },
    }
    const outDir = join(repoRoot, 'bench/out')
    mkdirSync(outDir, { recursive: true })
    writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
    console.log(`bench: wrote bench/out/results.json`)
  } finally {
    await stopAll()
    rmSync(temp, { recursive: true, force: true })
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll(2000).finally(() => {
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true })
      process.exit(130)
    })
  })
}

main().catch(async (err: unknown) => {
  await stopAll()
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
