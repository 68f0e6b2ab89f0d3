// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by where the
// code lives (our src/, each node_modules package, Node's internals, native/GC), as a share of
// the profile's samples. Usage: node --import tsx bench/cpuprofile-summary.ts FILE [TOP]
import { readFileSync } from 'node:fs'

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface Row { name: string; selfMicros: number; share: number }
export interface ProfileSummary { totalMicros: number; idleMicros: number; byFunction: Row[]; byOwner: Row[] }

/** Where a frame's code lives: `src/http/app.ts`-style for ours, the package for a dependency. */
function ownerOf(frame: CallFrame): string {
  const url = frame.url
  if (url === '') {
    if (['(garbage collector)', '(program)', '(idle)', '(root)'].includes(frame.functionName)) return frame.functionName
    return '(native)'
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1] as string
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[0] ?? '')
  const ours = /\/(src|dist|bench)\/(.*)$/.exec(url)
  if (ours !== null) return `${ours[1]}/${(ours[2] as string).split('/')[0]}`
  return url
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url)
  if (pkg !== null) return pkg[1] as string
  const ours = /\/((?:src|dist|bench)\/.*)$/.exec(url)
  return ours !== null ? (ours[1] as string) : url
}

export function summarise(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  // Each sample's time is the delta to the next sample (V8 records the delta before each sample).
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number
    const delta = profile.timeDeltas[i + 1] ?? 0
    self.set(id, (self.get(id) ?? 0) + Math.max(0, delta))
  }
  const fn = new Map<string, number>()
  const owner = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, micros] of self) {
    const node = byId.get(id)
    if (node === undefined) continue
    const f = node.callFrame
    if (f.functionName === '(idle)') { idle += micros; continue }
    total += micros
    const key = f.url === '' ? f.functionName : `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`
    fn.set(key, (fn.get(key) ?? 0) + micros)
    const o = ownerOf(f)
    owner.set(o, (owner.get(o) ?? 0) + micros)
  }
  const rows = (m: Map<string, number>) => [...m].map(([name, selfMicros]) => ({ name, selfMicros, share: selfMicros / total })).sort((a, b) => b.selfMicros - a.selfMicros)
  return { totalMicros: total, idleMicros: idle, byFunction: rows(fn), byOwner: rows(owner) }
}

export function formatSummary(s: ProfileSummary, top = 25): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`
  const lines = [`busy ${(s.totalMicros / 1e6).toFixed(2)} s sampled (idle ${(s.idleMicros / 1e6).toFixed(2)} s)`, '', 'self time by owner:']
  for (const r of s.byOwner.slice(0, 15)) lines.push(`  ${pct(r.share)}  ${r.name}`)
  lines.push('', `top ${top} functions by self time:`)
  for (const r of s.byFunction.slice(0, top)) lines.push(`  ${pct(r.share)}  ${r.name}`)
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2]
  if (file === undefined) throw new Error('usage: cpuprofile-summary.ts FILE.cpuprofile [TOP]')
  console.log(formatSummary(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), Number(process.argv[3] ?? 25)))
}
