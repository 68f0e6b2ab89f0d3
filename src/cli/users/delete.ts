import type { Command } from 'commander'
import { findUserOrFail, withStore } from '../command-context.js'

export function addUsersDeleteCommand(users: Command): void {
  users
    .command('delete')
    .description('delete a user and their items; their tokens stop working at once')
    .argument('<username>')
    .action(async (username: string) => {
      await withStore(async ({ store }) => {
        const user = await findUserOrFail(store, username)
        await store.users.delete(user.id)
        process.stdout.write(`Deleted user ${JSON.stringify(user.username)}.\n`)
      })
    })
}
