import { describe, expect, it } from 'vitest'
import { PrometheusMetrics } from '../../src/http/metrics.js'

// http_requests_total and http_request_duration_seconds are kept outside prom-client's label
// handling (src/http/request-metrics.ts): the exposition must still be exactly Prometheus's.
describe('request metrics', () => {
  it('count by method, route and status, and time by method and route in cumulative buckets', async () => {
    const metrics = new PrometheusMetrics()
    metrics.observeRequest('GET', '/users/me', 200, 0.0007)
    metrics.observeRequest('GET', '/users/me', 200, 0.03)
    metrics.observeRequest('GET', '/users/me', 401, 12)
    metrics.observeRequest('POST', '/token', 200, 0.1)
    const lines = (await metrics.scrape()).body.split('\n').filter((l) => l.startsWith('http_request'))
    expect(lines.filter((l) => l.startsWith('http_requests_total'))).toEqual([
      'http_requests_total{method="GET",route="/users/me",status="200"} 2',
      'http_requests_total{method="GET",route="/users/me",status="401"} 1',
      'http_requests_total{method="POST",route="/token",status="200"} 1',
    ])
    const me = lines.filter((l) => l.includes('route="/users/me"') && l.startsWith('http_request_duration'))
    expect(me).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/me",le="0.001"} 1')
    expect(me).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/me",le="0.025"} 1')
    expect(me).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/me",le="0.05"} 2')
    expect(me).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/me",le="10"} 2')
    expect(me).toContain('http_request_duration_seconds_bucket{method="GET",route="/users/me",le="+Inf"} 3')
    expect(me).toContain('http_request_duration_seconds_sum{method="GET",route="/users/me"} 12.0307')
    expect(me).toContain('http_request_duration_seconds_count{method="GET",route="/users/me"} 3')
    expect(me.filter((l) => l.includes('_bucket'))).toHaveLength(13)
  })
})
