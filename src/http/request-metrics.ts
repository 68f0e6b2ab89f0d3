import type { Metric, Registry } from 'prom-client'

/**
 * http_requests_total and http_request_duration_seconds, counted the cheap way. They are
 * updated on every request, and prom-client's own Counter and Histogram validate and hash
 * their labels and look a bucket up by its bound as a property name on each update: measured
 * at an eighth of a request's CPU (issue 5). Here an update is one Map lookup by a string key
 * and a few additions; prom-client still formats the exposition, from `get()`, which it calls
 * at scrape time with the same shape its own metrics give it.
 */
interface Series { labels: Record<string, string>; count: number }
interface Timings { labels: Record<string, string>; buckets: number[]; sum: number; count: number }

interface MetricValue { labels: Record<string, string | number>; value: number; metricName?: string }

class RequestCounter {
  readonly name = 'http_requests_total'
  readonly help = 'HTTP requests answered, by method, route pattern and status code.'
  readonly type = 'counter'
  readonly aggregator = 'sum'
  readonly series = new Map<string, Series>()

  inc(method: string, route: string, status: number): void {
    const key = `${method} ${status} ${route}`
    const series = this.series.get(key)
    if (series !== undefined) series.count += 1
    else this.series.set(key, { labels: { method, route, status: String(status) }, count: 1 })
  }

  get() {
    const values: MetricValue[] = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count }))
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }
}

class RequestDurations {
  readonly name = 'http_request_duration_seconds'
  readonly help = 'Time from receiving a request to sending its answer, by method and route pattern.'
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly series = new Map<string, Timings>()

  constructor(readonly bounds: readonly number[]) {}

  observe(method: string, route: string, seconds: number): void {
    const key = `${method} ${route}`
    let timings = this.series.get(key)
    if (timings === undefined) {
      timings = { labels: { method, route }, buckets: this.bounds.map(() => 0), sum: 0, count: 0 }
      this.series.set(key, timings)
    }
    const bounds = this.bounds
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= (bounds[i] as number)) {
        timings.buckets[i] = (timings.buckets[i] as number) + 1
        break
      }
    }
    timings.sum += seconds
    timings.count += 1
  }

  get() {
    const values: MetricValue[] = []
    const bucket = `${this.name}_bucket`
    for (const t of this.series.values()) {
      let cumulative = 0
      this.bounds.forEach((bound, i) => {
        cumulative += t.buckets[i] as number
        values.push({ labels: { ...t.labels, le: bound }, value: cumulative, metricName: bucket })
      })
      values.push({ labels: { ...t.labels, le: '+Inf' }, value: t.count, metricName: bucket })
      values.push({ labels: t.labels, value: t.sum, metricName: `${this.name}_sum` })
      values.push({ labels: t.labels, value: t.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator }
  }
}

export interface RequestMetrics {
  observe(method: string, route: string, status: number, seconds: number): void
}

/** Both series, registered on `registry` (they appear in its exposition like prom-client's own). */
export function requestMetrics(registry: Registry, bounds: readonly number[]): RequestMetrics {
  const requests = new RequestCounter()
  const durations = new RequestDurations(bounds)
  registry.registerMetric(requests as unknown as Metric)
  registry.registerMetric(durations as unknown as Metric)
  return {
    observe(method, route, status, seconds) {
      requests.inc(method, route, status)
      durations.observe(method, route, seconds)
    },
  }
}
