// The strongest simple peer: what a competent developer writes in an afternoon with the same
// libraries Tessera picked. Fastify (default settings: no logger), fast-jwt HS256, users in a
// Map, argon2id with Tessera's parameters, POST /token (form) and GET /users/me. No database,
// no revocation, no audit, no limits, no metrics, no security headers: the floor for a
// Fastify + fast-jwt server, so the gap to Tessera is what Tessera's extra duties cost.
// Run by bench/run.ts as JavaScript (see bench/servers.ts); environment:
//   BENCH_PEER_PORT      where to listen (127.0.0.1)
//   BENCH_PEER_USER      the public user JSON /users/me answers (Tessera's own answer, same bytes)
//   BENCH_PEER_PASSWORD  that user's password, hashed at startup
import { randomBytes, randomUUID } from 'node:crypto'
import formbody from '@fastify/formbody'
import { hash, verify } from '@node-rs/argon2'
import { createSigner, createVerifier } from 'fast-jwt'
import Fastify from 'fastify'

const port = Number(process.env.BENCH_PEER_PORT)
const publicUser = JSON.parse(process.env.BENCH_PEER_USER ?? 'null') as { id: string; username: string } | null
const password = process.env.BENCH_PEER_PASSWORD ?? ''
if (!Number.isInteger(port) || publicUser === null || password === '') {
  console.error('peer-fastify: BENCH_PEER_PORT, BENCH_PEER_USER and BENCH_PEER_PASSWORD are required')
  process.exit(2)
}

// Tessera's parameters (src/core/password.ts): argon2id (2), v=0x13 (1), m=64 MiB, t=3, p=4.
const argon2 = { algorithm: 2, version: 1, memoryCost: 65536, timeCost: 3, parallelism: 4 } as const
const secret = randomBytes(32)
const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: 30 * 60 * 1000 })
const verifyToken = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'exp', 'jti'] })

interface User { publicUser: typeof publicUser & object; passwordHash: string }
const byName = new Map<string, User>()
const byId = new Map<string, User>()
const user: User = { publicUser, passwordHash: await hash(password, argon2) }
byName.set(publicUser.username, user)
byId.set(publicUser.id, user)
// A dummy hash, so an unknown username costs a verification too (as in Tessera).
const dummyHash = await hash(randomUUID(), argon2)

const app = Fastify()
await app.register(formbody)

app.get('/healthz', async () => ({ status: 'ok' }))

app.post('/token', async (request, reply) => {
  const { username, password: given } = (request.body ?? {}) as Record<string, unknown>
  if (typeof username !== 'string' || typeof given !== 'string') return reply.code(422).send({ detail: 'username and password required' })
  const found = byName.get(username)
  const ok = await verify(found?.passwordHash ?? dummyHash, given)
  if (found === undefined || !ok) return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Incorrect username or password' })
  reply.header('cache-control', 'no-store')
  return { access_token: sign({ sub: found.publicUser.id, jti: randomUUID(), scope: 'me items' }), token_type: 'bearer' }
})

app.get('/users/me', async (request, reply) => {
  const header = request.headers.authorization
  if (header === undefined || !header.startsWith('Bearer ')) return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Not authenticated' })
  let claims: { sub?: unknown }
  try {
    claims = verifyToken(header.slice(7)) as { sub?: unknown }
  } catch {
    return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Could not validate credentials' })
  }
  const found = typeof claims.sub === 'string' ? byId.get(claims.sub) : undefined
  if (found === undefined) return reply.code(401).header('www-authenticate', 'Bearer').send({ detail: 'Could not validate credentials' })
  return found.publicUser
})

await app.listen({ host: '127.0.0.1', port })
console.log(`peer-fastify listening on 127.0.0.1:${port}`)
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
