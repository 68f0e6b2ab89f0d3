import type { Command } from 'commander'
import { assertPasswordAcceptable, endAllSessions, systemClock } from '../../core/index.js'
import { findUserOrFail, withStore } from '../command-context.js'
import { readNewPassword } from '../password-input.js'
import { PASSWORD_SOURCE_HELP } from './password-source-help.js'

export function addUsersPasswdCommand(users: Command): void {
  users
    .command('passwd')
    .description("set a user's password; their existing tokens stop working")
    .argument('<username>')
    .addHelpText('after', PASSWORD_SOURCE_HELP)
    .action(async (username: string) => {
      await withStore(async ({ config, store, hasher }) => {
        const user = await findUserOrFail(store, username)
        const password = await readNewPassword()
        assertPasswordAcceptable(password, config.passwordMaxBytes, ['password'])   // registration's policy
        await store.users.updatePasswordHash(user.id, await hasher.hash(password))
        // SPEC.md: a token issued before the last password change is rejected; refresh tokens end too.
        await endAllSessions(user.id, { users: store.users, refreshTokens: store.refreshTokens, browserSessions: store.browserSessions, clock: systemClock })
        process.stdout.write(`Changed the password of ${JSON.stringify(user.username)}.\n`)
      })
    })
}
