import type { Command } from 'commander'
import { endAllSessions, systemClock } from '../../core/index.js'
import { findUserOrFail, withStore } from '../command-context.js'

export function addUsersDisableCommands(users: Command): void {
  users
    .command('disable')
    .description('stop a user from logging in or using their tokens')
    .argument('<username>')
    .action(async (username: string) => {
      await withStore(async ({ store }) => {
        const user = await findUserOrFail(store, username)
        await store.users.setDisabled(user.id, true)
        // Also ends every session (access and refresh tokens), so enabling the account later
        // does not revive them.
        await endAllSessions(user.id, { users: store.users, refreshTokens: store.refreshTokens, browserSessions: store.browserSessions, clock: systemClock })
        process.stdout.write(`Disabled user ${JSON.stringify(user.username)}.\n`)
      })
    })

  users
    .command('enable')
    .description('let a disabled user log in again')
    .argument('<username>')
    .action(async (username: string) => {
      await withStore(async ({ store }) => {
        const user = await findUserOrFail(store, username)
        await store.users.setDisabled(user.id, false)
        process.stdout.write(`Enabled user ${JSON.stringify(user.username)}.\n`)
      })
    })
}
