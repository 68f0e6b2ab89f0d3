import { createHash } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { PAGE_STYLES_PATH } from './layout.js'
import { PAGE_STYLES } from './pages-css.js'

/** A day: the pages link the stylesheet by a fixed path, so a change reaches browsers within it (or at once on revalidation). */
export const PAGE_STYLES_MAX_AGE_SECONDS = 86_400

export interface PageStyles {
  body: Buffer
  /** Strong (RFC 9110 §8.8.3): a hash of the exact bytes. */
  etag: string
}

export function loadPageStyles(): PageStyles {
  const body = Buffer.from(PAGE_STYLES, 'utf8')
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any current representation. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim()
    return tag === '*' || tag.replace(/^W\//, '') === etag
  })
}

/** GET /assets/pages.css: the hosted pages' stylesheet, cacheable and revalidated by ETag. */
export const pageAssetRoutes: FastifyPluginAsync = async (app) => {
  const styles = loadPageStyles()
  app.get(PAGE_STYLES_PATH, { schema: { hide: true } }, async (request, reply) => {
    reply.header('cache-control', `public, max-age=${PAGE_STYLES_MAX_AGE_SECONDS}`).header('etag', styles.etag)
    if (notModified(request.headers['if-none-match'], styles.etag)) return reply.code(304).send()
    return reply.type('text/css; charset=utf-8').send(styles.body)
  })
}
