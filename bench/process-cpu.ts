// CPU time a process tree has used, from /proc/<pid>/stat: utime + stime of every thread (so
// argon2 work on the libuv pool counts), summed over the process and its descendants, because
// `tessera serve` may run the server in a child of the process we started (src/cli/threadpool.ts).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

interface Stat { pid: number; ppid: number; ticks: number }

function readStat(pid: number): Stat | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null // exited between listing and reading
  }
  // The command name (field 2) may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // After the name, field 3 (state) is index 0: ppid (4) is index 1, utime (14) 11, stime (15) 12.
  return { pid, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
}

/** The pid and every live descendant of it. */
export function processTree(root: number): number[] {
  const stats = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map((name) => readStat(Number(name)))
  const children = new Map<number, number[]>()
  for (const s of stats) if (s !== null) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid])
  const tree: number[] = []
  const pending = [root]
  while (pending.length > 0) {
    const pid = pending.pop() as number
    tree.push(pid)
    pending.push(...(children.get(pid) ?? []))
  }
  return tree
}

/** CPU microseconds used so far by `pids` (take the tree once, read it before and after a run). */
export function cpuMicros(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = readStat(pid)
    if (stat === null || !Number.isFinite(stat.ticks)) throw new Error(`process ${pid} is gone or unreadable`)
    ticks += stat.ticks
  }
  return (ticks * 1e6) / clockTicksPerSecond
}

/** Resolution of cpuMicros: one clock tick. */
export const cpuResolutionMicros = 1e6 / clockTicksPerSecond
