import { spawn, type ChildProcess } from 'node:child_process'
import { REPO_ROOT, cleanEnv } from '../cli/run-cli.js'
import { closedPort } from './redis.js'

/**
 * A real `tessera serve` process (`node --import tsx src/cli/main.ts serve`), as an operator runs
 * one: for the tests where processes, signals and sockets matter (several instances, faults).
 * UV_THREADPOOL_SIZE is set, so `serve` never relaunches itself: the pid is the server's.
 */
export interface TesseraProcess {
  url: string
  port: number
  pid: number
  /** Everything it wrote so far (stdout and stderr), for failure messages. */
  log(): string
  /** False once the process has exited (for whatever reason). */
  running(): boolean
  /** Settles when the process has exited, with its status. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` and waits (at most `timeoutMs`) for the exit; SIGKILL and a rejection after that. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const START_TIMEOUT_MS = 30_000
const LOG_LIMIT = 4 * 1024 * 1024

const running = new Set<ChildProcess>()

/** SIGKILLs every Tessera process still running: for afterAll, whatever happened before. */
export function killAllTessera(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
}

// A worker that ends without afterAll (a crash) still takes its servers with it.
process.once('exit', killAllTessera)

export { closedPort as freePort }

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
    await res.arrayBuffer()
    return res.status === 200
  } catch {
    return false
  }
}

export async function spawnTessera(env: Record<string, string>, options: { port?: number } = {}): Promise<TesseraProcess> {
  const port = options.port ?? await closedPort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', String(port)], {
    cwd: REPO_ROOT,
    env: cleanEnv({ TESSERA_HOST: '127.0.0.1', UV_THREADPOOL_SIZE: '4', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let out = ''
  const append = (chunk: string) => {
    out += chunk
    if (out.length > LOG_LIMIT) out = out.slice(-LOG_LIMIT / 2)
  }
  child.stdout?.setEncoding('utf8').on('data', append)
  child.stderr?.setEncoding('utf8').on('data', append)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => { running.delete(child); resolve({ code, signal }) })
  })
  const url = `http://127.0.0.1:${port}`

  // Listening once /healthz answers (whatever the log level says or hides).
  const deadline = Date.now() + START_TIMEOUT_MS
  let gone = false
  void exited.then(() => { gone = true })
  while (!(await healthy(url))) {
    if (gone) throw new Error(`tessera serve exited (${child.exitCode ?? child.signalCode}) before listening:\n${out}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`tessera serve did not listen within ${START_TIMEOUT_MS} ms:\n${out}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return {
    url,
    port,
    pid: child.pid as number,
    log: () => out,
    running: () => child.exitCode === null && child.signalCode === null,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`tessera serve did not exit within ${timeoutMs} ms of ${signal}:\n${out.slice(-4000)}`))
        }, timeoutMs)
      })
      try {
        return await Promise.race([exited, late])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}
