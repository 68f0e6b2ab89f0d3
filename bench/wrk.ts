// Drives one wrk run and reads the JSON line bench/wrk/request.lua prints in `done`.
import { fileURLToPath } from 'node:url'
import { runToEnd } from './child-processes.js'

const script = fileURLToPath(new URL('./wrk/request.lua', import.meta.url))

export interface WrkLoad {
  url: string
  connections: number
  threads: number
  durationSeconds: number
  /** wrk counts a response slower than this as a timeout error (default 2 s is too short for logins). */
  timeoutSeconds: number
  method: 'GET' | 'POST'
  bearer?: string
  form?: string
}

export interface WrkResult {
  requests: number
  seconds: number
  requestsPerSecond: number
  /** Responses with a 2xx/3xx status, per second. */
  okPerSecond: number
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number }
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
  /** wrk's own report (with --latency), kept for the log. */
  text: string
}

interface WrkJson {
  requests: number
  duration_us: number
  errors: WrkResult['errors']
  latency_us: { mean: number; p50: number; p90: number; p99: number; max: number }
}

export async function runWrk(wrkPath: string, load: WrkLoad): Promise<WrkResult> {
  const args = [
    `-t${load.threads}`, `-c${load.connections}`, `-d${load.durationSeconds}s`,
    `--timeout`, `${load.timeoutSeconds}s`, '--latency', '-s', script, load.url,
  ]
  // Credentials travel in the environment, never in argv (visible to every user through ps).
  const env = { ...process.env, BENCH_METHOD: load.method, BENCH_BEARER: load.bearer ?? '', BENCH_FORM: load.form ?? '' }
  const stdout = await runToEnd(wrkPath, args, env, (load.durationSeconds + load.timeoutSeconds + 30) * 1000)
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '))
  if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`)
  const json = JSON.parse(line.slice('WRK_JSON '.length)) as WrkJson
  const seconds = json.duration_us / 1e6
  const ms = (us: number) => us / 1000
  return {
    requests: json.requests,
    seconds,
    requestsPerSecond: json.requests / seconds,
    okPerSecond: (json.requests - json.errors.status) / seconds,
    latencyMs: {
      mean: ms(json.latency_us.mean), p50: ms(json.latency_us.p50), p90: ms(json.latency_us.p90),
      p99: ms(json.latency_us.p99), max: ms(json.latency_us.max),
    },
    errors: json.errors,
    text: stdout.split('\n').filter((l) => !l.startsWith('WRK_JSON ')).join('\n'),
  }
}
