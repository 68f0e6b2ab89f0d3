import { SCOPES } from '../core/index.js'

export const DEFAULT_SECURITY_SCHEME = 'OAuth2PasswordBearer'
export const DEFAULT_TOKEN_URL = 'token'

/** OpenAPI 3.1 `oauth2` security scheme with the password flow, as FastAPI writes it. */
export interface OAuth2PasswordScheme {
  type: 'oauth2'
  flows: { password: { scopes: Record<string, string>; tokenUrl: string } }
}

export interface SecuritySchemeOptions {
  /** The scheme's name in `components.securitySchemes` (FastAPI names it after the class). */
  securityScheme?: string
  /** Relative to the page showing the docs, as FastAPI's `tokenUrl="token"`. */
  tokenUrl?: string
  /** Scope → description, shown by the docs' Authorize dialog. Default: Tessera's scopes. */
  scopes?: Record<string, string>
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

interface SwaggerOptionsLike {
  openapi?: { components?: { securitySchemes?: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>
}

/**
 * Returns @fastify/swagger options with the OAuth2 password scheme added to
 * `openapi.components.securitySchemes` (other schemes and options kept). The per-route
 * `security` entries come from the tesseraAuth plugin; this declares the scheme they name.
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
        securitySchemes: { ...components.securitySchemes, ...oauth2PasswordSecuritySchemes(options) },
      },
    },
  }
}
