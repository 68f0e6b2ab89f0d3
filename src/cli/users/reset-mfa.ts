import type { Command } from 'commander'
import { resetSecondFactor, systemClock } from '../../core/index.js'
import { findUserOrFail, withStore } from '../command-context.js'

export function addUsersResetMfaCommand(users: Command): void {
  users
    .command('reset-mfa')
    .description("remove a user's authenticator app and recovery codes (a lost phone): the next sign-in asks for the password only")
    .argument('<username>')
    .action(async (username: string) => {
      await withStore(async ({ store }) => {
        const user = await findUserOrFail(store, username)
        const { removed } = await resetSecondFactor(user.id, { users: store.users, totp: store.totp })
        // The same audit entry as DELETE /admin/users/{id}/mfa; the operator at the console has no account id.
        await store.audit.record({
          event: 'admin.mfa_reset', at: systemClock.now(), userId: user.id, username: user.username, clientId: null, actorId: null,
          ip: null, userAgent: null, details: { removed, via: 'cli' },
        })
        process.stdout.write(removed
          ? `Removed the second factor of user ${JSON.stringify(user.username)}.\n`
          : `User ${JSON.stringify(user.username)} had no second factor.\n`)
      })
    })
}
