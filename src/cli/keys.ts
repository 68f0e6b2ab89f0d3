import { InvalidArgumentError, type Command } from 'commander'
import {
  DEFAULT_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, addSigningKey, listSigningKeys, retireSigningKey, rotateSigningKey,
  systemClock, type SigningAlgorithm, type SigningKeySummary,
} from '../core/index.js'
import { EXIT, CliError } from './cli-error.js'
import { withStore } from './command-context.js'
import { announceKeyChange } from './key-change-notice.js'
import { table } from './table.js'

/** `--alg eddsa` means EdDSA: JOSE names are case-sensitive, people typing them are not. */
function parseAlgorithm(value: string): SigningAlgorithm {
  const found = SIGNING_ALGORITHMS.find((alg) => alg.toLowerCase() === value.trim().toLowerCase())
  if (found === undefined) throw new InvalidArgumentError(`must be one of ${SIGNING_ALGORITHMS.join(', ')}`)
  return found
}

const ALG_HELP = `${SIGNING_ALGORITHMS.join(', ')} (EdDSA is Ed25519, recommended)`

function listed(key: SigningKeySummary) {
  return { kid: key.kid, alg: key.algorithm, status: key.status, created_at: new Date(key.createdAt).toISOString() }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`)
}

/**
 * `tessera keys`: the asymmetric signing keys (see src/core/key-rotation.ts for the lifecycle).
 * Output names keys by kid and algorithm only: a private key is never printed.
 */
export function addKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage the asymmetric keys that sign access tokens (published at /.well-known/jwks.json)')

  keys
    .command('generate')
    .description('add a key: active if none is, else verifying (published ahead of `keys rotate --kid`)')
    .option('--alg <alg>', ALG_HELP, parseAlgorithm, DEFAULT_SIGNING_ALGORITHM)
    .action(async (options: { alg: SigningAlgorithm }) => {
      const { key, note } = await withStore(async ({ config, store }) => {
        const added = await addSigningKey(options.alg, { keys: store.signingKeys, clock: systemClock })
        return { key: added, note: await announceKeyChange(config) }
      })
      if (key.status === 'active') {
        print(`Generated ${key.algorithm} key ${key.kid}: active. Access tokens are signed with it; HS256 tokens are no longer accepted. ${note}`)
      } else {
        print(`Generated ${key.algorithm} key ${key.kid}: verifying (published, not signing yet). Start signing with it: tessera keys rotate --kid ${key.kid}`)
      }
    })

  keys
    .command('list')
    .description('list the signing keys (kid, algorithm, status, creation time; never private keys)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore(({ store }) => listSigningKeys({ keys: store.signingKeys, clock: systemClock }))
      if (options.json === true) {
        print(JSON.stringify(all.map(listed), null, 2))
        return
      }
      if (all.length === 0) {
        print('No signing keys: access tokens are signed with HS256 and the secret key.')
        return
      }
      const rows = all.map((key) => Object.values(listed(key)))
      print(table([['KID', 'ALG', 'STATUS', 'CREATED'], ...rows]))
    })

  keys
    .command('rotate')
    .description('make another key sign from now on; the previous active key keeps verifying until retired')
    .option('--alg <alg>', `algorithm of the new key: ${ALG_HELP} (default: the active key's, else ${DEFAULT_SIGNING_ALGORITHM})`, parseAlgorithm)
    .option('--kid <kid>', 'promote this verifying key (made by `keys generate`) instead of generating one')
    .action(async (options: { alg?: SigningAlgorithm; kid?: string }) => {
      if (options.alg !== undefined && options.kid !== undefined) throw new CliError('give --alg or --kid, not both', EXIT.usage)
      const { active, previous, note } = await withStore(async ({ config, store }) => {
        const rotated = await rotateSigningKey({ algorithm: options.alg, kid: options.kid }, { keys: store.signingKeys, clock: systemClock })
        return { ...rotated, note: await announceKeyChange(config) }
      })
      const before = previous === null
        ? 'No key was active before: HS256 tokens are no longer accepted.'
        : `${previous.kid} keeps verifying until: tessera keys retire ${previous.kid}`
      print(`${active.algorithm} key ${active.kid} is now active. ${before} ${note}`)
    })

  keys
    .command('retire')
    .description('stop accepting tokens signed by a key and unpublish it (not the active key)')
    .argument('<kid>')
    .action(async (kid: string) => {
      const { key, alreadyRetired, note } = await withStore(async ({ config, store }) => {
        const retired = await retireSigningKey(kid, { keys: store.signingKeys, clock: systemClock })
        return { ...retired, note: retired.alreadyRetired ? '' : await announceKeyChange(config) }
      })
      print(alreadyRetired
        ? `Key ${key.kid} was already retired.`
        : `Retired key ${key.kid}: tokens it signed are no longer accepted. ${note}`)
    })
}
