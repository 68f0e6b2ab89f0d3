import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { FastifyBaseLogger } from 'fastify'
import type { AppDeps } from '../deps.js'
import { Status } from '../schemas.js'

/** A readiness check that has not answered by then counts as down: a probe must not hang. */
export const READINESS_TIMEOUT_MS = 1000

/** What a load balancer is told to wait before asking a not-ready instance again. */
const NOT_READY_RETRY_AFTER_SECONDS = 5

type CheckResult = 'ok' | 'error' | 'timeout'

const CheckState = Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('timeout')])

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Object({
    database: CheckState,
    redis: Type.Union([CheckState, Type.Literal('not configured')]),
  }),
}, { title: 'Readiness' })

/** The probe's verdict within the time limit. The driver's error goes to the log, never to the answer. */
async function check(name: string, probe: () => Promise<unknown>, log: FastifyBaseLogger): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), READINESS_TIMEOUT_MS) })
  try {
    // A probe that settles after the deadline is still observed by race: no unhandled rejection.
    const result = await Promise.race([probe().then(() => 'ok' as const), timeout])
    if (result === 'timeout') log.warn({ check: name, timeoutMs: READINESS_TIMEOUT_MS }, 'readiness check timed out')
    return result
  } catch (err) {
    log.warn({ err, check: name }, 'readiness check failed')
    return 'error'
  } finally {
    clearTimeout(timer)
  }
}

/**
 * GET /healthz: liveness, for "restart me if I stop answering". It asks nothing else, so a
 * database outage does not get every instance restarted at once.
 * GET /readyz: readiness, for "send me traffic": the database and, when configured, Redis
 * each answer within READINESS_TIMEOUT_MS, or 503 + Retry-After naming the check that failed.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get('/healthz', {
    schema: { summary: 'Health', response: { 200: Status } },
    logLevel: 'warn', // probes every few seconds would drown the request log
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    schema: { summary: 'Readiness', response: { 200: Readiness, 503: Readiness } },
    logLevel: 'warn',
  }, async (request, reply) => {
    const { store, redis } = deps
    const [database, redisState] = await Promise.all([
      check('database', () => store.ping(), request.log),
      redis === undefined ? 'not configured' as const : check('redis', () => redis.ping(), request.log),
    ])
    const ready = database === 'ok' && (redisState === 'ok' || redisState === 'not configured')
    reply.header('cache-control', 'no-store')
    if (!ready) reply.code(503).header('retry-after', String(NOT_READY_RETRY_AFTER_SECONDS))
    return { status: ready ? 'ready' as const : 'not ready' as const, checks: { database, redis: redisState } }
  })
}
