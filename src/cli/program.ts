import { createRequire } from 'node:module'
import { Command } from 'commander'
import { addAuditCommand } from './audit.js'
import { EXIT, reportError } from './cli-error.js'
import { addClientsCommand } from './clients.js'
import { addKeysCommand } from './keys.js'
import { addProvidersCommand } from './providers.js'
import { addMigrateCommand } from './migrate.js'
import { addSecretCommand } from './secret.js'
import { addServeCommand } from './serve.js'
import { addUsersCommand } from './users.js'

// The same relative path from src/cli/ and from dist/cli/.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

function printError(line: string): void {
  process.stderr.write(`${line}\n`)
}

/**
 * `tessera <command>`: arguments in, exit status out. Parsing and output only; each command
 * calls core and storage for the work (DESIGN.md "The shape").
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  const program = new Command('tessera')
    .description('Tessera: an OAuth2 + JWT authentication server')
    .version(version)
    // Subcommands made with .command() inherit both: usage errors become exit status 2, not 1.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
  addServeCommand(program, (code) => { exitCode = code })
  addMigrateCommand(program)
  addUsersCommand(program)
  addClientsCommand(program)
  addProvidersCommand(program)
  addAuditCommand(program)
  addSecretCommand(program)
  addKeysCommand(program)

  try {
    await program.parseAsync(argv)
  } catch (err) {
    return reportError(err, printError)
  }
  return exitCode
}
