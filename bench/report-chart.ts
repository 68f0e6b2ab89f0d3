// bench/chart.svg: GET /users/me req/s, latency (p50, p99) and server CPU per request for each
// server, medians of the run's rounds. Hand-written SVG: bars, axis labels, no dependencies.
import type { Report, ServerName } from './report.js'

const COLORS: Record<ServerName, string> = { bare: '#9e9e9e', peer: '#5c6bc0', tessera: '#26a69a', 'tessera-pg': '#ef6c00' }
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

interface Bar { label: string; value: number; color: string; opacity?: number; text: string }

/** Axis ticks: a step of 1, 2 or 5 times a power of ten, about four of them, the last at least `max`. */
function axis(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.25 }
  const rough = max / 4
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power
  return { top: step * Math.ceil(max / step), step }
}

function panel(x: number, y: number, width: number, height: number, title: string, unit: string, bars: Bar[], groups: string[]): string {
  const top = y + 28
  const bottom = y + height - 40
  const left = x + 46
  const right = x + width - 8
  const { top: max, step } = axis(Math.max(...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))))
  const out: string[] = [`<text x="${x + width / 2}" y="${y + 14}" text-anchor="middle" class="title">${esc(title)}</text>`]
  for (let i = 0; i * step <= max + step / 1e6; i++) {
    const value = Number((i * step).toPrecision(6))
    const gy = bottom - ((bottom - top) * value) / max
    out.push(`<line x1="${left}" y1="${gy}" x2="${right}" y2="${gy}" class="grid"/>`)
    out.push(`<text x="${left - 4}" y="${gy + 4}" text-anchor="end" class="tick">${esc(value >= 1000 ? `${value / 1000}k` : String(value))}</text>`)
  }
  out.push(`<text x="${x + 10}" y="${(top + bottom) / 2}" transform="rotate(-90 ${x + 10} ${(top + bottom) / 2})" text-anchor="middle" class="tick">${esc(unit)}</text>`)
  const groupWidth = (right - left) / groups.length
  const perGroup = bars.length / groups.length
  const barWidth = Math.min(40, (groupWidth - 12) / perGroup)
  bars.forEach((bar, i) => {
    const group = Math.floor(i / perGroup)
    const within = i % perGroup
    const bx = left + group * groupWidth + (groupWidth - barWidth * perGroup) / 2 + within * barWidth
    const value = Number.isFinite(bar.value) ? bar.value : 0
    const h = ((bottom - top) * value) / max
    out.push(`<rect x="${bx.toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${bar.color}"${bar.opacity === undefined ? '' : ` fill-opacity="${bar.opacity}"`}><title>${esc(`${bar.label}: ${bar.text}`)}</title></rect>`)
    out.push(`<text x="${(bx + (barWidth - 2) / 2).toFixed(1)}" y="${(bottom - h - 3).toFixed(1)}" text-anchor="middle" class="value">${esc(bar.text)}</text>`)
  })
  groups.forEach((g, i) => out.push(`<text x="${(left + i * groupWidth + groupWidth / 2).toFixed(1)}" y="${bottom + 16}" text-anchor="middle" class="label">${esc(g)}</text>`))
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" class="axis"/>`)
  return out.join('\n')
}

export function renderChart(report: Report): string {
  const names = report.servers.filter((n) => report.medians.me[n] !== undefined)
  const me = (n: ServerName) => report.medians.me[n] as NonNullable<Report['medians']['me'][ServerName]>
  const width = 960
  const height = 330
  const w = width / 3
  const rps = names.map((n) => ({ label: n, value: me(n).requestsPerSecond, color: COLORS[n], text: me(n).requestsPerSecond.toFixed(0) }))
  const latency = names.flatMap((n) => [
    { label: `${n} p50`, value: me(n).p50Ms, color: COLORS[n], opacity: 0.55, text: me(n).p50Ms.toFixed(1) },
    { label: `${n} p99`, value: me(n).p99Ms, color: COLORS[n], text: me(n).p99Ms.toFixed(1) },
  ])
  const cpu = names.map((n) => ({ label: n, value: me(n).cpuMicrosPerRequest, color: COLORS[n], text: me(n).cpuMicrosPerRequest.toFixed(0) }))
  const s = report.settings
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>
.title { font-size: 13px; font-weight: 600; fill: #222 } .tick { font-size: 10px; fill: #666 } .label { font-size: 11px; fill: #222 }
.value { font-size: 9px; fill: #333 } .grid { stroke: #e6e6e6 } .axis { stroke: #888 } .note { font-size: 10px; fill: #666 }
</style>
<rect width="100%" height="100%" fill="#fff"/>
${panel(0, 4, w, height - 24, 'requests/s (higher is better)', 'req/s', rps, names)}
${panel(w, 4, w, height - 24, 'latency, ms: p50 light, p99 dark', 'ms', latency, names)}
${panel(2 * w, 4, w, height - 24, 'server CPU per request, µs', 'µs', cpu, names)}
<text x="8" y="${height - 6}" class="note">${esc(`GET /users/me with a valid token, ${s.connections} connections, ${s.durationSeconds} s per server, medians of ${report.rounds.length} rounds; ${report.machine.cores} cores, Node ${report.machine.node}; ${report.date.slice(0, 10)}`)}</text>
</svg>
`
}
