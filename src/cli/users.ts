import type { Command } from 'commander'
import { addUsersAddCommand } from './users/add.js'
import { addUsersDeleteCommand } from './users/delete.js'
import { addUsersDisableCommands } from './users/disable.js'
import { addUsersListCommand } from './users/list.js'
import { addUsersPasswdCommand } from './users/passwd.js'
import { addUsersResetMfaCommand } from './users/reset-mfa.js'

export function addUsersCommand(program: Command): void {
  const users = program.command('users').description('manage user accounts')
  addUsersAddCommand(users)
  addUsersListCommand(users)
  addUsersDisableCommands(users)
  addUsersPasswdCommand(users)
  addUsersResetMfaCommand(users)
  addUsersDeleteCommand(users)
}
