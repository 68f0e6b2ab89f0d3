import { InvalidArgumentError, Option, type Command } from 'commander'
import {
  CLIENT_TYPES, CODE_FLOW_GRANT_TYPES, DEFAULT_CLIENT_GRANT_TYPES, DEFAULT_ID_TOKEN_ALGORITHM, DEFAULT_USER_SCOPES, GRANT_TYPES, NotFound,
  SIGNING_ALGORITHMS, formatScope, registerClient, rotateClientSecret, updateClient, type ClientRecord, type ClientType, type ClientUpdate,
  type SigningAlgorithm,
} from '../core/index.js'
import { CliError } from './cli-error.js'
import { withStore } from './command-context.js'
import { table } from './table.js'

/** Space- or comma-separated, as a shell user types a list; checking is core's (registerClient). */
function parseList(value: string): string[] {
  return [...new Set(value.split(/[\s,]+/).filter((v) => v !== ''))]
}

function parseNonEmptyList(value: string): string[] {
  const list = parseList(value)
  if (list.length === 0) throw new InvalidArgumentError('must name at least one')
  return list
}

/** Commander's idiom for a repeatable option: each `--redirect-uri URI` adds one; absent stays undefined. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** `--id-token-alg es256` means ES256, as `keys --alg` reads it. */
function parseIdTokenAlgorithm(value: string): SigningAlgorithm {
  const found = SIGNING_ALGORITHMS.find((alg) => alg.toLowerCase() === value.trim().toLowerCase())
  if (found === undefined) throw new InvalidArgumentError(`must be one of ${SIGNING_ALGORITHMS.join(', ')}`)
  return found
}

/** What an operator sees of a client: never its secret or the secret's hash. The admin API's names. */
function listed(client: ClientRecord) {
  return {
    client_id: client.id, name: client.name, type: client.type, grant_types: client.grantTypes, scopes: client.scopes,
    redirect_uris: client.redirectUris, post_logout_redirect_uris: client.postLogoutRedirectUris, first_party: client.firstParty,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg, resources: client.resources,
    created_at: new Date(client.createdAt).toISOString(),
  }
}

/** The sign-in fields worth a line: those set, and the id_token algorithm of a client that signs users in. */
function signInLines(client: ClientRecord): string {
  const lines: [string, string][] = []
  if (client.redirectUris.length > 0) lines.push(['redirect URIs', client.redirectUris.join(' ')])
  if (client.postLogoutRedirectUris.length > 0) lines.push(['post-logout URIs', client.postLogoutRedirectUris.join(' ')])
  if (client.firstParty) lines.push(['first-party', 'yes (its users are not asked for consent)'])
  if (client.grantTypes.includes('authorization_code')) lines.push(['id_token alg', client.idTokenSignedResponseAlg])
  if (client.resources.length > 0) lines.push(['resources', client.resources.join(' ')])
  return lines.map(([label, value]) => `${`${label}:`.padEnd(18)}${value}\n`).join('')
}

interface SignInOptions {
  redirectUri?: string[]
  postLogoutRedirectUri?: string[]
  firstParty?: boolean
  idTokenAlg?: SigningAlgorithm
  resource?: string[]
}

/** The options add and update share, named as the admin API's fields; core checks them (registerClient, updateClient). */
function addSignInOptions(command: Command, algorithmNote: string): Command {
  return command
    .option('--redirect-uri <uri>', 'where authorization codes may be sent, matched exactly; repeat for more (needed for authorization_code)', collect)
    .option('--post-logout-redirect-uri <uri>', 'where signing out may send the browser afterwards; repeat for more', collect)
    .option('--id-token-alg <alg>', `how its id_tokens are signed: ${SIGNING_ALGORITHMS.join(', ')}${algorithmNote}`, parseIdTokenAlgorithm)
    .option('--resource <uri>', 'an RFC 8707 resource (absolute URI) its access tokens may name as audience; repeat for more', collect)
}

function signInFields(options: SignInOptions): ClientUpdate {
  return {
    ...(options.redirectUri === undefined ? {} : { redirectUris: options.redirectUri }),
    ...(options.postLogoutRedirectUri === undefined ? {} : { postLogoutRedirectUris: options.postLogoutRedirectUri }),
    ...(options.firstParty === undefined ? {} : { firstParty: options.firstParty }),
    ...(options.idTokenAlg === undefined ? {} : { idTokenSignedResponseAlg: options.idTokenAlg }),
    ...(options.resource === undefined ? {} : { resources: options.resource }),
  }
}

function notFoundAsCliError(id: string) {
  return (err: unknown): never => {
    if (err instanceof NotFound) throw new CliError(`no client with id ${JSON.stringify(id)}`)
    throw err
  }
}

const SHOWN_ONCE = 'The secret is shown only this once and stored as a hash: keep it now.\n'

interface AddOptions extends SignInOptions { type: ClientType; grantTypes?: string[]; scopes?: string[]; json?: boolean }

const GRANT_TYPES_HELP = `grant types it may use, of ${GRANT_TYPES.join(', ')}`

function addClientsAddCommand(clients: Command): void {
  const add = clients
    .command('add')
    .description('register an OAuth client; prints its id and (confidential) secret once')
    .argument('<name>', 'a name to recognise it by')
    .addOption(new Option('--type <type>', 'confidential (has a secret) or public (cannot keep one)').choices(CLIENT_TYPES).default('confidential'))
    .option(
      '--grant-types <types>',
      `${GRANT_TYPES_HELP} (default: with --redirect-uri "${CODE_FLOW_GRANT_TYPES.join(' ')}"; else confidential `
        + `"${DEFAULT_CLIENT_GRANT_TYPES.confidential.join(' ')}", public "${DEFAULT_CLIENT_GRANT_TYPES.public.join(' ')}")`,
      parseNonEmptyList,
    )
    .option('--scopes <scopes>', `scopes it may be granted (default: "${DEFAULT_USER_SCOPES.join(' ')}", plus "openid profile email offline_access" for authorization_code)`, parseList)
  addSignInOptions(add, ` (default: ${DEFAULT_ID_TOKEN_ALGORITHM})`)
    .option('--first-party', 'the operator\'s own app: its users are not asked for consent')
    .option('--json', 'print JSON instead of text')
    .action(async (name: string, options: AddOptions) => {
      const { client, secret } = await withStore(({ store }) => registerClient({
        name, type: options.type,
        ...(options.grantTypes === undefined ? {} : { grantTypes: options.grantTypes }),
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
        ...signInFields(options),
      }, store.clients))
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ ...listed(client), client_secret: secret }, null, 2)}\n`)
        return
      }
      process.stdout.write(
        `Created ${client.type} client ${JSON.stringify(client.name)} `
          + `(grant types: ${formatScope(client.grantTypes)}; scopes: ${formatScope(client.scopes) || '-'}).\n`
          + signInLines(client)
          + `client_id:     ${client.id}\n`
          + (secret === null ? '' : `client_secret: ${secret}\n`),
      )
      if (secret !== null) process.stderr.write(SHOWN_ONCE)
    })
}

function addClientsListCommand(clients: Command): void {
  clients
    .command('list')
    .description('list registered clients (never their secrets)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore(({ store }) => store.clients.list())
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(all.map(listed), null, 2)}\n`)
        return
      }
      if (all.length === 0) {
        process.stdout.write('No clients.\n')
        return
      }
      const header = ['CLIENT ID', 'NAME', 'TYPE', 'GRANT TYPES', 'SCOPES', 'REDIRECT URIS', 'FIRST PARTY', 'ID TOKEN ALG', 'CREATED']
      const rows = all.map((c) => [
        c.id, c.name, c.type, formatScope(c.grantTypes), formatScope(c.scopes) || '-', c.redirectUris.join(' ') || '-',
        c.firstParty ? 'yes' : 'no', c.idTokenSignedResponseAlg, new Date(c.createdAt).toISOString(),
      ])
      process.stdout.write(`${table([header, ...rows])}\n`)
    })
}

interface UpdateOptions extends SignInOptions { name?: string; grantTypes?: string[]; scopes?: string[]; json?: boolean }

function addClientsUpdateCommand(clients: Command): void {
  const update = clients
    .command('update')
    .description('change a client\'s fields (never its type or secret); a list given replaces the list')
    .argument('<client-id>')
    .option('--name <name>', 'a new name')
    .option('--grant-types <types>', GRANT_TYPES_HELP, parseNonEmptyList)
    .option('--scopes <scopes>', 'scopes it may be granted', parseList)
  addSignInOptions(update, '')
    .option('--first-party', 'the operator\'s own app: its users are not asked for consent')
    .option('--no-first-party', 'ask its users for consent again')
    .option('--json', 'print JSON instead of text')
    .action(async (id: string, options: UpdateOptions) => {
      const changes: ClientUpdate = {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.grantTypes === undefined ? {} : { grantTypes: options.grantTypes }),
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
        ...signInFields(options),
      }
      const { client, changed } = await withStore(({ store }) => updateClient(id, changes, store.clients).catch(notFoundAsCliError(id)))
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ ...listed(client), changed }, null, 2)}\n`)
        return
      }
      const what = changed.length === 0 ? 'nothing changed' : `changed ${changed.join(', ')}`
      process.stdout.write(
        `Updated client ${JSON.stringify(client.name)} (${client.id}): ${what} `
          + `(grant types: ${formatScope(client.grantTypes)}; scopes: ${formatScope(client.scopes) || '-'}).\n${signInLines(client)}`,
      )
    })
}

function addClientsRemoveCommand(clients: Command): void {
  clients
    .command('remove')
    .description('remove a client; the refresh tokens issued to it stop working')
    .argument('<client-id>')
    .action(async (id: string) => {
      const removed = await withStore(async ({ store }) => {
        const client = await store.clients.findById(id)
        if (client === null || !(await store.clients.delete(id))) throw new CliError(`no client with id ${JSON.stringify(id)}`)
        return client
      })
      process.stdout.write(`Removed client ${JSON.stringify(removed.name)} (${removed.id}) and its refresh tokens.\n`)
    })
}

function addClientsRotateSecretCommand(clients: Command): void {
  clients
    .command('rotate-secret')
    .description('give a confidential client a new secret, printed once; the old one stops working at once')
    .argument('<client-id>')
    .action(async (id: string) => {
      const { client, secret } = await withStore(({ store }) => rotateClientSecret(id, store.clients).catch(notFoundAsCliError(id)))
      process.stdout.write(`New secret for client ${JSON.stringify(client.name)} (${client.id}).\nclient_secret: ${secret}\n`)
      process.stderr.write(SHOWN_ONCE)
    })
}

export function addClientsCommand(program: Command): void {
  const clients = program.command('clients').description('manage registered OAuth clients')
  addClientsAddCommand(clients)
  addClientsListCommand(clients)
  addClientsUpdateCommand(clients)
  addClientsRemoveCommand(clients)
  addClientsRotateSecretCommand(clients)
}
