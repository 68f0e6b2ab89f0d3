import type { IncomingMessage, ServerResponse } from 'node:http'

// What the test upstreams (upstream-oidc.ts, fake-github.ts) share: their tiny HTML pages and bodies.

export function sendHtml(res: ServerResponse, status: number, html: string) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html)
}

export const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)

export const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`

/** The request body as text; the sign-in forms are tiny, so cap it rather than stream. */
export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  let body = ''
  for await (const chunk of req) {
    body += chunk
    if (body.length > limit) throw new Error('request body too large')
  }
  return body
}
