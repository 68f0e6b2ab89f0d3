import { CommanderError } from 'commander'
import { ConfigError } from '../config.js'
import { AuthError, ValidationFailed } from '../core/index.js'

/** Exit statuses: 0 done, 1 the command failed, 2 it was called wrongly (as getopt-style tools use). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A failure the user can act on: its message is the whole story, no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message)
    this.name = 'CliError'
  }
}

/** JavaScript's own error types mean a bug in Tessera: those keep their stack for the report. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError]

/**
 * Prints `err` for a person at a terminal and returns the exit status. Commander has already
 * printed its own usage errors. Messages never include a password: no error here carries one.
 */
export function reportError(err: unknown, write: (line: string) => void): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage
  if (err instanceof CliError) {
    write(`error: ${err.message}`)
    return err.exitCode
  }
  if (err instanceof ConfigError) {
    write(`error: ${err.message}`)
    return EXIT.failed
  }
  if (err instanceof ValidationFailed) {
    // A CLI has no request body: name the field alone ("password", not ["body", "password"]).
    for (const issue of err.issues) write(`error: ${String(issue.loc.at(-1) ?? 'input')}: ${issue.msg}`)
    return EXIT.failed
  }
  if (err instanceof AuthError) {
    write(`error: ${err.detail}`)
    return EXIT.failed
  }
  if (err instanceof Error && !PROGRAMMING_ERRORS.some((type) => err instanceof type)) {
    // Storage and drivers explain themselves (naming the variable to fix); the cause says why.
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : ''
    write(`error: ${err.message}${cause}`)
    return EXIT.failed
  }
  write(`error: unexpected failure, please report it:\n${err instanceof Error ? err.stack ?? err.message : String(err)}`)
  return EXIT.failed
}
