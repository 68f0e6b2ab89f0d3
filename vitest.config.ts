import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url))

export default defineConfig({
  resolve: {
    // The package's public entry points, resolved to the sources so tests need no build.
    alias: [
      { find: /^tessera\/fastify$/, replacement: src('fastify/index.ts') },
      { find: /^tessera\/storage$/, replacement: src('storage/index.ts') },
      { find: /^tessera$/, replacement: src('core/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
