import { InvalidArgumentError, type Command } from 'commander'
import { loadProcessConfig, processThreadpoolSize } from '../config.js'
import { relaunchWithThreadpool } from './threadpool.js'

/** `--port 0` asks the OS for a free port; the log line names the one it got. */
export function parsePort(value: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(port) || port > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535')
  return port
}

interface ServeOptions { host?: string; port?: number; demo?: boolean }

export function addServeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('run the HTTP server (applies pending migrations first)')
    .option('--host <host>', 'address to listen on (overrides TESSERA_HOST)')
    .option('--port <port>', 'port to listen on, 0 for any free one (overrides TESSERA_PORT)', parsePort)
    .option('--demo', "seed the tutorial's users johndoe/secret and alice/secret2 (overrides TESSERA_DEMO)")
    .action(async (options: ServeOptions) => {
      // An absent flag leaves the environment's value alone (`--demo` can turn demo on, not off).
      const config = loadProcessConfig({ host: options.host, port: options.port, demo: options.demo === true ? true : undefined })
      const threadpool = processThreadpoolSize(config)
      if (!threadpool.inEnvironment && !threadpool.sufficient) {
        setExitCode(await relaunchWithThreadpool(threadpool.size))
        return
      }
      // Loaded here, not at the top: the relaunching parent and the other commands never need Fastify.
      const { startServer } = await import('../http/server.js')
      const server = await startServer(config)
      await server.closed
    })
}
