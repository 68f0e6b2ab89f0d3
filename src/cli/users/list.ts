import type { Command } from 'commander'
import { formatScope, type UserRecord } from '../../core/index.js'
import { withStore } from '../command-context.js'
import { table } from '../table.js'

/** What an administrator sees of a user: everything except the password hash. */
function listed(user: UserRecord) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    disabled: user.disabled,
    scopes: user.scopes,
    created_at: user.createdAt.toISOString(),
  }
}

export function addUsersListCommand(users: Command): void {
  users
    .command('list')
    .description('list users (never their password hashes)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore(({ store }) => store.users.list())
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(all.map(listed), null, 2)}\n`)
        return
      }
      if (all.length === 0) {
        process.stdout.write('No users.\n')
        return
      }
      const header = ['USERNAME', 'FULL NAME', 'EMAIL', 'STATUS', 'SCOPES', 'CREATED']
      const rows = all.map((user) => [
        user.username, user.fullName ?? '-', user.email ?? '-', user.disabled ? 'disabled' : 'active',
        formatScope(user.scopes) || '-', user.createdAt.toISOString(),
      ])
      process.stdout.write(`${table([header, ...rows])}\n`)
    })
}
