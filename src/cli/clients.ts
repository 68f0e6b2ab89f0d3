import { InvalidArgumentError, Option, type Command } from 'commander'
import {
  CLIENT_TYPES, DEFAULT_CLIENT_GRANT_TYPES, DEFAULT_USER_SCOPES, GRANT_TYPES, NotFound, formatScope, registerClient, rotateClientSecret,
  type ClientRecord, type ClientType,
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

/** What an operator sees of a client: never its secret or the secret's hash. */
function listed(client: ClientRecord) {
  return {
    client_id: client.id, name: client.name, type: client.type, grant_types: client.grantTypes, scopes: client.scopes,
    created_at: new Date(client.createdAt).toISOString(),
  }
}

const SHOWN_ONCE = 'The secret is shown only this once and stored as a hash: keep it now.\n'

interface AddOptions { type: ClientType; grantTypes?: string[]; scopes?: string[]; json?: boolean }

function addClientsAddCommand(clients: Command): void {
  clients
    .command('add')
    .description('register an OAuth client; prints its id and (confidential) secret once')
    .argument('<name>', 'a name to recognise it by')
    .addOption(new Option('--type <type>', 'confidential (has a secret) or public (cannot keep one)').choices(CLIENT_TYPES).default('confidential'))
    .option(
      '--grant-types <types>',
      `grant types it may use, of ${GRANT_TYPES.join(', ')} (default: confidential "${DEFAULT_CLIENT_GRANT_TYPES.confidential.join(' ')}", `
        + `public "${DEFAULT_CLIENT_GRANT_TYPES.public.join(' ')}")`,
      parseNonEmptyList,
    )
    .option('--scopes <scopes>', `scopes it may be granted (default: "${DEFAULT_USER_SCOPES.join(' ')}")`, parseList)
    .option('--json', 'print JSON instead of text')
    .action(async (name: string, options: AddOptions) => {
      const { client, secret } = await withStore(({ store }) => registerClient({
        name, type: options.type,
        ...(options.grantTypes === undefined ? {} : { grantTypes: options.grantTypes }),
        ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      }, store.clients))
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ ...listed(client), client_secret: secret }, null, 2)}\n`)
        return
      }
      process.stdout.write(
        `Created ${client.type} client ${JSON.stringify(client.name)} `
          + `(grant types: ${formatScope(client.grantTypes)}; scopes: ${formatScope(client.scopes) || '-'}).\n`
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
      const header = ['CLIENT ID', 'NAME', 'TYPE', 'GRANT TYPES', 'SCOPES', 'CREATED']
      const rows = all.map((c) => [
        c.id, c.name, c.type, formatScope(c.grantTypes), formatScope(c.scopes) || '-', new Date(c.createdAt).toISOString(),
      ])
      process.stdout.write(`${table([header, ...rows])}\n`)
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
      const { client, secret } = await withStore(({ store }) => rotateClientSecret(id, store.clients).catch((err: unknown) => {
        if (err instanceof NotFound) throw new CliError(`no client with id ${JSON.stringify(id)}`)
        throw err
      }))
      process.stdout.write(`New secret for client ${JSON.stringify(client.name)} (${client.id}).\nclient_secret: ${secret}\n`)
      process.stderr.write(SHOWN_ONCE)
    })
}

export function addClientsCommand(program: Command): void {
  const clients = program.command('clients').description('manage registered OAuth clients')
  addClientsAddCommand(clients)
  addClientsListCommand(clients)
  addClientsRemoveCommand(clients)
  addClientsRotateSecretCommand(clients)
}
