import type { Command } from 'commander'
import { loadProcessConfig } from '../config.js'
import { migrateToLatest } from '../storage/index.js'

export function addMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('bring the database schema up to date (serve also does this on start)')
    .action(async () => {
      const { databaseUrl } = loadProcessConfig()
      const { applied } = await migrateToLatest(databaseUrl)
      process.stdout.write(applied.length === 0
        ? 'The database schema is up to date.\n'
        : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}\n`)
    })
}
