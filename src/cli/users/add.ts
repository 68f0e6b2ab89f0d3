import { InvalidArgumentError, type Command } from 'commander'
import {
  DEFAULT_USER_SCOPES, SCOPES, isScope, parseScope, registerUser, type Scope,
} from '../../core/index.js'
import { CliError } from '../cli-error.js'
import { withStore } from '../command-context.js'
import { readNewPassword } from '../password-input.js'
import { PASSWORD_SOURCE_HELP } from './password-source-help.js'

export function parseScopes(value: string): Scope[] {
  const scopes = parseScope(value)
  const unknown = scopes.filter((s) => !isScope(s))
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown scope ${unknown.join(', ')} (known: ${Object.keys(SCOPES).join(', ')})`)
  return scopes.filter(isScope)
}

interface AddOptions { email?: string; fullName?: string; disabled?: boolean; scopes?: Scope[] }

export function addUsersAddCommand(users: Command): void {
  users
    .command('add')
    .description('create a user, under the same rules as registration')
    .argument('<username>')
    .option('--email <email>', 'email address')
    .option('--full-name <name>', 'full name')
    .option('--disabled', 'create the account disabled')
    .option(
      '--scopes <scopes>',
      `space-separated scopes the user may be granted (default: "${DEFAULT_USER_SCOPES.join(' ')}"; an administrator: "me items users:read users:write")`,
      parseScopes,
    )
    .addHelpText('after', PASSWORD_SOURCE_HELP)
    .action(async (username: string, options: AddOptions) => {
      await withStore(async ({ config, store, hasher }) => {
        // Before asking for a password that could not be used anyway.
        if (await store.users.findByUsername(username) !== null) throw new CliError(`a user named ${JSON.stringify(username)} already exists`)
        const password = await readNewPassword()
        // An administrator may say what open registration does not: applied at insert, so the
        // account never exists, even for a moment, with more than it was meant to have.
        const user = await registerUser(
          { username, password, email: options.email ?? null, full_name: options.fullName ?? null },
          { users: store.users, hasher, passwordMaxBytes: config.passwordMaxBytes },
          { ...(options.disabled === true ? { disabled: true } : {}), ...(options.scopes === undefined ? {} : { scopes: options.scopes }) },
        )
        process.stdout.write(`Created user ${JSON.stringify(user.username)} (id ${user.id}${user.disabled ? ', disabled' : ''}).\n`)
      })
    })
}
