// Every process the benchmark starts is registered here, so that one call stops them all,
// whether the run ends normally, throws, or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** Children run from the repository root, where `--import tsx` and dist/ resolve. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url))

const running = new Set<ChildProcess>()
/** Children started as process-group leaders: signals go to the whole group. */
const groups = new WeakSet<ChildProcess>()

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    if (groups.has(child) && child.pid !== undefined) process.kill(-child.pid, name)
    else child.kill(name)
  } catch {
    // already gone
  }
}

export interface Started {
  child: ChildProcess
  pid: number
  /** Everything the process wrote, for error messages: stdout and stderr go to this file. */
  logFile: string
}

/** Starts a long-running process with its output in a file (a pipe would cost the server CPU). */
export function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Started {
  const fd = openSync(logFile, 'a')
  // A process group of its own, so that stopping it also stops anything it started
  // (`tessera serve` may run the server in a child: src/cli/threadpool.ts).
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', fd, fd], detached: true })
  closeSync(fd)
  groups.add(child)
  if (child.pid === undefined) throw new Error(`could not start ${command}`)
  running.add(child)
  child.once('exit', () => running.delete(child))
  return { child, pid: child.pid, logFile }
}

/** Runs a process to completion and returns its stdout; rejects on a non-zero exit. */
export function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
    running.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      if (code === 0) resolve(stdout)
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}\n${stderr.slice(-2000)}`))
    })
  })
}

function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signal(child, 'SIGKILL') // the leader is gone; anything left in its group is not wanted
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => signal(child, 'SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      signal(child, 'SIGKILL')
      resolve()
    })
    signal(child, 'SIGTERM')
  })
}

/** SIGTERM to each, SIGKILL to any still alive after the grace period. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, graceMs)))
}

/** Last resort if the parent exits without awaiting stopAll (e.g. process.exit elsewhere). */
process.once('exit', () => {
  for (const child of running) signal(child, 'SIGKILL')
})

export function tail(file: string, chars = 3000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars)
  } catch {
    return ''
  }
}

/** A loopback port that was free a moment ago (the OS picks it; the race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls `url` until it answers (any HTTP status), the process dies, or the time is up. */
export async function waitUntilServing(url: string, started: Started, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`process exited before serving ${url}:\n${tail(started.logFile)}`)
    }
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  throw new Error(`${url} not serving after ${timeoutMs} ms:\n${tail(started.logFile)}`)
}
