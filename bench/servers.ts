// The servers the benchmark compares, each started on a free loopback port in a process (group)
// of its own and stopped by stopAll(): Tessera from dist/ (SQLite or PostgreSQL), the bare
// node:http floor, and the minimal Fastify + fast-jwt peer.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, repoRoot, startProcess, waitUntilServing, type Started } from './child-processes.js'

export const DEMO_FORM = 'grant_type=password&username=johndoe&password=secret'

export interface RunningServer {
  name: string
  base: string
  started: Started
  /** Wall milliseconds from spawn() to the first successful answer (when measured). */
  startMs?: number
}

/**
 * Tessera's environment: no TESSERA_* variable from the caller's shell (a typo there would stop
 * the server, and TESSERA_BENCH_PG is the bench's own), then exactly the settings of this run.
 */
export function tesseraEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(env)) if (name.startsWith('TESSERA_')) delete env[name]
  // The server sizes its own pool (src/cli/threadpool.ts); an inherited value would override that.
  delete env.UV_THREADPOOL_SIZE
  return {
    ...env,
    // The benchmark drives logins from one loopback address, which the brute-force limits
    // would rightly lock after a handful of parallel attempts: they are a separate feature,
    // measured by its own tests, so they are off here and every login reaches argon2.
    TESSERA_LOGIN_MAX_FAILURES: '0',
    TESSERA_LOGIN_IP_MAX_FAILURES: '0',
    ...settings,
  }
}

/** Polls `url` every few ms until it answers 200, and returns the wall time since `since`. */
export async function firstSuccess(url: string, started: Started, since: number, timeoutMs: number): Promise<number> {
  const deadline = since + timeoutMs
  while (performance.now() < deadline) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) throw new Error(`${url}: process exited before answering`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.status === 200) return performance.now() - since
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`${url}: no 200 within ${timeoutMs} ms`)
}

export interface TesseraOptions {
  name: string
  databaseUrl: string
  logFile: string
  nodeArgs?: string[]
  env?: Record<string, string>
  /** Another build's CLI (bench/ab.ts compares two); default dist/cli/main.js. */
  cli?: string
}

export async function startTessera(options: TesseraOptions): Promise<RunningServer> {
  const port = await freePort()
  const cli = options.cli ?? join(repoRoot, 'dist/cli/main.js')
  const since = performance.now()
  const started = startProcess(process.execPath, [...(options.nodeArgs ?? []), cli, 'serve', '--demo', '--port', String(port)],
    tesseraEnv({ TESSERA_DATABASE_URL: options.databaseUrl, ...options.env }), options.logFile)
  const base = `http://127.0.0.1:${port}`
  const startMs = await firstSuccess(`${base}/healthz`, started, since, 60_000)
  return { name: options.name, base, started, startMs }
}

export async function startBare(meBody: string, logFile: string): Promise<RunningServer> {
  const port = await freePort()
  const since = performance.now()
  const started = startProcess(process.execPath, [join(repoRoot, 'bench/bare-server.js')],
    { ...process.env, BENCH_BARE_PORT: String(port), BENCH_BARE_BODY: meBody }, logFile)
  const base = `http://127.0.0.1:${port}`
  await waitUntilServing(`${base}/users/me`, started, 30_000)
  return { name: 'bare', base, started, startMs: performance.now() - since }
}

/**
 * The peer is TypeScript like the rest of the bench, but runs as plain JavaScript (no loader in
 * the measured process, as Tessera runs from dist/): TypeScript's own transpiler writes it into
 * bench/out/, inside the repository so that its imports resolve to node_modules.
 */
export async function buildPeer(): Promise<string> {
  const ts = (await import('typescript')).default
  const source = readFileSync(join(repoRoot, 'bench/peer-fastify.ts'), 'utf8')
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  })
  const outDir = join(repoRoot, 'bench/out')
  mkdirSync(outDir, { recursive: true })
  const target = join(outDir, 'peer-fastify.mjs')
  writeFileSync(target, outputText)
  return target
}

export async function startPeer(peerFile: string, meBody: string, logFile: string): Promise<RunningServer> {
  const port = await freePort()
  const since = performance.now()
  const started = startProcess(process.execPath, [peerFile],
    { ...process.env, BENCH_PEER_PORT: String(port), BENCH_PEER_USER: meBody, BENCH_PEER_PASSWORD: 'secret' }, logFile)
  const base = `http://127.0.0.1:${port}`
  const startMs = await firstSuccess(`${base}/healthz`, started, since, 30_000)
  return { name: 'peer', base, started, startMs }
}

export async function login(base: string): Promise<string> {
  const response = await fetch(`${base}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: DEMO_FORM,
  })
  const body = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || typeof body.access_token !== 'string') throw new Error(`${base}: demo login failed: HTTP ${response.status}`)
  return body.access_token
}

export async function fetchMe(base: string, token: string): Promise<string> {
  const response = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  if (response.status !== 200 || !text.includes('"johndoe"')) throw new Error(`GET ${base}/users/me: HTTP ${response.status} ${text}`)
  return text
}

/** Peak resident set (VmHWM) of each process, kB → bytes, summed over `pids`. */
export function peakRssBytes(pids: readonly number[]): number {
  let total = 0
  for (const pid of pids) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m !== null) total += Number(m[1]) * 1024
    } catch {
      // exited
    }
  }
  return total
}
