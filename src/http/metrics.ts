import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Metrics } from '../core/index.js'
import { requestMetrics, type RequestMetrics } from './request-metrics.js'

/** The `route` label of requests that matched no route (404s, 405s): one value, whatever the URL. */
export const UNMATCHED_ROUTE = 'unmatched'

/** What the hash gate exposes at scrape time (HashAdmission has both). */
export interface HashLoad {
  readonly queued: number
  readonly inFlight: number
}

/** Seconds: from a cached token check (~1 ms) to a login queued behind a storm of argon2 hashes. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Tessera's metrics in Prometheus form, on a registry of its own (never prom-client's global
 * one: two apps in one process, as in tests, must not share or collide). Labels are bounded:
 * `route` is the route's pattern, never the raw URL, which a client could vary without end.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry()
  readonly #requests: RequestMetrics
  readonly #logins: Counter<'outcome'>
  readonly #tokens: Counter<'kind'>
  readonly #hashWait: Histogram
  readonly #mails: Counter<'outcome'>
  #hashLoad: HashLoad | null = null

  constructor() {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    // http_requests_total and http_request_duration_seconds: updated on every request, so not
    // through prom-client's label handling (request-metrics.ts).
    this.#requests = requestMetrics(this.registry, LATENCY_BUCKETS)
    this.#logins = new Counter({
      name: 'tessera_logins_total', help: 'Login attempts by outcome: succeeded, failed (bad credentials or inactive user), throttled (brute-force limit).',
      labelNames: ['outcome'], registers,
    })
    this.#tokens = new Counter({
      name: 'tessera_tokens_total', help: 'Tokens issued (by a login or client grant), refreshed (by the refresh_token grant) and revoked.',
      labelNames: ['kind'], registers,
    })
    this.#hashWait = new Histogram({
      name: 'tessera_hash_wait_seconds', help: 'Time a password hash waited for a free slot (0 when one was free).',
      buckets: LATENCY_BUCKETS, registers,
    })
    this.#mails = new Counter({
      name: 'tessera_mails_total', help: 'Mails by outcome: sent (accepted by the SMTP server or written to the mail folder), failed (given up after retries).',
      labelNames: ['outcome'], registers,
    })
    const load = () => this.#hashLoad
    new Gauge({
      name: 'tessera_hash_queue_depth', help: 'Password hashes waiting for a slot.', registers,
      collect() { this.set(load()?.queued ?? 0) },
    })
    new Gauge({
      name: 'tessera_hash_in_flight', help: 'Password hashes running now.', registers,
      collect() { this.set(load()?.inFlight ?? 0) },
    })
    // Every series at 0 from the first scrape, so rate() and alerts see them before the first login.
    for (const outcome of ['succeeded', 'failed', 'throttled']) this.#logins.inc({ outcome }, 0)
    for (const kind of ['issued', 'refreshed', 'revoked']) this.#tokens.inc({ kind }, 0)
    for (const outcome of ['sent', 'failed']) this.#mails.inc({ outcome }, 0)
  }

  /** The gauges read this gate's queue and running count at each scrape. */
  watchHashAdmission(admission: HashLoad): void {
    this.#hashLoad = admission
  }

  loginSucceeded(): void { this.#logins.inc({ outcome: 'succeeded' }) }
  loginFailed(): void { this.#logins.inc({ outcome: 'failed' }) }
  loginThrottled(): void { this.#logins.inc({ outcome: 'throttled' }) }
  tokenIssued(): void { this.#tokens.inc({ kind: 'issued' }) }
  tokenRefreshed(): void { this.#tokens.inc({ kind: 'refreshed' }) }
  tokenRevoked(): void { this.#tokens.inc({ kind: 'revoked' }) }
  hashAdmitted(waitedSeconds: number): void { this.#hashWait.observe(waitedSeconds) }
  mailSent(): void { this.#mails.inc({ outcome: 'sent' }) }
  mailFailed(): void { this.#mails.inc({ outcome: 'failed' }) }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.observe(method, route, status, seconds)
  }

  /** The Prometheus text exposition of everything above, plus prom-client's process metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

/**
 * Counts and times every answer, errors and unmatched paths included. Added on the root
 * instance so it sees every route; onResponse runs after the answer is sent, off its path.
 */
export function installRequestMetrics(app: FastifyInstance, metrics: PrometheusMetrics): void {
  // Synchronous, as it runs on every request (an async hook costs a promise and a microtask).
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}
