import { InvalidArgumentError, type Command } from 'commander'
import {
  DEFAULT_USER_SCOPES, SCOPES, isScope, parseScope, registerUser, type NewUser, type Scope, type UserStore,
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

/**
 * registerUser sets what open registration gives everyone (enabled, default scopes); an
 * administrator may say otherwise. Applied at insert, so the account never exists, even for a
 * moment, with more than it was meant to have.
 */
function creatingWith(users: UserStore, extra: Pick<NewUser, 'disabled' | 'scopes'>): UserStore {
  return new Proxy(users, {
    get(target, property) {
      if (property === 'create') return (user: NewUser) => target.create({ ...user, ...extra })
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export function addUsersAddCommand(users: Command): void {
  users
    .command('add')
    .description('create a user, under the same rules as registration')
    .argument('<username>')
    .option('--email <email>', 'email address')
    .option('--full-name <name>', 'full name')
    .option('--disabled', 'create the account disabled')
    .option('--scopes <scopes>', `space-separated scopes the user may be granted (default: "${DEFAULT_USER_SCOPES.join(' ')}")`, parseScopes)
    .addHelpText('after', PASSWORD_SOURCE_HELP)
    .action(async (username: string, options: AddOptions) => {
      await withStore(async ({ config, store, hasher }) => {
        // Before asking for a password that could not be used anyway.
        if (await store.users.findByUsername(username) !== null) throw new CliError(`a user named ${JSON.stringify(username)} already exists`)
        const password = await readNewPassword()
        const extra: Pick<NewUser, 'disabled' | 'scopes'> = {}
        if (options.disabled === true) extra.disabled = true
        if (options.scopes !== undefined) extra.scopes = options.scopes
        const user = await registerUser(
          { username, password, email: options.email ?? null, full_name: options.fullName ?? null },
          { users: creatingWith(store.users, extra), hasher, passwordMaxBytes: config.passwordMaxBytes },
        )
        process.stdout.write(`Created user ${JSON.stringify(user.username)} (id ${user.id}${user.disabled ? ', disabled' : ''}).\n`)
      })
    })
}
