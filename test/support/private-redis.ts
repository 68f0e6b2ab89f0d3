import { spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { closedPort } from './redis.js'

/**
 * A Redis of the test's own (`redis-server` as a child, no persistence, on a free port), so a
 * fault test can kill it without touching the machine's shared one. Killing it loses every key,
 * as a restarted cache without persistence would.
 */
export interface PrivateRedis {
  url: string
  port: number
  /** SIGKILL: the connection drops with no goodbye. Resolves once the process is gone. */
  kill(): Promise<void>
  /** A fresh redis-server on the same port; resolves once it answers PING. */
  start(): Promise<void>
}

const START_TIMEOUT_MS = 10_000
const children = new Set<ChildProcess>()

/** For afterAll: every private Redis still running is killed. */
export function killAllPrivateRedis(): void {
  for (const child of children) child.kill('SIGKILL')
}

process.once('exit', killAllPrivateRedis)

async function answersPing(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 })
  probe.on('error', () => undefined)
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await closedPort()
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()

  async function start(): Promise<void> {
    const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child = server
    children.add(server)
    exited = new Promise((resolve) => server.once('exit', () => { children.delete(server); resolve() }))
    const deadline = Date.now() + START_TIMEOUT_MS
    while (!(await answersPing(port))) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      child?.kill('SIGKILL')
      await exited
    },
    start,
  }
}
