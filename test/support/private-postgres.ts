import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { closedPort } from './redis.js'

const run = promisify(execFile)

/**
 * A PostgreSQL cluster of the test's own: initdb into a temporary directory, its own port and
 * socket directory, stopped and started at will, so a fault test can take the database away
 * without touching the machine's shared server. PostgreSQL refuses to run as root: as root (CI)
 * every binary runs as the `postgres` OS user through runuser, otherwise as the current user.
 */
export interface PrivateCluster {
  /** The `postgres` database as the `postgres` superuser (trust auth on 127.0.0.1). */
  url: string
  port: number
  /** `pg_ctl stop -m immediate`: the postmaster and every backend are gone at once, connections cut. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>
  /** `pg_ctl start -w`: resolves once it accepts connections (after crash recovery when there was a crash). */
  start(): Promise<void>
  /** Stops it (if running) and deletes its directory. Idempotent. */
  destroy(): Promise<void>
  /** The server's log so far, for failure messages. */
  log(): string
}

const live = new Set<PrivateCluster>()
const onExit = new Map<PrivateCluster, () => void>()

// A worker that ends without afterAll (a crash) leaves no postmaster behind.
process.once('exit', () => {
  for (const cluster of live) {
    try {
      onExit.get(cluster)?.()
    } catch {
      // best effort
    }
  }
})

/** PostgreSQL's binaries: Debian keeps them under /usr/lib/postgresql/<major>/bin, off PATH. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const majors = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  const found = majors.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')))
  return found ?? null
}

const asRoot = userInfo().uid === 0

function postgresUser(): { uid: number; gid: number } {
  // Node has no getpwnam; `id` is in coreutils.
  return { uid: Number(execFileSyncText('id', ['-u', 'postgres'])), gid: Number(execFileSyncText('id', ['-g', 'postgres'])) }
}

function execFileSyncText(file: string, args: string[]): string {
  return String(execFileSync(file, args)).trim()
}

function command(bin: string, tool: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
}

async function pg(bin: string, tool: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [file, argv] = command(bin, tool, args)
  const { stdout } = await run(file, argv, { timeout: timeoutMs })
  return stdout
}

export async function createPrivateCluster(): Promise<PrivateCluster> {
  const bin = postgresBinDir()
  if (bin === null) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql/<major>/bin (Debian package postgresql)')
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'))
  if (asRoot) {
    const { uid, gid } = postgresUser()
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  const port = await closedPort()
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=50`
  let running = false
  let destroyed = false

  await pg(bin, 'initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--no-instructions'])

  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await pg(bin, 'pg_ctl', ['start', '-w', '-t', '30', '-D', data, '-l', logFile, '-o', options])
      running = true
    },
    async stop(mode = 'immediate') {
      await pg(bin, 'pg_ctl', ['stop', '-w', '-t', '30', '-m', mode, '-D', data])
      running = false
    },
    async destroy() {
      if (destroyed) return
      destroyed = true
      live.delete(cluster)
      if (running) await cluster.stop('immediate').catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
    log() {
      try {
        return readFileSync(logFile, 'utf8')
      } catch {
        return ''
      }
    },
  }
  live.add(cluster)
  onExit.set(cluster, () => {
    if (running) execFileSync(...command(bin, 'pg_ctl', ['stop', '-m', 'immediate', '-D', data]), { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  await cluster.start()
  return cluster
}
