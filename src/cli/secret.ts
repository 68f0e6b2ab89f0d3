import { randomBytes } from 'node:crypto'
import type { Command } from 'commander'

/** 32 random bytes: RFC 7518 §3.2's minimum for HS256, hex as `openssl rand -hex 32` prints it. */
export function generateSecretKey(): string {
  return randomBytes(32).toString('hex')
}

export function addSecretCommand(program: Command): void {
  const secret = program.command('secret').description('signing secrets')
  secret
    .command('generate')
    .description('print a new random key for TESSERA_SECRET_KEY')
    .action(() => {
      process.stdout.write(`${generateSecretKey()}\n`)
    })
}
