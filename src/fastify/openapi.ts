import { IDENTITY_SCOPES, SCOPES } from '../core/index.js'

export const DEFAULT_SECURITY_SCHEME = 'OAuth2PasswordBearer'
export const DEFAULT_TOKEN_URL = 'token'
/** FastAPI names a scheme after its class: `OAuth2AuthorizationCodeBearer(authorizationUrl=..., tokenUrl=...)`. */
export const DEFAULT_AUTHORIZATION_CODE_SCHEME = 'OAuth2AuthorizationCodeBearer'

/** OpenAPI 3.1 `oauth2` security scheme with the password flow, as FastAPI writes it. */
export interface OAuth2PasswordScheme {
  type: 'oauth2'
  flows: { password: { scopes: Record<string, string>; tokenUrl: string } }
}

/**
 * OpenAPI 3.1 `oauth2` security scheme with the authorization code flow (RFC 6749 §4.1), as FastAPI
 * writes `OAuth2AuthorizationCodeBearer`: the docs send the user to `authorizationUrl` and trade
 * the code at `tokenUrl` (Swagger UI adds PKCE when told to, RFC 7636).
 */
export interface OAuth2AuthorizationCodeScheme {
  type: 'oauth2'
  flows: { authorizationCode: { scopes: Record<string, string>; authorizationUrl: string; tokenUrl: string } }
}

/** The second way in that protected routes list beside the password flow: signing in at the authorization server. */
export interface AuthorizationCodeOptions {
  /** The scheme's name in `components.securitySchemes`. Default `OAuth2AuthorizationCodeBearer`. */
  securityScheme?: string
  /** The authorization endpoint; relative to the page showing the docs, as FastAPI's `authorizationUrl="authorize"`. */
  authorizationUrl: string
  /** Where the code is traded for tokens. Default: the password scheme's `tokenUrl`. */
  tokenUrl?: string
  /** Scope → description. Default: the password scheme's scopes plus OpenID Connect's (openid, profile, email, offline_access). */
  scopes?: Record<string, string>
}

export interface SecuritySchemeOptions {
  /** The scheme's name in `components.securitySchemes` (FastAPI names it after the class). */
  securityScheme?: string
  /** Relative to the page showing the docs, as FastAPI's `tokenUrl="token"`. */
  tokenUrl?: string
  /** Scope → description, shown by the docs' Authorize dialog. Default: Tessera's scopes. */
  scopes?: Record<string, string>
  /**
   * Also declare the authorization code flow, and list it in every protected route's `security`
   * as an alternative to the password flow. Absent: the password scheme alone, as before.
   */
  authorizationCode?: AuthorizationCodeOptions
}

/**
 * `{ OAuth2PasswordBearer: {...} }`, exactly what FastAPI generates for
 * `OAuth2PasswordBearer(tokenUrl="token", scopes={...})`: the key order matches too.
 */
export function oauth2PasswordSecuritySchemes(options: SecuritySchemeOptions = {}): Record<string, OAuth2PasswordScheme> {
  const name = options.securityScheme ?? DEFAULT_SECURITY_SCHEME
  const scheme: OAuth2PasswordScheme = {
    type: 'oauth2',
    flows: { password: { scopes: { ...(options.scopes ?? SCOPES) }, tokenUrl: options.tokenUrl ?? DEFAULT_TOKEN_URL } },
  }
  return { [name]: scheme }
}

/**
 * `{ OAuth2AuthorizationCodeBearer: {...} }` when `options.authorizationCode` is given, else `{}`.
 * The key order is FastAPI's (scopes, authorizationUrl, tokenUrl).
 */
export function oauth2AuthorizationCodeSecuritySchemes(options: SecuritySchemeOptions = {}): Record<string, OAuth2AuthorizationCodeScheme> {
  const code = options.authorizationCode
  if (code === undefined) return {}
  if (typeof code.authorizationUrl !== 'string' || code.authorizationUrl === '') {
    throw new TypeError('authorizationCode.authorizationUrl must be a non-empty string')
  }
  const name = code.securityScheme ?? DEFAULT_AUTHORIZATION_CODE_SCHEME
  if (name === (options.securityScheme ?? DEFAULT_SECURITY_SCHEME)) {
    throw new TypeError(`authorizationCode.securityScheme must differ from the password scheme's name (${name})`)
  }
  const scheme: OAuth2AuthorizationCodeScheme = {
    type: 'oauth2',
    flows: {
      authorizationCode: {
        scopes: { ...(code.scopes ?? { ...(options.scopes ?? SCOPES), ...IDENTITY_SCOPES }) },
        authorizationUrl: code.authorizationUrl,
        tokenUrl: code.tokenUrl ?? options.tokenUrl ?? DEFAULT_TOKEN_URL,
      },
    },
  }
  return { [name]: scheme }
}

/**
 * The schemes a protected route lists in its `security`, each an alternative (OpenAPI 3.1
 * §4.8.30: any one of the requirement objects satisfies the operation): the password flow, then
 * the authorization code flow when declared.
 */
export function securitySchemeNames(options: SecuritySchemeOptions = {}): string[] {
  return [...Object.keys(oauth2PasswordSecuritySchemes(options)), ...Object.keys(oauth2AuthorizationCodeSecuritySchemes(options))]
}

interface SwaggerOptionsLike {
  openapi?: { components?: { securitySchemes?: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>
}

/**
 * Returns @fastify/swagger options with the OAuth2 password scheme (and, with
 * `options.authorizationCode`, the authorization code scheme) added to
 * `openapi.components.securitySchemes` (other schemes and options kept). The per-route
 * `security` entries come from the tesseraAuth plugin; give both the same options and this
 * declares the schemes they name.
 */
export function withOAuth2PasswordSecurity<T extends SwaggerOptionsLike>(swaggerOptions: T, options: SecuritySchemeOptions = {}): T {
  const openapi = swaggerOptions.openapi ?? {}
  const components = openapi.components ?? {}
  return {
    ...swaggerOptions,
    openapi: {
      ...openapi,
      components: {
        ...components,
        securitySchemes: {
          ...components.securitySchemes, ...oauth2PasswordSecuritySchemes(options), ...oauth2AuthorizationCodeSecuritySchemes(options),
        },
      },
    },
  }
}
