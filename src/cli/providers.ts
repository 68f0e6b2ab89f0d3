import { InvalidArgumentError, Option, type Command } from 'commander'
import {
  IDENTITY_PROVIDER_KINDS, PROVIDER_PRESETS, addIdentityProvider, systemClock, toPublicProvider, type IdentityProviderKind,
} from '../core/index.js'
import { CliError } from './cli-error.js'
import { withStore } from './command-context.js'
import { readSecret } from './password-input.js'
import { table } from './table.js'

/*
 * `tessera providers`: the upstream identity providers the sign-in page offers (issue 11). The
 * client secret comes from a no-echo prompt or the first line of stdin, never argv, and is never
 * printed again: `list` says only that one is set.
 */

function parseScopes(value: string): string[] {
  const scopes = [...new Set(value.split(/[\s,]+/).filter((v) => v !== ''))]
  if (scopes.length === 0) throw new InvalidArgumentError('must name at least one scope')
  return scopes
}

interface AddOptions { preset?: string; kind?: IdentityProviderKind; issuer?: string; clientId: string; label?: string; scopes?: string[] }

const SECRET_HELP = `
The client secret is read from a no-echo prompt, or from the first line of stdin:
  printf '%s\\n' "$GOOGLE_CLIENT_SECRET" | tessera providers add google --preset google --client-id "$GOOGLE_CLIENT_ID"
The provider's redirect (callback) URI to register is <TESSERA_ISSUER>/signin/callback/<id>.`

export function addProvidersCommand(program: Command): void {
  const providers = program.command('providers').description('upstream identity providers for "Sign in with …" (Google, GitHub, any OpenID Provider)')

  providers
    .command('add')
    .description('add a provider; running servers offer it at their next sign-in page')
    .argument('<id>', 'its name in URLs: lower-case letters, digits and dashes (e.g. google)')
    .addOption(new Option('--preset <name>', 'fill kind, issuer, scopes and label for a known provider').choices(Object.keys(PROVIDER_PRESETS)))
    .addOption(new Option('--kind <kind>', 'oidc (discovery at the issuer) or github (OAuth app + REST API)').choices([...IDENTITY_PROVIDER_KINDS]))
    .option('--issuer <url>', 'oidc: the issuer URL; github: the site (default https://github.com, or a GitHub Enterprise URL)')
    .requiredOption('--client-id <id>', 'the client id the provider gave Tessera')
    .option('--label <text>', 'the button text (default: the preset\'s, e.g. "Sign in with Google")')
    .option('--scopes <scopes>', 'space-separated scopes to ask the provider for', parseScopes)
    .addHelpText('after', SECRET_HELP)
    .action(async (id: string, options: AddOptions) => {
      const provider = await withStore(async ({ config, store }) => {
        if (await store.identityProviders.findById(id) !== null) throw new CliError(`a provider named ${JSON.stringify(id)} already exists`)
        const clientSecret = await readSecret('client secret')
        const added = await addIdentityProvider({
          id, preset: options.preset, kind: options.kind, issuer: options.issuer, label: options.label, scopes: options.scopes,
          clientId: options.clientId, clientSecret,
        }, { identityProviders: store.identityProviders, clock: systemClock })
        return { added, callback: `${config.issuer.replace(/\/+$/, '')}/signin/callback/${added.id}` }
      })
      process.stdout.write(`Added provider ${JSON.stringify(provider.added.id)} (${provider.added.kind}, ${provider.added.issuer}).\n`
        + `Register this redirect URI with the provider: ${provider.callback}\n`)
    })

  providers
    .command('list')
    .description('list providers (never their secrets)')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const all = await withStore(({ store }) => store.identityProviders.list())
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(all.map(toPublicProvider), null, 2)}\n`)
        return
      }
      if (all.length === 0) {
        process.stdout.write('No providers. Add one with: tessera providers add google --preset google --client-id …\n')
        return
      }
      const rows = all.map((p) => [p.id, p.kind, p.label, p.issuer, p.clientId, p.scopes.join(' ')])
      process.stdout.write(`${table([['id', 'kind', 'label', 'issuer', 'client id', 'scopes'], ...rows])}\n`)
    })

  providers
    .command('remove')
    .description('remove a provider: its button goes, and the accounts linked through it keep their other ways to sign in')
    .argument('<id>')
    .action(async (id: string) => {
      const removed = await withStore(({ store }) => store.identityProviders.delete(id))
      if (!removed) throw new CliError(`no provider named ${JSON.stringify(id)}`)
      process.stdout.write(`Removed provider ${JSON.stringify(id)} and its account links.\n`)
    })
}
