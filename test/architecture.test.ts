import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// DESIGN.md "The shape": core is framework-free, only storage speaks SQL, only config reads the
// environment. These are easy to erode one convenient import at a time, so they are checked here.
const srcDir = fileURLToPath(new URL('../src/', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string)
}

const files = sourceFiles(srcDir).map((path) => ({ path, rel: relative(srcDir, path) }))

describe('architecture', () => {
  it('finds the sources it checks', () => {
    expect(files.some((f) => f.rel.startsWith('core/'))).toBe(true)
    expect(files.some((f) => f.rel.startsWith('storage/'))).toBe(true)
  })

  it('keeps core free of HTTP frameworks, SQL and the other layers', () => {
    const forbidden = /^(fastify|@fastify\/|kysely|better-sqlite3|pg|ioredis|pino|commander)($|\/)|\.\.\/(storage|http|fastify|cli)\//
    const offenders = files
      .filter((f) => f.rel.startsWith('core/'))
      .flatMap((f) => importsOf(f.path).filter((i) => forbidden.test(i)).map((i) => `${f.rel} imports ${i}`))
    expect(offenders).toEqual([])
  })

  it('lets only storage speak SQL', () => {
    const sql = /^(kysely|better-sqlite3|pg)($|\/)/
    const offenders = files
      .filter((f) => !f.rel.startsWith('storage/'))
      .flatMap((f) => importsOf(f.path).filter((i) => sql.test(i)).map((i) => `${f.rel} imports ${i}`))
    expect(offenders).toEqual([])
  })

  it('reads the environment only in config.ts', () => {
    const offenders = files
      .filter((f) => f.rel !== 'config.ts')
      .filter((f) => /process\.env(?!\.UV_THREADPOOL_SIZE\s*=)/.test(readFileSync(f.path, 'utf8')))
      .map((f) => f.rel)
    expect(offenders).toEqual([])
  })

  it('has no grab-bag modules', () => {
    expect(files.filter((f) => /(^|\/)(utils?|helpers?|misc)\.ts$/.test(f.rel)).map((f) => f.rel)).toEqual([])
  })
})
