-- One wrk script for both scenarios, configured by the environment so no secret appears on
-- a command line (visible in `ps`):
--   BENCH_METHOD        GET (default) or POST
--   BENCH_BEARER        access token sent as "Authorization: Bearer <token>" (GET /users/me)
--   BENCH_FORM          form body sent as application/x-www-form-urlencoded (POST /token)
-- `done` prints one JSON line, prefixed WRK_JSON, that bench/wrk.ts parses instead of wrk's
-- human-readable text.

wrk.method = os.getenv("BENCH_METHOD") or "GET"

local bearer = os.getenv("BENCH_BEARER")
if bearer and bearer ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. bearer
end

local form = os.getenv("BENCH_FORM")
if form and form ~= "" then
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = form
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
