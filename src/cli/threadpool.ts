import { spawn } from 'node:child_process'
import { constants } from 'node:os'

/**
 * Why `tessera serve` may start itself twice.
 *
 * argon2 (via @node-rs/argon2) runs each hash on the libuv thread pool, which Node also uses for
 * async fs, dns.lookup and crypto. libuv reads UV_THREADPOOL_SIZE exactly once, when the pool
 * first starts — and under ESM that is before the entry module's first line runs: Node's ESM
 * loader reads module sources with async fs, which starts the pool with the default 4 threads.
 * (Measured on Node 20: assigning the variable at the top of an ESM entry has no effect; setting
 * it before a CommonJS entry imports anything does.) So a `process.env.UV_THREADPOOL_SIZE = …`
 * here would be ignored. When the operator has not set the variable, `serve` sets it and runs
 * itself again as a child with the same arguments (only when libuv's default of 4 threads is too
 * small for the configured hash concurrency); the parent only relays signals and the exit
 * status. An operator who sets UV_THREADPOOL_SIZE gets a single process.
 */
export function relaunchWithThreadpool(size: number): Promise<number> {
  // Inherited by the child through the environment; this is the only write to it (config.ts reads it).
  process.env.UV_THREADPOOL_SIZE = String(size)
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })

  // The child does the graceful shutdown; the parent passes the request on. On a terminal's ^C
  // both receive SIGINT, which the server's shutdown treats as one request.
  const relay = (signal: NodeJS.Signals) => () => { child.kill(signal) }
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP']
  const handlers = signals.map((signal) => [signal, relay(signal)] as const)
  for (const [signal, handler] of handlers) process.on(signal, handler)

  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      for (const [name, handler] of handlers) process.off(name, handler)
      // The shell convention for "killed by signal N" is 128 + N.
      resolve(code ?? 128 + signalNumber(signal))
    })
  })
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 1 : constants.signals[signal]
}
