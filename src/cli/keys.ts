import { InvalidArgumentError, type Command } from 'commander'
import {
  DEFAULT_ID_TOKEN_ALGORITHM, DEFAULT_SIGNING_ALGORITHM, SIGNING_ALGORITHMS, addSigningKey, listSigningKeys, retireSigningKey,
  rotateSigningKey, systemClock, type SigningAlgorithm, type SigningKeyPurpose, type SigningKeySummary,
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

/** On the command line a purpose is spelt like an option (`id-token`); the store's spelling is accepted too. */
const PURPOSE_FLAGS: Record<string, SigningKeyPurpose> = { 'access-token': 'access_token', 'id-token': 'id_token' }

function parsePurpose(value: string): SigningKeyPurpose {
  const purpose = PURPOSE_FLAGS[value.trim().toLowerCase().replace('_', '-')]
  if (purpose === undefined) throw new InvalidArgumentError(`must be one of ${Object.keys(PURPOSE_FLAGS).join(', ')}`)
  return purpose
}

function purposeFlag(purpose: SigningKeyPurpose): string {
  return purpose === 'id_token' ? 'id-token' : 'access-token'
}

const PURPOSE_HELP = 'what the key signs: access-token (default) or id-token (OpenID Connect id_tokens, one active key per algorithm)'

/** JSON keeps the store's spelling (`id_token`); the table the option's (`id-token`). */
function listed(key: SigningKeySummary) {
  return { kid: key.kid, purpose: key.purpose, alg: key.algorithm, status: key.status, created_at: new Date(key.createdAt).toISOString() }
}

function generated(key: SigningKeySummary, note: string): string {
  if (key.status !== 'active') {
    return `Generated ${key.algorithm} ${key.purpose === 'id_token' ? 'id_token ' : ''}key ${key.kid}: verifying (published, not signing yet). Start signing with it: tessera keys rotate --kid ${key.kid}`
  }
  return key.purpose === 'id_token'
    ? `Generated ${key.algorithm} id_token key ${key.kid}: active. id_tokens of clients registered for ${key.algorithm} are signed with it. ${note}`
    : `Generated ${key.algorithm} key ${key.kid}: active. Access tokens are signed with it; HS256 tokens are no longer accepted. ${note}`
}

function rotated(active: SigningKeySummary, previous: SigningKeySummary | null, note: string): string {
  const what = active.purpose === 'id_token' ? `${active.algorithm} id_token key` : `${active.algorithm} key`
  const before = previous !== null
    ? `${previous.kid} keeps verifying until: tessera keys retire ${previous.kid}`
    : active.purpose === 'id_token' ? `No ${active.algorithm} id_token key was active before.` : 'No key was active before: HS256 tokens are no longer accepted.'
  return `${what} ${active.kid} is now active. ${before} ${note}`
}

function print(text: string): void {
  process.stdout.write(`${text}\n`)
}

/**
 * `tessera keys`: the asymmetric signing keys (see src/core/key-rotation.ts for the lifecycle).
 * Output names keys by kid and algorithm only: a private key is never printed.
 */
export function addKeysCommand(program: Command): void {
  const keys = program.command('keys')
    .description('manage the asymmetric keys that sign access tokens and id_tokens (published at /.well-known/jwks.json)')

  keys
    .command('generate')
    .description('add a key: active if none of its purpose (and, for id_tokens, algorithm) is, else verifying (published ahead of `keys rotate --kid`)')
    .option('--alg <alg>', `${ALG_HELP} (default: ${DEFAULT_SIGNING_ALGORITHM}; ${DEFAULT_ID_TOKEN_ALGORITHM} for id-token)`, parseAlgorithm)
    .option('--purpose <purpose>', PURPOSE_HELP, parsePurpose, 'access_token')
    .action(async (options: { alg?: SigningAlgorithm; purpose: SigningKeyPurpose }) => {
      const algorithm = options.alg ?? (options.purpose === 'id_token' ? DEFAULT_ID_TOKEN_ALGORITHM : DEFAULT_SIGNING_ALGORITHM)
      const { key, note } = await withStore(async ({ config, store }) => {
        const added = await addSigningKey(algorithm, { keys: store.signingKeys, clock: systemClock }, { purpose: options.purpose })
        return { key: added, note: await announceKeyChange(config) }
      })
      print(generated(key, note))
    })

  keys
    .command('list')
    .description('list the signing keys (kid, purpose, algorithm, status, creation time; never private keys)')
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
      const rows = all.map((key) => [key.kid, purposeFlag(key.purpose), key.algorithm, key.status, new Date(key.createdAt).toISOString()])
      print(table([['KID', 'PURPOSE', 'ALG', 'STATUS', 'CREATED'], ...rows]))
      // The server makes an id_token key on first start, so a list is rarely empty: say what signs access tokens.
      if (!all.some((key) => key.purpose === 'access_token' && key.status === 'active')) {
        print('No access-token key is active: access tokens are signed with HS256 and the secret key.')
      }
    })

  keys
    .command('rotate')
    .description('make another key sign from now on; the key it takes over from keeps verifying until retired')
    .option(
      '--alg <alg>',
      `algorithm of the new key: ${ALG_HELP} (default: the active key's, else ${DEFAULT_SIGNING_ALGORITHM}; `
        + `for id-token ${DEFAULT_ID_TOKEN_ALGORITHM}, replacing only the active key of that algorithm)`,
      parseAlgorithm,
    )
    .option('--purpose <purpose>', `${PURPOSE_HELP}; with --kid the key's own`, parsePurpose)
    .option('--kid <kid>', 'promote this verifying key (made by `keys generate`) instead of generating one')
    .action(async (options: { alg?: SigningAlgorithm; purpose?: SigningKeyPurpose; kid?: string }) => {
      if (options.alg !== undefined && options.kid !== undefined) throw new CliError('give --alg or --kid, not both', EXIT.usage)
      const { active, previous, note } = await withStore(async ({ config, store }) => {
        const rotation = await rotateSigningKey(
          { algorithm: options.alg, kid: options.kid, purpose: options.purpose }, { keys: store.signingKeys, clock: systemClock },
        )
        return { ...rotation, note: await announceKeyChange(config) }
      })
      print(rotated(active, previous, note))
    })

  keys
    .command('retire')
    .description('stop accepting tokens signed by a key and unpublish it (not the active key)')
    .argument('<kid>')
    // A kid is a base64url thumbprint, so one in 64 begins with '-': take it as the argument, not an option.
    .allowUnknownOption()
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
