// The floor Tessera is compared with: node:http answering GET /users/me with a fixed body,
// no framework, no token check, no database. Plain JS so no loader runs in this process.
// The body is Tessera's own /users/me response, passed in by bench/run.ts, so both servers
// send the same bytes.
import { createServer } from 'node:http'

const port = Number(process.env.BENCH_BARE_PORT)
const body = Buffer.from(process.env.BENCH_BARE_BODY ?? '', 'utf8')
if (!Number.isInteger(port) || port <= 0 || body.length === 0) {
  console.error('bare-server: BENCH_BARE_PORT and BENCH_BARE_BODY are required')
  process.exit(2)
}

const server = createServer((req, res) => {
  const path = req.url?.split('?')[0]
  if (req.method === 'GET' && (path === '/users/me' || path === '/users/me/')) {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length })
    res.end(body)
    return
  }
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' })
  res.end('{"detail":"Not Found"}')
})
// Same keep-alive window as Fastify's default, so idle connections are treated alike.
server.keepAliveTimeout = 72_000
server.listen(port, '127.0.0.1', () => console.log(`bare-server listening on 127.0.0.1:${port}`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
