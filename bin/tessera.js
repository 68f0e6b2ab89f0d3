#!/usr/bin/env node
// `tessera` on the PATH (package.json "bin"). Runs the built CLI (dist/) when there is one that is
// current; in a checkout without a build — or whose sources changed since the last build — it
// runs the TypeScript sources through tsx, so `npx tessera <command>` works straight after
// `npm install` and never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/cli/main.js', import.meta.url)
const source = new URL('../src/cli/main.ts', import.meta.url)

/** Newest modification time under `dir`, in ms. */
function newest(dir) {
  return readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
    const path = `${dir}/${entry.name}`
    return Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)
}

function builtIsCurrent() {
  if (!existsSync(built)) return false
  if (!existsSync(source)) return true // an installed package: dist/ is all there is
  return statSync(built).mtimeMs >= newest(fileURLToPath(new URL('../src', import.meta.url)))
}

if (builtIsCurrent()) {
  await import(built.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
}
